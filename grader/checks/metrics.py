"""Metric thresholds, decided on the figures the grader re-measured.

A figure only *reported* by the submission (the grader could not reload or re-evaluate the model)
earns at most the rubric's ``reported_credit`` share of the points; a verified figure that disagrees
with what the submission reported counts at its verified value, and the gap is reported.
"""

from __future__ import annotations

import math

from grader.checks.base import CheckResult, error, failed, graded, skipped
from grader.checks.context import GradeContext
from grader.checks.facts import ModelFacts
from grader.checks.environment import environment_causes, stored_figure
from grader.checks.noise import ReviewReason, borderline
from grader.checks.loopfacts import loop_skipped, metric_unjudged
from grader.rubric import names
from grader.rubric.criteria import MetricCriterion, Tiers
from grader.verify.verified import CheckedFigure, FigureStatus, VerificationStatus

# Metrics derivable from another figure: (source metric, transform).
_DERIVED = {"rmse": ("mse", math.sqrt), "relative_error": ("mape", lambda v: v / 100.0)}
_WHY_UNVERIFIED = {
    VerificationStatus.NOT_SAVED: "no saved model came out of the run",
    VerificationStatus.UNSAFE: "the saved model does not load with safe_mode (e.g. a Lambda layer)",
    VerificationStatus.ERROR: "re-evaluating the model failed",
    VerificationStatus.REPORTED_ONLY: "the verifier could not read the model file saved under the course's environment",
}


def find_figure(model: ModelFacts, metric: str, split: str) -> CheckedFigure | None:
    """The grader's figure for a metric, else one built from what the submission itself logged."""
    for name, transform in ((metric, None), _DERIVED.get(metric, (None, None))):
        if name is None:
            continue
        fig = _verified(model, name, split) or _reported(model, name, split)
        if fig is not None and transform is not None:
            update = {k: (transform(v) if v is not None else None) for k, v in
                      (("reported", fig.reported), ("verified", fig.verified))}
            if fig.interval is not None:  # both transforms are increasing, so the ends map to the ends
                update["interval"] = fig.interval.model_copy(
                    update={"low": transform(fig.interval.low), "high": transform(fig.interval.high)})
            fig = fig.model_copy(update=update)
        if fig is not None:
            return fig
    return None


def _verified(model: ModelFacts, metric: str, split: str) -> CheckedFigure | None:
    if model.verification is None:
        return None
    return next((f for f in model.verification.figures
                 if f.split == split and names.metric(f.name) == metric and f.value is not None), None)


def _reported(model: ModelFacts, metric: str, split: str) -> CheckedFigure | None:
    value = None
    if split in ("validation", "train"):
        for fit in model.fits:
            for key, series in fit.history.items():
                is_val = key.startswith("val_")
                if series and is_val == (split == "validation") and names.metric(key.removeprefix("val_")) == metric:
                    value = series[-1]  # the last fit that logged it wins: that is the final model
    else:
        for ev in model.record.evaluations:
            for key, v in ev.results.items():
                if names.metric(key) == metric:
                    value = v
    if value is None:
        return None
    return CheckedFigure(name=metric, split=split, reported=value, status=FigureStatus.REPORTED,
                         note="taken from the submission's own logs")


def fmt(metric: str, value: float) -> str:
    return f"{value:.4f}" if metric in ("accuracy", "relative_error") or abs(value) < 10 else f"{value:,.1f}"


