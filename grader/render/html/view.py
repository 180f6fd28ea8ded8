"""What a report shows, decided once in Python so templates only lay it out.

The result arrives with its audience applied (:mod:`grader.render.audience`): a concealed criterion
shows as hidden, an answer shows the grader's value when the result still carries it. Every string
that came from the submission goes through :func:`for_html`; escaping is the template engine's job
(autoescape is on).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.checks.base import Outcome
from grader.checks.noise import review_text
from grader.evidence.seeding import seed_line
from grader.grading.result import CriterionResult, GradeResult
from grader.render.safe import for_html, num, pts, seconds

QUESTION_CHECK = "questions.answer"


@dataclass(frozen=True)
class OverrideView:
    """A TA's override beside the grader's own verdict (shown side by side)."""

    applied: bool
    original_verdict: str
    original_points: str
    verdict: str
    points: str
    comment: str
    reviewer: str  # '' in a student's copy
    when: str


@dataclass(frozen=True)
class HistoryView:
    when: str
    reason: str
    score: str  # '7 -> 8 / 10'
    detail: str
    reviewer: str


@dataclass(frozen=True)
class CriterionView:
    id: str
    title: str
    verdict: str  # passed/failed/error/skipped, or 'hidden' for a concealed criterion
    points: str
    max_points: str
    message: str = ""
    feedback: str = ""
    detail: str = ""
    figure_status: str | None = None
    bonus: bool = False
    concealed: bool = False
    review: str = ""  # why a person should look at this verdict, in words ('' when nothing asks)
    override: OverrideView | None = None


@dataclass(frozen=True)
class PartView:
    title: str
    score: str
    max_score: str
    criteria: list[CriterionView] = field(default_factory=list)


@dataclass(frozen=True)
class AnswerView:
    title: str
    verdict: str
    stated: str
    truth: str


def criterion_view(c: CriterionResult) -> CriterionView:
    if c.concealed:
        return CriterionView(id="", title=for_html(c.title), verdict="hidden", points="–", max_points="–",
                             bonus=c.bonus, concealed=True)
    skipped = c.outcome == Outcome.SKIPPED
    return CriterionView(
        id=c.id, title=for_html(c.title), verdict=c.outcome.value, points="–" if skipped else pts(c.points),
        max_points=pts(c.max_points), message=for_html(c.message), feedback=for_html(c.feedback),
        detail=for_html(c.detail),
        figure_status=c.figure_status.value if c.figure_status else None, bonus=c.bonus, review=review_text(c.review_reasons, c.borderline),
        override=override_view(c))


def override_view(c: CriterionResult) -> OverrideView | None:
    o = c.override
    if o is None:
        return None
    from grader.review.history_text import when

    return OverrideView(applied=o.applied, original_verdict=o.original_outcome.value, original_points=pts(o.original_points),
                        verdict=o.outcome.value, points=pts(o.points), comment=for_html(o.comment),
                        reviewer=for_html(o.reviewer), when=when(o.created))


def history_views(r: GradeResult) -> list[HistoryView]:
    """Every change of the grade, newest first."""
    from grader.review.history_text import score_change, when

    return [HistoryView(when(e.time), e.reason.value.replace("_", " "), score_change(e), for_html(e.detail),
                        for_html(e.reviewer)) for e in reversed(r.history)]


def part_views(r: GradeResult) -> list[PartView]:
    known = {p.id for p in r.parts}
    out = [PartView(for_html(p.title), pts(p.score), pts(p.max_score),
                    [criterion_view(c) for c in r.criteria if c.part == p.id]) for p in r.parts]
    stray = [criterion_view(c) for c in r.criteria if c.part not in known]
    if stray:  # a result written by another grader version may carry parts we do not list
        out.append(PartView("Other", "", "", stray))
    return out


def answer_views(r: GradeResult) -> list[AnswerView]:
    """Question criteria: what the student wrote next to what the grader computed (instructor copies
    carry the true value; a student's copy does not)."""
    return [AnswerView(for_html(c.title), c.outcome.value, for_html(c.message), c.truth())
            for c in r.criteria if c.check == QUESTION_CHECK and not c.concealed]


def run_facts(r: GradeResult) -> list[tuple[str, str]]:
    run = r.evidence.evidence.run
    lim = run.limits
    facts = [("Run status", f"{run.status.value}: {for_html(run.message)}"),
             ("Isolation", run.isolation.value + (f" ({'; '.join(for_html(n) for n in run.isolation_notes)})"
                                                 if run.isolation_notes else "")),
             ("Limits", (f"{seconds(lim.timeout_s)} total ({lim.timeout_source.value}), "
                         + (f"{seconds(lim.cell_timeout_s)} per cell ({lim.cell_timeout_source.value}), "
                            if lim.cell_timeout_s is not None else "no separate limit per cell, ")
                         + f"{lim.memory_mb:,} MiB memory, {lim.cpus} CPU thread(s), {lim.output_mb} MiB output")),
             ("Seed", for_html(seed_line(run))),
             ("Total time", seconds(run.duration_s))]
    epoch_times = [f"{m.id}" + (f" fit {f.index + 1}" if len(m.fits) > 1 else "")
                   + f": {seconds(sum(f.epoch_seconds) / len(f.epoch_seconds))} × {len(f.epoch_seconds)}"
                   for m in r.evidence.evidence.models for f in m.fits if f.epoch_seconds]
    if epoch_times:  # one line for all fits: a run may train dozens of models
        facts.append(("Time per epoch (mean × epochs)", "; ".join(epoch_times)))
    if run.cells_total is not None:
        facts.append(("Cells run", f"{run.cells_run if run.cells_run is not None else '–'} of {run.cells_total}"))
    if run.exit_code is not None or run.signal is not None:
        facts.append(("Exit", f"code {run.exit_code}" + (f", signal {run.signal}" if run.signal else "")))
    if run.peak_memory_mb is not None:
        facts.append(("Peak memory", f"{num(run.peak_memory_mb, 4)} MiB"))
    if run.versions:
        from grader.intake.environments import environment_line

        facts.append(("Environment", environment_line(run.python, run.versions)))
    elif run.python:
        facts.append(("Versions", f"Python {run.python}"))
    if r.quick or run.quick:
        facts.append(("Quick mode", "yes: data and epochs were cut, so metrics are not meaningful"))
    if run.compat:
        shims = r.evidence.evidence.shims
        what = f"Keras 2 calls accepted on Keras 3 ({len(shims)} place(s) listed below)" if shims \
            else "no Keras 2 call needed it"
        facts.append(("Compatibility mode", f"{for_html(run.compat)}: {what}"))
    return facts
