"""Artifacts: training curves, a confusion matrix, a model that was saved and reloads safely."""

from __future__ import annotations

import re

from grader.checks.base import CheckResult, graded
from grader.checks.context import GradeContext
from grader.checks.facts import ModelFacts
from grader.checks.loopfacts import artifact_unjudged, loop_skipped
from grader.evidence.model import AxesInfo, FigureRecord
from grader.rubric.criteria import ArtifactCriterion, Tiers
from grader.verify.verified import VerificationStatus

_TRUE_AXIS = re.compile(r"true|actual|label|target", re.I)


def check_artifact(c: ArtifactCriterion, ctx: GradeContext, model: ModelFacts | None) -> CheckResult:
    if c.slot is not None and model is None:
        return graded(0.0, f"no model fills slot '{c.slot}', so it has no {c.artifact.replace('_', ' ')}{ctx.run_note()}")
    if model is not None and model.low_level is not None and (
            why := artifact_unjudged(c.artifact, c.require_history_match)):
        return loop_skipped(model.low_level, why)
    models = [model] if model is not None else list(ctx.models)
    if c.artifact == "training_curves":
        found, note = _curves(c, ctx.evidence.figures, models)
    elif c.artifact == "confusion_matrix":
        found, note = _confusions(c, ctx.evidence.figures)
    else:
        found, note = _saved(models)
    message = f"{found}{note}; needs {c.min_count}"
    if found == 0:
        message += ctx.run_note()
    return graded(_credit(c, found), message)


def _credit(c: ArtifactCriterion, found: int) -> float:
    if found >= c.min_count:
        return 1.0
    if isinstance(c.partial, Tiers):
        return max((t.credit for t in c.partial.tiers if t.expect.contains(found)), default=0.0)
    return found / c.min_count if c.partial == "proportional" else 0.0


def _series(models: list[ModelFacts]) -> list[tuple[bool, list[float]]]:
    """(is_validation, values) for every history series the models' fits recorded."""
    return [(key.startswith("val_"), list(vals)) for m in models for fit in m.fits
            for key, vals in fit.history.items() if len(vals) >= 2]


def _same(line: list[float], series: list[float]) -> bool:
    n = min(len(series), 2000)  # evidence keeps the first 2,000 points of a line
    if len(line) != n:
        return False
    return all(abs(a - b) <= 1e-4 + 1e-3 * abs(b) for a, b in zip(line, series[:n]))


def _axes_matches(ax: AxesInfo, series: list[tuple[bool, list[float]]]) -> bool:
    kinds = {is_val for line in ax.lines for is_val, vals in series if _same(line.y, vals)}
    return kinds == {True, False}


def _curves(c: ArtifactCriterion, figures: list[FigureRecord], models: list[ModelFacts]) -> tuple[int, str]:
    series = _series(models)
    plotted = [f for f in figures if any(len(ax.lines) >= c.min_lines for ax in f.axes)]
    matched = [f for f in plotted if any(_axes_matches(ax, series) for ax in f.axes)]
    if c.require_history_match:
        note = "" if matched else (f"; {len(plotted)} figure(s) have {c.min_lines}+ lines but none shows a fit's "
                                   "recorded training and validation history" if plotted else "")
        return len(matched), f" training/validation plot(s) matching a fit's history{note}"
    suffix = f"; {len(matched)} of them match a fit's recorded history" if plotted else ""
    return len(plotted), f" figure(s) with {c.min_lines}+ lines{suffix}"


def _is_confusion(fig: FigureRecord, n: int) -> bool:
    if "confusion" in fig.suptitle.lower():
        return True
    for ax in fig.axes:
        text = f"{ax.title} {ax.xlabel} {ax.ylabel}".lower()
        if "confusion" in text or any(shape[:2] == [n, n] for shape in ax.images):
            return True
        if "predict" in ax.xlabel.lower() and _TRUE_AXIS.search(ax.ylabel):
            return True  # a heatmap with predicted/true axes, as seaborn users draw it
    return False


def _confusions(c: ArtifactCriterion, figures: list[FigureRecord]) -> tuple[int, str]:
    return sum(1 for f in figures if _is_confusion(f, c.classes)), f" confusion matrix figure(s) ({c.classes}x{c.classes})"


def _saved(models: list[ModelFacts]) -> tuple[int, str]:
    ok = [m for m in models if m.verification is not None and m.verification.status == VerificationStatus.VERIFIED]
    unsafe = [m.label for m in models if m.verification is not None
              and m.verification.status == VerificationStatus.UNSAFE]
    note = f"; {', '.join(unsafe)} would not reload with safe_mode" if unsafe else ""
    return len(ok), f" trained model(s) saved and reloaded safely{note}"
