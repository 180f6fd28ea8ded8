"""A commented rubric drafted from a reference solution's verified evidence (``grader rubric draft``).

The draft is a starting point for a rubric author, read from what the reference actually did:

* **requirements** every trained model shares: the hidden activation, the optimizer, the loss, the fewest
  epochs any model trained for (as ``>=``), and validation data when every fit had some;
* **one slot per trained model**, matched by its hidden layers (``==n`` up to two, ``>=n`` from three),
  its units when every hidden layer has the same (a 1-2-5 range around them: 8 -> ``5..10``), and trainable
  parameters rounded to round numbers. Models the other constraints cannot tell apart are separated by
  a round bound between their counts (``>=`` below the larger, ``<`` above the smaller); a model alone keeps
  a ``>=`` bound rounded down to one significant digit. Each slot requires its model to be trained;
* **metric bars** a margin under the figures the grader *verified*: accuracy floored to 0.01 then
  :data:`MARGIN` below (0.9734 -> ``>=0.95``), only for models well above chance (:data:`CHANCE`); error
  metrics (mae, mse, rmse, relative_error) at most 20% above the verified figure, rounded up;
* **artifacts** (training curves, a confusion matrix) and **parameter questions** (trainable parameters,
  weights, biases of each slot's model) are proposed, then kept only if the reference earns them: the
  draft is graded on the same evidence and every proposal the reference misses is left out (and said so
  in a comment).

So the reference earns full marks on its own draft by construction, which :func:`draft_rubric` checks.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from grader.checks.base import Outcome
from grader.checks.context import GradeContext
from grader.checks.facts import ModelFacts
from grader.rubric import names
from grader.rubric.loader import parse_rubric
from grader.rubric.model import Rubric
from grader.verify.verified import FigureStatus, VerifiedEvidence

MARGIN = 0.02
"""How far under the reference's verified accuracy (floored to 0.01) a bar is set."""
ERROR_HEADROOM = 1.2
"""How far above the reference's verified error (mae, mse, ...) a bar is set."""
CHANCE = 0.5
"""No accuracy bar for a model the reference itself leaves at or below this (it shows a failure mode)."""
_ERRORS = ("mae", "mse", "rmse", "relative_error")
_SPLITS = ("validation", "test")


@dataclass(frozen=True)
class Draft:
    text: str
    rubric: Rubric
    dropped: tuple[str, ...]
    """Proposed criteria the reference did not earn, left out of the draft (ids)."""
    unearned: tuple[str, ...] = ()
    """Criteria of the draft the reference does not pass on its own evidence: none, unless a bug."""


def round_down(value: float, digits: int = 1) -> int:
    """``value`` rounded down to ``digits`` significant digits: 407050 -> 400000."""
    if value <= 0:
        return 0
    step = 10 ** max(0, int(math.floor(math.log10(value))) - digits + 1)
    return int(value // step * step)


def between(low: int, high: int) -> int:
    """A round number above ``low`` and at most ``high`` (fewest significant digits), near their geometric mean."""
    target = math.sqrt(max(low, 1) * high)
    for digits in (1, 2, 3, 4, 5, 6):
        candidate = round_down(target, digits)
        if low < candidate <= high:
            return candidate
        up = round_down(target, digits) + 10 ** max(0, int(math.floor(math.log10(max(target, 1)))) - digits + 1)
        if low < up <= high:
            return up
    return high


def nice_range(units: int) -> str:
    """A 1-2-5 range around a unit count: 8 -> '5..10', 32 -> '20..50', 64 -> '50..100'."""
    steps = sorted({m * 10 ** e for e in range(0, 7) for m in (1, 2, 5)})
    low = max((s for s in steps if s <= units), default=1)
    high = min((s for s in steps if s > units), default=units)
    return f"{low}..{high}"


def accuracy_bar(value: float) -> float:
    return round(math.floor(value * 100 + 1e-9) / 100 - MARGIN, 2)


def error_bar(value: float) -> float:
    target = value * ERROR_HEADROOM
    if target <= 0:
        return 0.0
    step = 10 ** (math.floor(math.log10(target)) - 1)
    return float(f"{math.ceil(target / step) * step:.6g}")


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_").lower() or "model"
    if not base[0].isalnum():
        base = "m" + base
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}_{n}", n + 1
    taken.add(slug)
    return slug


def _one(values: list[Any]) -> Any:
    distinct = list(dict.fromkeys(values))
    return distinct[0] if len(distinct) == 1 else None