def check_metric(c: MetricCriterion, ctx: GradeContext, model: ModelFacts | None, slot_title: str) -> CheckResult:
    if ctx.quick:
        return skipped()
    if model is None:
        if (standin := _stored_stand_in(c, ctx, None)) is not None:
            return standin
        return failed(f"no model fills the slot '{slot_title}', so there is no {c.split} {c.metric}{ctx.run_note()}")
    if model.low_level is not None:
        return loop_skipped(model.low_level, metric_unjudged(c.metric, c.split))
    v = model.verification
    if broke := ctx.blocked(model.id):
        return broke
    if v is not None and v.status == VerificationStatus.ERROR:
        return error(f"the grader could not re-measure {model.label}: {v.message or 'verification failed'}",
                     v.error_fault, model_id=model.id)
    fig = find_figure(model, c.metric, c.split)
    if fig is None or fig.value is None:
        return _stored_stand_in(c, ctx, model) or failed(_missing(c, ctx, model), model_id=model.id)
    value = fig.value
    what = f"{model.label}: {c.split} {c.metric} {fmt(c.metric, value)} (needs {c.expect})"
    repeated = v.repeated(c.metric, c.split) if v is not None and fig.status != FigureStatus.REPORTED else None
    if repeated is not None:  # re-run with other seeds (grader grade --repeat): the median decides
        value = repeated.median
        what = (f"{model.label}: {c.split} {c.metric} {repeated.describe(lambda x: fmt(c.metric, x))} "
                f"(needs {c.expect})")
    if cut := next((f for f in model.fits if f.cut), None):  # the grader's time limit stopped it mid-training
        what += (f"; measured after {cut.epochs_run} of {cut.epochs_requested or '?'} epochs, where a time limit cut "
                 f"the training: not the figure of the finished training")
    credit = _credit(c, value)
    review: list[ReviewReason] = []
    edge = None
    rows = f"{c.split} examples" if v is None or not v.measured_on or c.split != "test" else v.measured_on
    if fig.status != FigureStatus.REPORTED and fig.interval is not None:
        edge = borderline(value, fig.interval, c.expect, c.borderline)
    if edge is not None:
        credit = _credit(c, edge.judged_at)
        what += f"; {edge.describe(lambda x: fmt(c.metric, x), rows)} ({_RULE_WORDS[edge.rule]})"
        if edge.rule == "review":
            review.append(ReviewReason.BORDERLINE)
    elif fig.interval is not None and fig.status != FigureStatus.REPORTED:
        i = fig.interval
        what += f", {i.level:.0%} interval {fmt(c.metric, i.low)}-{fmt(c.metric, i.high)} over {i.n:,} {rows}"
    if fig.status == FigureStatus.REPORTED:
        cap = c.reported_credit if c.reported_credit is not None else ctx.reported_credit
        overlap = v.test_overlap if v is not None and c.split == "test" else None
        if overlap:
            rows = f"{v.test_rows:,}" if v is not None and v.test_rows else "?"
            what += (f"; not verified: the model trained on {overlap:,} of the {rows} test rows, so this is not a "
                     f"figure on unseen data; it counts as reported and is flagged for review")
            review.append(ReviewReason.TRAINED_ON_TEST)
        else:
            why = _WHY_UNVERIFIED.get(v.status, "it was not re-measured") if v else "the grader did not re-measure it"
            what += f"; only reported by the submission, not verified ({why})"
        if not model.trained:
            what += f"; the model never finished training{ctx.run_note()}"
        credit = min(credit, cap)
    elif fig.status == FigureStatus.MISMATCH and fig.reported is not None:
        what += f"; the submission reported {fmt(c.metric, fig.reported)}, the grader measured {fmt(c.metric, value)}"
    return graded(credit, what, figure_status=fig.status, model_id=model.id, borderline=edge, review=tuple(review))


def _stored_stand_in(c: MetricCriterion, ctx: GradeContext, model: ModelFacts | None) -> CheckResult | None:
    """The figure the student's own run stored, graded as *reported* (at most the rubric's reported_credit,
    flagged for review), when the re-run produced none because the grading machine lacked what the student's
    had (see grader.checks.environment). None when the failure is the student's code, or nothing was stored.

    Stored logs the re-run could not attach to a model count only when they cannot be another model's: one
    slot left empty, at most one model built."""
    causes = environment_causes(ctx.evidence)
    nb = ctx.evidence.notebook
    if not causes or nb is None or nb.stored is None:
        return None
    empty = sum(1 for mid in ctx.slot_models.values() if mid is None)
    ids: tuple[str | None, ...] = (model.id,) if model is not None else ()
    if empty <= 1 and len(ctx.models) <= 1:
        ids += (None,)
    value = stored_figure(nb.stored, c.metric, c.split, ids) if ids else None
    if value is None:
        return None
    cap = c.reported_credit if c.reported_credit is not None else ctx.reported_credit
    credit = min(_credit(c, value), cap)
    cause = causes[0]
    where = f"cell {cause.cell_index}: " if cause.cell_index is not None else ""
    what = (f"your notebook's stored output shows {c.split} {c.metric} {fmt(c.metric, value)} (needs {c.expect}); "
            f"the grader could not re-run it here ({where}{cause.sentence}), so it counts as reported "
            f"(at most {cap:g} of the points) and is flagged for review")
    return graded(credit, what, figure_status=FigureStatus.REPORTED, model_id=model.id if model else None,
                  review=(ReviewReason.REPORTED_ONLY,))


_RULE_WORDS = {"review": "the measured verdict stands; flagged for review",
               "pass": "the rubric counts a figure within noise of the bar as passing",
               "fail": "the rubric counts a figure within noise of the bar as failing"}


def _credit(c: MetricCriterion, value: float) -> float:
    return 1.0 if c.expect.contains(value) else _partial(c, value)


def _partial(c: MetricCriterion, value: float) -> float:
    if isinstance(c.partial, Tiers):
        return max((t.credit for t in c.partial.tiers if t.expect.contains(value)), default=0.0)
    if c.partial == "proportional" and c.zero_at is not None:
        edge = c.expect.low() if c.expect.low() is not None and value < c.expect.low() else c.expect.high()
        if edge is None or edge == c.zero_at:
            return 0.0
        return max(0.0, min(1.0, (value - c.zero_at) / (edge - c.zero_at)))
    return 0.0


def _missing(c: MetricCriterion, ctx: GradeContext, model: ModelFacts) -> str:
    note = ctx.run_note()
    if not model.trained:
        return f"{model.label} never finished training, so there is no {c.split} {c.metric}{note}"
    if c.split == "validation" and not model.validation:
        return f"{model.label} was trained without validation data, so there is no validation {c.metric}"
    v = model.verification
    why = f": {v.message}" if v and v.message else ""
    return (f"no {c.split} {c.metric} for {model.label}: the submission did not measure it and the grader "
            f"could not re-measure it{why}{note}")
