"""Assigning models to slots: one optimal assignment, not first come, first served.

The cost of putting model *i* in slot *j* is lexicographic, built from weights so one
``linear_sum_assignment`` call decides it:

1. pairs where the model meets none of the slot's match constraints are avoided (such a slot
   stays empty rather than being graded on an unrelated model);
2. models that never finished a fit rank below trained ones;
3. fewer unmet match constraints is better;
4. among those, the slot the model misses by least (the relative distance to each violated bound:
   50,890 parameters miss '< 50,000' by 1.8%, '>= 300,000' by 83%), so a near miss lands in the
   slot it was written for;
5. ties are broken by how many match constraints could not be judged (a hand-written training
   loop's activations, say) and how well the model does on the slot's own criteria.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from grader.checks.base import CheckResult, Outcome
from grader.checks.constraints import decide
from grader.checks.context import GradeContext
from grader.checks.facts import ModelFacts
from grader.checks.structure import Finding
from grader.rubric import names
from grader.rubric.constraints import ModelConstraints
from grader.rubric.ranges import Range
from grader.rubric.model import Slot

# Distances are compared in steps of 0.1% (of d / (1 + d)): finer than any bar a rubric draws, and
# coarse enough that a slot's own criteria still decide between two models that miss alike.
_STEPS = 1000


@dataclass(frozen=True)
class Miss:
    """How far one model misses one numeric match constraint: '890 parameters over 50,000'."""

    key: str
    value: float
    bound: float
    over: bool  # True: above the upper bound; False: short of the lower one
    relative: float  # |value - bound| / |bound|: what matching minimises

    @property
    def amount(self) -> float:
        return abs(self.value - self.bound)

    @property
    def words(self) -> str:
        noun = _NOUNS.get(self.key, self.key.replace("_", " "))
        side = "over" if self.over else "short of"
        if self.key in _EACH:
            edge = "widest" if self.over else "narrowest"
            return f"the {edge} layer has {_plural(self.amount, noun)} {side} {_num(self.bound)}"
        return f"{_plural(self.amount, noun)} {side} {_num(self.bound)}"


@dataclass(frozen=True)
class SlotMatch:
    slot_id: str
    model_id: str | None
    unmet: list[str] = field(default_factory=list)
    why_empty: str = ""
    # By how much the model misses each numeric match constraint it does not meet (filled slots only).
    misses: list[Miss] = field(default_factory=list)


@dataclass(frozen=True)
class Matching:
    slots: dict[str, SlotMatch]
    # model id -> slot id -> reasons the model does not fill that slot (only for unassigned models)
    rejections: dict[str, dict[str, list[str]]]

    def model_of(self, slot_id: str) -> str | None:
        match = self.slots.get(slot_id)
        return match.model_id if match else None


def match_slots(ctx: GradeContext, slots: list[Slot], score: Callable[[Slot, ModelFacts], float]) -> Matching:
    models = list(ctx.models)
    if not slots:
        return Matching({}, {})
    if not models:
        empty = {s.id: SlotMatch(s.id, None, why_empty="the submission built no model") for s in slots}
        return Matching(empty, {})
    findings = [[decide(s.match, m, quick=ctx.quick) for s in slots] for m in models]
    misses = [[misses_of(s.match, m, findings[i][j]) for j, s in enumerate(slots)] for i, m in enumerate(models)]
    # Constraints the evidence cannot decide (a hand-written loop's activations) count neither way.
    unmet = np.array([[sum(f.judged and not f.ok for f in row) for row in per_model] for per_model in findings],
                     dtype=float)
    judged = np.array([[sum(f.judged for f in row) for row in per_model] for per_model in findings], dtype=float)
    sizes = np.array([len(findings[0][j]) for j in range(len(slots))], dtype=float)
    eligible = (sizes == 0) | (unmet < judged)
    untrained = np.array([[0.0 if m.trained else 1.0] * len(slots) for m in models])
    tiebreak = np.array([[0.999 * (1.0 - score(s, m)) for s in slots] for m in models])

    # A model whose fit cannot be fully judged yields to one that can be, among equally good ones.
    unjudged = (sizes - judged) / np.maximum(sizes, 1.0)
    tiebreak = tiebreak + unjudged

    steps = np.array([[_steps(distance(findings[i][j], misses[i][j])) for j in range(len(slots))]
                      for i in range(len(models))], dtype=float)

    pairs = min(len(models), len(slots))
    w_step = 2 * pairs + 1.0  # all tie-breaks together (each below 2) stay below one step of distance
    w_unmet = w_step * (_STEPS * pairs + 1.0)  # all distances together stay below one unmet constraint
    w_untrained = w_unmet * (sizes.sum() + 1.0)
    w_ineligible = w_untrained * (pairs + 1.0)
    cost = (~eligible) * w_ineligible + untrained * w_untrained + unmet * w_unmet + steps * w_step + tiebreak
    # Imported here, not at the top: scipy.optimize takes half a second to import, and everything that imports
    # the grading package (the results store, the CLI) would pay it before a run starts.
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(cost)

    chosen = {int(j): int(i) for i, j in zip(rows, cols) if eligible[i, j]}
    result: dict[str, SlotMatch] = {}
    for j, slot in enumerate(slots):
        if j in chosen:
            i = chosen[j]
            result[slot.id] = SlotMatch(slot.id, models[i].id,
                                        [_words(f, misses[i][j]) for f in findings[i][j] if not f.ok or not f.judged],
                                        misses=misses[i][j])
        else:
            result[slot.id] = SlotMatch(slot.id, None,
                                        why_empty=_why_empty(models, findings, misses, j, chosen, slots))
    assigned = set(chosen.values())
    rejections = {
        m.id: {slot.id: _reasons(m, findings[i][j], misses[i][j], result[slot.id], ctx)
               for j, slot in enumerate(slots)}
        for i, m in enumerate(models) if i not in assigned
    }
    return Matching(result, rejections)


def with_misses(result: CheckResult, match: SlotMatch) -> CheckResult:
    """A slot's 'filled' result that says by how much its model misses: '890 parameters over 50,000'."""
    if result.outcome is not Outcome.FAILED or not match.misses:
        return result
    return replace(result, message=f"{result.message}; {'; '.join(m.words for m in match.misses)}")


