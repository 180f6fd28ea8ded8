"""Questions: the grader computes the true value from the evidence and looks for it in the answers.

The true value is never put in the student-facing message (it would hand out the answer); it goes
in ``detail``, which instructor reports may show.
"""

from __future__ import annotations

import statistics

from grader.checks.base import CheckResult, error, failed, passed, skipped
from grader.checks.context import GradeContext
from grader.checks.facts import ModelFacts
from grader.checks.loopfacts import loop_message, question_unjudged
from grader.checks.metrics import find_figure
from grader.checks.numbers import find_numbers, near_words, readings
from grader.rubric.criteria import QuestionCriterion
from grader.verify.verified import VerificationStatus

NEEDS_TRAINING = {"accuracy", "loss", "seconds_per_epoch", "epochs"}
_WHERE = {"markdown": "notebook markdown", "printed": "printed output"}
_COUNTS = {"trainable_params", "total_params", "weights", "biases", "epochs"}


def true_values(q: QuestionCriterion, m: ModelFacts) -> list[float]:
    """Every value that counts as the truth (verified and reported figures may both be fair answers)."""
    if q.answer in ("trainable_params", "total_params", "weights", "biases"):
        value = {"trainable_params": m.trainable_params, "total_params": m.total_params,
                 "weights": m.weights, "biases": m.biases}[q.answer]
        return [] if value is None else [float(value)]
    if q.answer in ("accuracy", "loss"):
        fig = find_figure(m, q.answer, q.split or "validation")
        return [] if fig is None else [v for v in (fig.verified, fig.reported) if v is not None]
    if q.answer == "epochs":
        return [float(m.epochs)] + [float(f.epochs_run) for f in m.fits if f.epochs_run]
    seconds = [s for f in m.fits for s in f.epoch_seconds]
    return [statistics.median(seconds), statistics.fmean(seconds)] if seconds else []


def _accepts(q: QuestionCriterion, answer: float, truth: float) -> bool:
    tol = q.tolerance
    if tol is None and q.rel_tolerance is None and q.factor is None:
        tol = 0.5 if q.answer in _COUNTS else 0.02 if q.answer == "accuracy" else None
    rel = q.rel_tolerance if q.rel_tolerance is not None else (0.1 if q.answer == "loss" else None)
    factor = q.factor if q.factor is not None else (3.0 if q.answer == "seconds_per_epoch" else None)
    diff = abs(answer - truth)
    return bool((tol is not None and diff <= tol) or (rel is not None and diff <= rel * abs(truth))
                or (factor is not None and truth > 0 and truth / factor <= answer <= truth * factor))


def check_question(q: QuestionCriterion, ctx: GradeContext, model: ModelFacts | None) -> CheckResult:
    if ctx.quick and q.answer in NEEDS_TRAINING:
        return skipped()
    if model is None:
        return failed(f"no model fills slot '{q.slot}', so this question cannot be checked{ctx.run_note()}")
    if model.low_level is not None and (why := question_unjudged(q.answer, model.low_level)):
        return skipped(loop_message(model.low_level, why))
    truths = true_values(q, model)
    if not truths:
        v = model.verification
        if v is not None and v.status == VerificationStatus.ERROR:
            return error(f"the grader could not measure {q.answer} of {model.label}: {v.message}", model_id=model.id)
        return failed(f"{model.label} has no {q.answer.replace('_', ' ')} to compare with{ctx.run_note()}",
                      model_id=model.id)
    fraction = q.answer == "accuracy"
    seen = []
    for source in q.sources:
        text = ctx.evidence.markdown if source == "markdown" else ctx.evidence.printed
        spans = near_words(text, q.near) if q.near else [(0, len(text))]
        for n in find_numbers(text):
            if not any(a <= n.start < b for a, b in spans):
                continue
            seen.append(n.text.strip())
            if any(_accepts(q, r, t) for r in readings(n, fraction=fraction) for t in truths):
                return passed(f"stated {n.text.strip()} in the {_WHERE[source]}; it matches {model.label}",
                              model_id=model.id)
    where = " or ".join(_WHERE[s] for s in q.sources)
    near = f" near {', '.join(repr(w) for w in q.near)}" if q.near else ""
    shown = f" (numbers seen{near}: {', '.join(seen[:5])})" if seen else f" (no numbers{near} there)"
    return failed(f"no answer in the {where} matches the {q.answer.replace('_', ' ')} of {model.label}{shown}",
                  model_id=model.id)


def truth_detail(q: QuestionCriterion, model: ModelFacts | None) -> str:
    if model is None:
        return ""
    vals = true_values(q, model)
    return "true value " + " / ".join(_fmt(v) for v in vals) if vals else ""


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:.4g}"