def _requirements(models: list[ModelFacts]) -> CommentedSeq:
    reqs = CommentedSeq()
    hidden = [layer.activation for m in models for layer in m.hidden if layer.is_compute]
    if (activation := _one(hidden)) is not None:
        reqs.append(_item(id="general.activation", part="general", title=f"Hidden layers use the {activation} activation",
                          hidden_activation=activation, points=5))
    if (optimizer := _one([m.optimizer for m in models])) is not None:
        reqs.append(_item(id="general.optimizer", part="general", title=f"{optimizer} as the optimizer",
                          optimizer=optimizer, points=5))
    if (loss := _one([m.loss for m in models])) is not None:
        losses = [loss]
        if loss == "categorical_crossentropy":  # the same loss on integer labels
            losses.append("sparse_categorical_crossentropy")
        reqs.append(_item(id="general.loss", part="general", title=f"{loss} loss", loss=losses, points=5))
    epochs = min(m.epochs for m in models)
    if epochs > 1:
        reqs.append(_item(id="general.epochs", part="general", title=f"At least {epochs} epochs of training",
                          epochs=f">={epochs}", points=5))
        reqs[-1].yaml_add_eol_comment("the fewest any reference model trained for", "epochs")
    if all(m.validation for m in models):
        reqs.append(_item(id="general.validation", part="general", title="Validation data during training",
                          validation=True, points=5))
    return reqs


def _item(**fields: Any) -> CommentedMap:
    item = CommentedMap()
    for key, value in fields.items():
        item[key] = value
    return item


def _structure(m: ModelFacts) -> tuple[str, str | None]:
    n = len(m.hidden)
    layers = f"=={n}" if n <= 2 else f">={n}"
    units = [layer.units for layer in m.hidden if layer.units is not None]
    same = _one(units) if units and len(units) == n else None
    return layers, (nice_range(same) if same is not None and n > 1 else None)


def _param_bounds(models: list[ModelFacts]) -> dict[str, tuple[str, str]]:
    """Each model's trainable-parameter bound, and the comment that says where it comes from."""
    groups: dict[tuple[str, str | None], list[ModelFacts]] = {}
    for m in models:
        groups.setdefault(_structure(m), []).append(m)
    out = {}
    for group in groups.values():
        ranked = sorted((m for m in group if m.trainable_params), key=lambda m: m.trainable_params or 0)
        for i, m in enumerate(ranked):
            params = m.trainable_params or 0
            below = between(ranked[i - 1].trainable_params or 0, params) if i > 0 else None
            above = between(params, ranked[i + 1].trainable_params or 0) if i + 1 < len(ranked) else None
            if below is not None and above is not None:
                bound = f"{below}..{above - 1}"
            elif above is not None:
                bound = f"<{above}"
            else:
                bound = f">={below if below is not None else round_down(params)}"
            out[m.id] = (bound, f"the reference's model has {params:,}")
    return out


def _metrics(m: ModelFacts, slot_id: str) -> tuple[CommentedSeq, list[str]]:
    out, notes = CommentedSeq(), []
    if m.verification is None:
        return out, ["no metric bars: the grader did not verify this model's figures"]
    for fig in m.verification.figures:
        metric = names.metric(fig.name) if fig.split in _SPLITS else None
        if metric is None or fig.verified is None or fig.status == FigureStatus.REPORTED:
            continue
        if metric == "accuracy":
            if fig.verified <= CHANCE:
                notes.append(f"no {fig.split} accuracy bar: the reference itself reached only {fig.verified:.4f}")
                continue
            expect = f">={accuracy_bar(fig.verified):.2f}"
        elif metric in _ERRORS:
            expect = f"<={error_bar(fig.verified):g}"
        else:
            continue
        item = _item(id=f"{slot_id}.{fig.split}_{metric}", title=f"{fig.split.capitalize()} {metric} {expect}",
                     metric=metric, split=fig.split, expect=expect, points=4)
        item.yaml_add_eol_comment(f"the reference's verified figure: {fig.verified:.4f}", "expect")
        out.append(item)
    return out, notes


def _slots(models: list[ModelFacts], ctx: GradeContext) -> tuple[CommentedSeq, dict[str, str]]:
    slots, ids, taken = CommentedSeq(), {}, set()
    bounds = _param_bounds(models)
    for m in models:
        sid = _slug(m.record.name or m.id, taken)
        ids[m.id] = sid
        layers, units = _structure(m)
        match = CommentedMap(hidden_layers=layers)
        if units is not None:
            match["units"] = units
        if m.id in bounds:
            match["trainable_params"] = bounds[m.id][0]
            match.yaml_add_eol_comment(bounds[m.id][1], "trainable_params")
        hidden = ", ".join(str(layer.units or layer.filters or layer.kind) for layer in m.hidden)
        title = f"{len(m.hidden)} hidden layer(s)" + (f" of {units} units" if units else "") + (
            f", {bounds[m.id][0]} trainable parameters" if m.id in bounds else "")
        slot = _item(id=sid, part="models", title=title,
                     points=8, partial="proportional", match=match)
        slot["require"] = CommentedSeq([_item(id=f"{sid}.trained", title=f"{m.record.name or m.id} was trained",
                                              trained=True, points=2)])
        metrics, notes = _metrics(m, sid)
        if metrics:
            slot["metrics"] = metrics
        slot.yaml_set_start_comment(f"{m.label}: hidden layers {hidden or 'none'}, {m.trainable_params or 0:,} "
                                    f"trainable parameters, {m.epochs} epochs" + "".join(f"\n{n}" for n in notes),
                                    indent=2)
        slots.append(slot)
    return slots, ids


