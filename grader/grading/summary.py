"""Totals and the overall status of a grade (what exit codes are made of)."""

from __future__ import annotations

from grader.checks.base import Outcome
from grader.grading.result import CriterionResult, GradeStatus
from grader.verify.verified import VerifiedEvidence


def totals(criteria: list[CriterionResult], evidence: VerifiedEvidence
           ) -> tuple[float, float, float, dict[str, int], GradeStatus]:
    checked = [c for c in criteria if c.outcome != Outcome.SKIPPED]
    score = round(sum(c.points for c in checked), 4)
    max_score = round(sum(c.max_points for c in checked if not c.bonus), 4)
    skipped_points = round(sum(c.max_points for c in criteria if c.outcome == Outcome.SKIPPED and not c.bonus), 4)
    counts = {o.value: sum(1 for c in criteria if c.outcome == o) for o in Outcome}
    if evidence.faults or counts["error"]:
        status = GradeStatus.ERROR  # the grade is incomplete: never report it as a plain pass or fail
    elif any(c.outcome == Outcome.FAILED and not c.bonus for c in criteria):  # extra credit fails nothing
        status = GradeStatus.FAILED
    else:
        status = GradeStatus.PASSED
    return score, max_score, skipped_points, counts, status