def misses_of(constraints: ModelConstraints, model: ModelFacts, found: list[Finding]) -> list[Miss]:
    """The numeric misses behind the failed findings, one per constraint (the worst layer for 'each')."""
    out = []
    for f in found:
        if f.ok or not f.judged:
            continue
        value = getattr(constraints, f.key, None)
        if isinstance(value, Range):
            miss = _miss(f.key, _values(f.key, model), value)
            if miss is not None:
                out.append(miss)
    return out


def distance(found: list[Finding], misses: list[Miss]) -> float:
    """How far a model is from a slot: the relative miss of each numeric bound it violates, 1 for any
    other unmet constraint (an activation is right or wrong)."""
    numeric = {m.key: m.relative for m in misses}
    return sum(numeric.get(f.key, 1.0) for f in found if f.judged and not f.ok)


_EACH = {"units", "filters"}
_NOUNS = {"hidden_layers": "hidden layer", "dense_layers": "hidden Dense layer", "conv_layers": "convolution layer",
          "trainable_params": "parameter", "total_params": "parameter", "input_size": "input value",
          "output_units": "output unit", "units": "unit", "filters": "filter"}


def _values(key: str, f: ModelFacts) -> list[float]:
    if key == "hidden_layers":
        return [len(f.hidden)]
    if key == "dense_layers":
        return [sum(1 for x in f.hidden if x.kind == "dense")]
    if key == "conv_layers":
        return [sum(1 for x in f.layers if x.kind in names.CONV_KINDS)]
    if key == "units":
        return [x.units for x in f.hidden if x.kind == "dense" and x.units is not None]
    if key == "filters":
        return [x.filters for x in f.layers if x.kind in names.CONV_KINDS and x.filters is not None]
    if key == "output_units":
        n = f.output.units if f.output and f.output.units is not None else (f.output.filters if f.output else None)
        return [] if n is None else [n]
    value = getattr(f, key, None)
    return [] if value is None else [value]


def _miss(key: str, values: list[float], r: Range) -> Miss | None:
    """The worst miss among the values (every layer must meet an 'each' bound), None when none misses."""
    worst = None
    low, high = r.low(), r.high()
    for v in values:
        if r.contains(v):
            continue
        if high is not None and (v > high or (r.lt is not None and v >= r.lt)):
            bound, over = high, True
        elif low is not None:
            bound, over = low, False
        else:
            continue
        # A strict bound met with equality still misses, by the smallest step a count can take.
        rel = max(abs(v - bound), 1.0) / max(abs(bound), 1.0)
        if worst is None or rel > worst.relative:
            worst = Miss(key, float(v), float(bound), over, rel)
    return worst


def _steps(d: float) -> float:
    return float(round(_STEPS * d / (1.0 + d)))


def _words(f: Finding, misses: list[Miss]) -> str:
    miss = next((m for m in misses if m.key == f.key), None)
    return f"{f.words}: {miss.words}" if miss is not None and f.judged and not f.ok else f.words


def _num(v: float) -> str:
    return f"{int(v):,}" if float(v).is_integer() else f"{v:g}"


def _plural(n: float, word: str) -> str:
    return f"{_num(n)} {word}{'' if n == 1 else 's'}"


def _why_empty(models: list[ModelFacts], findings: list[list[list]], misses: list[list[list[Miss]]], j: int,
               chosen: dict[int, int], slots: list[Slot]) -> str:
    taken = {i: slots[k].id for k, i in chosen.items()}
    fitting = [i for i in taken if any(f.ok and f.judged for f in findings[i][j])]
    if fitting:  # the only candidates already play another role: a model fills one slot at most
        i = min(fitting, key=lambda i: sum(not f.ok for f in findings[i][j]))
        return (f"{models[i].label} would fit but already fills '{taken[i]}', and no other model meets any of "
                f"its constraints (a model fills one slot at most)")
    closest = min(range(len(models)), key=lambda i: (sum(f.judged and not f.ok for f in findings[i][j]),
                                                     distance(findings[i][j], misses[i][j])))
    unmet = [_words(f, misses[closest][j]) for f in findings[closest][j] if not f.ok]
    return (f"none of the {len(models)} model(s) meets any of its constraints "
            f"(closest: {models[closest].label}: {'; '.join(unmet)})")


def _reasons(m: ModelFacts, found: list, misses: list[Miss], match: SlotMatch, ctx: GradeContext) -> list[str]:
    reasons = [_words(f, misses) for f in found if not f.ok]
    if not m.trained:
        reasons.append("never finished a fit")
    if match.model_id is not None:
        winner = ctx.model(match.model_id)
        label = winner.label if winner else match.model_id
        reasons.append(f"the slot went to {label}, a better fit" if not reasons else f"the slot went to {label}")
    return reasons
