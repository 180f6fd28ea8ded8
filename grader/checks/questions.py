"""Questions: the grader computes the true value from the evidence and looks for it in the answers.

The true value is never put in the student-facing message (it would hand out the answer); it goes
in ``detail``, which instructor reports may show.

Answers are the student's own words only: markdown cells and the lines their code printed, never
Keras's output (summary tables, training logs), warnings or the grader's notes
(:mod:`grader.evidence.stored_outputs` tells them apart). In a notebook, an answer counts for the model
whose part of the notebook it sits in (from the cell that compiles, trains or evaluates it to the next
cell that touches another model), so a number written about one network cannot answer a question about
another. Where an accepted answer was found travels as a typed :class:`AnswerSource`.

Tolerances by answer type, unless the question sets ``tolerance``, ``rel_tolerance`` or ``factor``:

* counts (``trainable_params``, ``total_params``, ``weights``, ``biases``, ``epochs``): exact (within 0.5);
* ``accuracy``: within 0.02 absolute; '97.3', '97.3%' and '0.973' all read as 0.973;
* ``loss``: within 10% of the true value;
* ``seconds_per_epoch``: within a factor of 3, against the student's own epoch times (their machine) when
  the notebook's stored training log shows them, else the grader's re-run.

An accuracy, loss or epoch count may match either the grader's figures or the notebook's stored run
(the student's run, which they describe): both are fair answers about the same model.
"""

from __future__ import annotations

import statistics

from grader.checks.base import CheckResult, error, failed, passed, skipped
from grader.checks.context import GradeContext
from grader.checks.facts import ModelFacts
from grader.checks.loopfacts import loop_skipped, question_unjudged
from grader.checks.metrics import find_figure
from grader.checks.numbers import find_numbers, near_words, readings
from grader.evidence.reported import AnswerSource, Passage, ReportedRun
from grader.evidence.stored_outputs import belongs, student_text
from grader.rubric.criteria import QuestionCriterion
from grader.verify.verified import VerificationStatus

NEEDS_TRAINING = {"accuracy", "loss", "seconds_per_epoch", "epochs"}
_WHERE = {"markdown": "notebook markdown", "printed": "printed output"}
_COUNTS = {"trainable_params", "total_params", "weights", "biases", "epochs"}


def true_values(q: QuestionCriterion, m: ModelFacts, stored: ReportedRun | None = None) -> list[float]:
    """Every value that counts as the truth (verified and reported figures may both be fair answers).

    ``stored`` is the notebook's stored run: its figures for this model count too, and its epoch
    times replace the re-run's for seconds per epoch (the question is about the student's machine).
    """
    own = _stored_truths(q, m.id, stored)
    if q.answer == "seconds_per_epoch" and own:
        return own
    return _rerun_truths(q, m) + [v for v in own if q.answer != "seconds_per_epoch"]


def _stored_truths(q: QuestionCriterion, model_id: str, stored: ReportedRun | None) -> list[float]:
    if stored is None:
        return []
    fits = stored.fits_of(model_id)
    if q.answer == "seconds_per_epoch":
        seconds = [s for f in fits for s in f.epoch_seconds if s > 0]
        return [statistics.median(seconds), statistics.fmean(seconds)] if seconds else []
    if q.answer == "epochs":
        return [float(len(f.epochs)) for f in fits if f.epochs]
    if q.answer in ("accuracy", "loss"):
        split = q.split or "validation"
        if split == "test":
            vals = [e.metrics.get(q.answer) for e in stored.evaluations if e.model_id == model_id]
        else:
            vals = [f.final(("val_" if split == "validation" else "") + q.answer) for f in fits[-1:]]
        return [v for v in vals if v is not None]
    return []


def _rerun_truths(q: QuestionCriterion, m: ModelFacts) -> list[float]:
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
        return loop_skipped(model.low_level, why)
    stored = ctx.evidence.notebook.stored if ctx.evidence.notebook is not None else None
    truths = true_values(q, model, stored)
    if not truths:
        v = model.verification
        if v is not None and v.status == VerificationStatus.ERROR:
            return error(f"the grader could not measure {q.answer} of {model.label}: {v.message}", v.error_fault, model_id=model.id)
        return failed(f"{model.label} has no {q.answer.replace('_', ' ')} to compare with{ctx.run_note()}",
                      model_id=model.id)
    fraction = q.answer == "accuracy"
    seen = []
    for source in q.sources:
        for passage in answer_passages(ctx, model.id, source, anywhere=q.anywhere):
            text = passage.text
            spans = near_words(text, q.near) if q.near else [(0, len(text))]
            for n in find_numbers(text):
                if not any(a <= n.start < b for a, b in spans):
                    continue
                seen.append(n.text.strip())
                if any(_accepts(q, r, t) for r in readings(n, fraction=fraction) for t in truths):
                    found = _source(passage, n.text.strip(), n.start)
                    return passed(f"stated {n.text.strip()} in {found.where()}; it matches {model.label}",
                                  model_id=model.id, answer=found)
    where = " or ".join(_WHERE[s] for s in q.sources)
    near = f" near {', '.join(repr(w) for w in q.near)}" if q.near else ""
    part = " (in its part of the notebook)" if _attributed(ctx) and not q.anywhere else ""
    shown = f" (numbers seen{near}: {', '.join(seen[:5])})" if seen else f" (no numbers{near} there)"
    return failed(f"no answer in the {where}{part} matches the {q.answer.replace('_', ' ')} of {model.label}{shown}",
                  model_id=model.id)


def _attributed(ctx: GradeContext) -> bool:
    nb = ctx.evidence.notebook
    return nb is not None and len({t.model_id for t in nb.touches}) > 1


def answer_passages(ctx: GradeContext, model_id: str, source: str, *, anywhere: bool = False) -> list[Passage]:
    """The student's own words of one kind ('markdown' or 'printed') that may answer about this model
    (with ``anywhere``, in the whole notebook).

    Without a notebook record (a script, or evidence from before it existed) the whole markdown and the
    printed text with Keras's output removed, unattributed.
    """
    ev = ctx.evidence
    nb = ev.notebook
    flat = [Passage(source="markdown", text=ev.markdown)] if source == "markdown" else [
        Passage(source="printed", run="rerun", text=student_text(ev.printed))]
    if nb is None:
        return flat
    found = [p for p in nb.passages
             if p.source == source and (anywhere or belongs(nb.touches, model_id, p.cell_index))]
    if source == "printed" and not any(p.run == "rerun" for p in nb.passages) and not _attributed(ctx):
        found += flat  # the re-run left no executed copy (it was stopped): its captured text, unattributed
    return found


def _source(passage: Passage, number: str, start: int) -> AnswerSource:
    text = passage.text
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line = text[line_start:line_end if line_end >= 0 else len(text)].strip()
    return AnswerSource(cell_index=passage.cell_index, source=passage.source, run=passage.run, text=number,
                        excerpt=line[:200])


def truth_detail(q: QuestionCriterion, model: ModelFacts | None, stored: ReportedRun | None = None) -> str:
    if model is None:
        return ""
    vals = true_values(q, model, stored)
    return "true value " + " / ".join(_fmt(v) for v in vals) if vals else ""


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:.4g}"
