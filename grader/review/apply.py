"""Overrides applied to a grade: a pure function of the grade, the stored overrides and the rubric's definitions.

The pipeline stores the grader's own result and applies overrides each time it reports, so an override
survives every re-grade and a rubric change cannot silently carry a TA's verdict onto a criterion that now
means something else: an override is applied while the criterion's definition hashes the same as when the
TA made it; otherwise it is kept on the criterion, not applied, and flagged
(:attr:`~grader.checks.noise.ReviewReason.OVERRIDE_CHANGED`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

from grader.checks.base import Outcome
from grader.checks.noise import ReviewReason
from grader.grading.result import CriterionResult, GradeResult, PartScore
from grader.grading.review import review_flags
from grader.grading.summary import totals
from grader.review.model import Override, OverrideNote
from grader.rubric.model import Rubric


def criterion_definitions(rubric: Rubric) -> dict[str, str]:
    """Criterion id -> sha256 of what defines it: its own fields, and the part and extra credit it takes from
    its slot. A slot's definition leaves out the criteria nested in it (each has its own)."""
    out = {}
    for item, slot in rubric.criteria():
        own = item.model_dump(mode="json", exclude={"require", "metrics"} if item is slot else None)
        text = json.dumps({"item": own, "part": rubric.part_of(item, slot), "bonus": rubric.is_bonus(item, slot)},
                          sort_keys=True)
        out[item.id] = hashlib.sha256(text.encode()).hexdigest()
    return out


def _apply_one(c: CriterionResult, o: Override, current: str | None) -> CriterionResult:
    original = c.override if c.override is not None and c.override.applied else None
    base_points = original.original_points if original else c.points
    base_outcome = original.original_outcome if original else c.outcome
    applied = current is not None and current == o.definition
    outcome = o.outcome or base_outcome
    points = o.points if o.points is not None else (
        c.max_points if o.outcome is Outcome.PASSED else 0.0 if o.outcome is Outcome.FAILED else base_points)
    note = OverrideNote(applied=applied, original_points=base_points, original_outcome=base_outcome,
                        points=round(points, 4), outcome=outcome, comment=o.comment, reviewer=o.reviewer,
                        created=o.created)
    if not applied:
        reasons = c.review_reasons + ((ReviewReason.OVERRIDE_CHANGED,)
                                      if ReviewReason.OVERRIDE_CHANGED not in c.review_reasons else ())
        return c.model_copy(update={"override": note, "review_reasons": reasons})
    # The TA decided it: a criterion the grader could not judge is judged now, so it carries no fault of its own
    # (the grade's faults still list what broke).
    return c.model_copy(update={"override": note, "points": note.points, "outcome": outcome,
                                "fault": None if outcome is not Outcome.ERROR else c.fault})


def apply_overrides(result: GradeResult, overrides: Iterable[Override], definitions: Mapping[str, str]
                    ) -> GradeResult:
    """`result` with every override of its criteria applied (or flagged), and its totals, parts and status
    recomputed. `definitions` is :func:`criterion_definitions` of the rubric that graded it. Overrides of
    criteria the result does not have (the rubric dropped them) are ignored; the last override of a
    criterion wins. The same result comes back when no override names any of its criteria."""
    latest: dict[str, Override] = {}
    for o in sorted(overrides, key=lambda o: o.created):
        latest[o.criterion] = o
    if not any(c.id in latest for c in result.criteria):
        return result
    criteria = [_apply_one(c, latest[c.id], definitions.get(c.id)) if c.id in latest else c for c in result.criteria]
    score, max_score, skipped, counts, status = totals(criteria, result.evidence)
    parts = []
    for p in result.parts:
        mine = [c for c in criteria if c.part == p.id and c.outcome != Outcome.SKIPPED]
        parts.append(PartScore(id=p.id, title=p.title, score=round(sum(c.points for c in mine), 4),
                               max_score=round(sum(c.max_points for c in mine if not c.bonus), 4)))
    return result.model_copy(update={
        "criteria": criteria, "score": score, "max_score": max_score, "skipped_points": skipped,
        "percent": round(100.0 * score / max_score, 2) if max_score else 0.0, "status": status,
        "outcome_counts": counts, "parts": parts, "review": review_flags(result.evidence.evidence, criteria)})


def overridden(result: GradeResult) -> list[CriterionResult]:
    """The criteria an override names (applied or waiting for another look)."""
    return [c for c in result.criteria if c.override is not None]


__all__ = ["apply_overrides", "criterion_definitions", "overridden"]