def _questions(models: list[ModelFacts], ids: dict[str, str]) -> CommentedSeq:
    out = CommentedSeq()
    for m in models:
        for answer, near, points in (("trainable_params", "param", 2), ("weights", "weight", 1), ("biases", "bias", 1)):
            q = _item(id=f"{ids[m.id]}.q.{answer}", part="models", slot=ids[m.id], answer=answer,
                      near=CommentedSeq([near]), points=points, title=f"{m.record.name or m.id}: {answer.replace('_', ' ')} stated")
            q["near"].fa.set_flow_style()
            q.fa.set_flow_style()
            out.append(q)
    return out


def _artifacts() -> CommentedSeq:
    return CommentedSeq([
        _item(id="general.curves", part="general", title="Training and validation curves plotted",
              artifact="training_curves", min_lines=2, points=5),
        _item(id="general.confusion", part="general", title="A confusion matrix plotted",
              artifact="confusion_matrix", points=5),
    ])


def _dump(doc: CommentedMap) -> str:
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # one line per flow-style question
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def draft_rubric(verified: VerifiedEvidence, *, rubric_id: str, title: str, reference: str) -> Draft:
    """The draft rubric for the reference whose verified evidence is ``verified`` (see the module docstring)."""
    from grader.grading.grade import grade

    ctx = GradeContext.build(verified)
    models = [m for m in ctx.models if m.trained and m.low_level is None]
    ev = verified.evidence
    doc = CommentedMap()
    doc["id"] = rubric_id
    doc["title"] = title
    doc["version"] = "0.1"
    doc["summary"] = (f"Drafted from {reference}: {len(models)} trained model(s). Review every bound, bar, "
                      f"title and feedback before grading with it.")
    if ev.datasets:
        doc["datasets"] = CommentedSeq(ev.datasets)
        doc["datasets"].fa.set_flow_style()
    doc["limits"] = CommentedMap(timeout_s=max(600, int(math.ceil(ev.run.duration_s * 3 / 60)) * 60))
    doc["limits"].yaml_add_eol_comment(f"three times the reference's run ({ev.run.duration_s:.0f} s), at least 600",
                                       "timeout_s")
    doc["continue_on_error"] = True
    doc["reported_credit"] = 0
    doc.yaml_add_eol_comment("metric figures must be verified by the grader to earn points", "reported_credit")
    doc["parts"] = CommentedSeq([_item(id="general", title="Rules for every model"),
                                 _item(id="models", title="The models")])
    if models:
        doc["requirements"] = _requirements(models)
        doc["slots"], ids = _slots(models, ctx)
    else:
        ids = {}
    doc["artifacts"] = _artifacts()
    doc["questions"] = _questions(models, ids)
    doc.yaml_set_start_comment(
        "yaml-language-server: $schema=rubric.schema.json\n\n"
        f"DRAFT rubric, written by `grader rubric draft` from the reference {reference}.\n"
        f"Bounds are rounded from the reference's models; metric bars sit {MARGIN} under its verified accuracy\n"
        "(floored to 0.01). Artifacts and questions the reference does not earn are left out.")
    # Keep only what the reference earns among the proposals (artifacts, questions); say what went.
    rubric = parse_rubric(_dump(doc), file="<draft>")
    result = grade(verified, rubric)
    missed = {c.id for c in result.criteria if c.outcome != Outcome.PASSED}
    dropped: list[str] = []
    for key in ("artifacts", "questions"):
        kept = CommentedSeq([item for item in doc[key] if item["id"] not in missed])
        dropped += [item["id"] for item in doc[key] if item["id"] in missed]
        if kept:
            doc[key] = kept
        else:
            del doc[key]
    if dropped:
        last = "questions" if "questions" in doc else "artifacts" if "artifacts" in doc else "parts"
        doc.yaml_set_comment_before_after_key(
            last, before=f"Left out (the reference does not earn them): {', '.join(dropped)}", indent=0)
    text = _dump(doc)
    final = parse_rubric(text, file="<draft>")
    unearned = tuple(c.id for c in grade(verified, final).criteria if c.outcome != Outcome.PASSED)
    return Draft(text=text, rubric=final, dropped=tuple(dropped), unearned=unearned)
