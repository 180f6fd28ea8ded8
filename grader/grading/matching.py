"""Assigning models to slots: one optimal assignment, not first come, first served.

The cost of putting model *i* in slot *j* is lexicographic, built from weights so one
``linear_sum_assignment`` call decides it:

1. pairs where the model meets none of the slot's match constraints are avoided (such a slot
   stays empty rather than being graded on an unrelated model);
2. models that never finished a fit rank below trained ones;
3. fewer unmet match constraints is better;
4. ties are broken by how many match constraints could not be judged (a hand-written training
   loop's activations, say) and how well the model does on the slot's own criteria.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy.optimize import linear_sum_assignment

from grader.checks.constraints import decide
from grader.checks.context import GradeContext
from grader.checks.facts import ModelFacts
from grader.rubric.model import Slot


@dataclass(frozen=True)
class SlotMatch:
    slot_id: str
    model_id: str | None
    unmet: list[str] = field(default_factory=list)
    why_empty: str = ""


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

    pairs = min(len(models), len(slots))
    w_unmet = 2 * pairs + 1.0  # all tie-breaks together (each below 2) stay below one unmet constraint
    w_untrained = w_unmet * (sizes.sum() + 1.0)
    w_ineligible = w_untrained * (pairs + 1.0)
    cost = (~eligible) * w_ineligible + untrained * w_untrained + unmet * w_unmet + tiebreak
    rows, cols = linear_sum_assignment(cost)

    chosen = {int(j): int(i) for i, j in zip(rows, cols) if eligible[i, j]}
    result: dict[str, SlotMatch] = {}
    for j, slot in enumerate(slots):
        if j in chosen:
            i = chosen[j]
            result[slot.id] = SlotMatch(slot.id, models[i].id,
                                        [f.words for f in findings[i][j] if not f.ok or not f.judged])
        else:
            result[slot.id] = SlotMatch(slot.id, None, why_empty=_why_empty(models, findings, j, chosen, slots))
    assigned = set(chosen.values())
    rejections = {
        m.id: {slot.id: _reasons(m, findings[i][j], result[slot.id], ctx) for j, slot in enumerate(slots)}
        for i, m in enumerate(models) if i not in assigned
    }
    return Matching(result, rejections)


def _why_empty(models: list[ModelFacts], findings: list[list[list]], j: int, chosen: dict[int, int],
               slots: list[Slot]) -> str:
    taken = {i: slots[k].id for k, i in chosen.items()}
    fitting = [i for i in taken if any(f.ok and f.judged for f in findings[i][j])]
    if fitting:  # the only candidates already play another role: a model fills one slot at most
        i = min(fitting, key=lambda i: sum(not f.ok for f in findings[i][j]))
        return (f"{models[i].label} would fit but already fills '{taken[i]}', and no other model meets any of "
                f"its constraints (a model fills one slot at most)")
    closest = min(range(len(models)), key=lambda i: sum(f.judged and not f.ok for f in findings[i][j]))
    unmet = [f.words for f in findings[closest][j] if not f.ok]
    return (f"none of the {len(models)} model(s) meets any of its constraints "
            f"(closest: {models[closest].label}: {'; '.join(unmet)})")


def _reasons(m: ModelFacts, found: list, match: SlotMatch, ctx: GradeContext) -> list[str]:
    reasons = [f.words for f in found if not f.ok]
    if not m.trained:
        reasons.append("never finished a fit")
    if match.model_id is not None:
        winner = ctx.model(match.model_id)
        label = winner.label if winner else match.model_id
        reasons.append(f"the slot went to {label}, a better fit" if not reasons else f"the slot went to {label}")
    return reasons
