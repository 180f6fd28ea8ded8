"""Why a result asks for a person to look, and what a run that did not run cleanly failed on.

A result's review flags (:class:`ReviewFlag`) are each flagged criterion's reasons (borderline, trained on
test, the stored run against the re-run, a changed override, a reported-only figure), then the run's own:
an adaptation to the grading machine that changed what ran, and a failure that the environment explains
(grader.checks.environment). The grade stands; the flags say where a TA should look. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import Field

from grader.checks.base import Outcome
from grader.checks.environment import behaviour_adaptations, environment_causes
from grader.checks.noise import ReviewReason, review_text
from grader.evidence.model import Evidence, Frozen, RunStatus
from grader.grading.result import CriterionResult, GradeResult, ReviewFlag
from grader.verify.verified import FigureStatus

MAX_ADAPTATION_FLAGS = 5


def review_flags(evidence: Evidence, criteria: Sequence[CriterionResult]) -> tuple[ReviewFlag, ...]:
    """Every reason this result asks for review, criteria first (rubric order), then the run's."""
    flags: list[ReviewFlag] = []
    for c in criteria:
        for reason in c.review_reasons:
            words = (c.run_comparison.message() if reason is ReviewReason.STORED_RUN and c.run_comparison
                     else review_text((reason,), c.borderline))
            flags.append(ReviewFlag(reason=reason, detail=f"{c.title}: {words}", criterion_id=c.id))
        # A figure only the submission reported (the model could not be re-measured) that decided the verdict.
        if (c.figure_status is FigureStatus.REPORTED and c.outcome in (Outcome.PASSED, Outcome.FAILED)
                and not {ReviewReason.REPORTED_ONLY, ReviewReason.TRAINED_ON_TEST} & set(c.review_reasons)):
            flags.append(ReviewFlag(reason=ReviewReason.REPORTED_ONLY, criterion_id=c.id,
                                    detail=f"{c.title}: {review_text((ReviewReason.REPORTED_ONLY,), None)}"))
    adapted = behaviour_adaptations(evidence)
    for line in adapted[:MAX_ADAPTATION_FLAGS]:
        flags.append(ReviewFlag(reason=ReviewReason.ADAPTATION, detail=f"adapted to the grading machine: {line}"))
    if len(adapted) > MAX_ADAPTATION_FLAGS:
        flags.append(ReviewFlag(reason=ReviewReason.ADAPTATION,
                                detail=f"and {len(adapted) - MAX_ADAPTATION_FLAGS} more adaptations"))
    seen = set()
    for cause in environment_causes(evidence):
        if cause.sentence in seen:
            continue
        seen.add(cause.sentence)
        where = f"cell {cause.cell_index}: " if cause.cell_index is not None else ""
        flags.append(ReviewFlag(reason=ReviewReason.ENVIRONMENT, detail=f"{where}{cause.sentence}"))
    return tuple(flags)


class RootCause(Frozen):
    """What a run that did not run cleanly failed on first, and the shape it shares with other runs' causes."""

    sentence: str = Field(description="The cause, in words ('could not read /content/drive/...: ...').")
    shape: str = Field(description="The sentence with its particulars (cell numbers, numbers, quoted names, paths) "
                                   "masked: runs whose causes have the same shape failed the same way.")
    environment: bool = Field(description="The environment explains it (see grader.checks.environment).")


def ran_cleanly(evidence: Evidence) -> bool:
    run = evidence.run
    return run.status is RunStatus.COMPLETED and not run.cell_errors and run.script_error is None


def root_cause(evidence: Evidence) -> RootCause | None:
    """Why the run did not run cleanly, where it started; None when it did."""
    if ran_cleanly(evidence):
        return None
    causes = environment_causes(evidence)
    if causes:
        return _cause(causes[0].sentence, environment=True)
    run = evidence.run
    if run.cell_errors:
        first = min(run.cell_errors, key=lambda e: e.cell_index)
        cascade = next((c for c in evidence.cascades if c.cell_index == first.cell_index), None)
        if cascade is not None and cascade.cause:
            return _cause(cascade.cause, environment=False)
        return _cause(f"{first.ename}: {first.evalue[:200]}" if first.evalue else first.ename, environment=False)
    if run.script_error is not None:
        e = run.script_error
        return _cause(f"{e.ename}: {e.evalue[:200]}" if e.evalue else e.ename, environment=False)
    return _cause(f"the run ended early ({run.status.value}: {run.message[:200]})", environment=False)


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")
# A path's folders may hold spaces (Colab's '/content/drive/My Drive/...'); its last part may not.
_PATH = re.compile(r"(?:[A-Za-z]:)?[\\/]?[\w.~-]+[\\/](?:[\w.~-]+(?: [\w.~-]+)*[\\/])*[\w.-]*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def cause_shape(sentence: str) -> str:
    """'could not read /content/drive/a.csv: ...row 3' -> 'could not read <path>: ...row <n>'."""
    text = _QUOTED.sub("<name>", sentence)
    text = _PATH.sub("<path>", text)
    return _NUMBER.sub("<n>", text).strip()


def _cause(sentence: str, *, environment: bool) -> RootCause:
    return RootCause(sentence=sentence, shape=cause_shape(sentence), environment=environment)


class CauseGroup(Frozen):
    """Runs that did not run cleanly for the same-shaped cause."""

    shape: str
    example: str = Field(description="The first run's cause as written.")
    environment: bool
    submissions: list[str] = Field(description="The runs' submission paths, in the order given.")

    @property
    def count(self) -> int:
        return len(self.submissions)


def group_root_causes(results: Sequence[GradeResult], names: Sequence[str] | None = None) -> list[CauseGroup]:
    """The results that did not run cleanly, grouped by the shape of their root cause, largest group first
    (then in order of first appearance). ``names`` name the results (default: their submission paths)."""
    groups: dict[str, CauseGroup] = {}
    for i, r in enumerate(results):
        cause = root_cause(r.evidence.evidence)
        if cause is None:
            continue
        name = names[i] if names is not None else r.submission.path
        g = groups.get(cause.shape)
        groups[cause.shape] = (g.model_copy(update={"submissions": [*g.submissions, name]}) if g else
                               CauseGroup(shape=cause.shape, example=cause.sentence, environment=cause.environment,
                                          submissions=[name]))
    return sorted(groups.values(), key=lambda g: -g.count)
