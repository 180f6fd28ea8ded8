"""What the pipeline, ``grader override`` and the review page write: a student's grade with its overrides
applied, and a history entry for each change of it.

Every write is one store transaction (the grade or override with its history entry), so a kill at any point
leaves both or neither, and recording the same grade again (a resumed class) adds no history entry.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from grader.checks.base import Outcome
from grader.errors import ConfigError
from grader.grading.result import GradeResult
from grader.pipeline.store import Key, ResultsStore
from grader.review.apply import apply_overrides
from grader.review.model import OVERRIDABLE, HistoryEntry, HistoryReason, Override


def _last(store: ResultsStore, student: str) -> HistoryEntry | None:
    entries = store.history(student)
    return entries[-1] if entries else None


def _reason(last: HistoryEntry | None, submission: str, rubric_sha: str, repeated: bool) -> tuple[HistoryReason, str]:
    if last is None:
        return HistoryReason.NEW_SUBMISSION, "first grade"
    if last.submission != submission:
        return HistoryReason.NEW_SUBMISSION, f"files changed ({last.submission[:12]} -> {submission[:12]})"
    if last.rubric != rubric_sha:
        return HistoryReason.RUBRIC_CHANGE, f"rubric changed ({last.rubric[:12]} -> {rubric_sha[:12]})"
    if repeated:
        return HistoryReason.REPEAT, "borderline verdicts re-decided on repeated seeded runs"
    return HistoryReason.REGRADE, "graded again with another result"


def _stale(result: GradeResult) -> list[str]:
    return [c.id for c in result.criteria if c.override is not None and not c.override.applied]


def record_grade(store: ResultsStore, student: str, key: Key, rubric_sha: str, definitions: Mapping[str, str],
                 result: GradeResult, *, repeated: bool = False, now: float | None = None) -> GradeResult:
    """Store `result` (the grader's, overrides not applied) as `student`'s current grade, with a history entry
    when it is their first, their files or the rubric changed, or the score moved. Returns the result with
    the student's overrides applied: what every report and export shows."""
    applied = apply_overrides(result, store.overrides(student), definitions)
    last = _last(store, student)
    entry = None
    if (last is None or last.submission != key.submission or last.rubric != rubric_sha
            or last.new_score != applied.score or last.max_score != applied.max_score):
        reason, detail = _reason(last, key.submission, rubric_sha, repeated)
        if stale := _stale(applied):
            detail += "; override needs another look: " + ", ".join(stale)
        entry = HistoryEntry(student=student, time=time.time() if now is None else now, reason=reason,
                             old_score=last.new_score if last else None, new_score=applied.score,
                             max_score=applied.max_score, detail=detail, submission=key.submission, rubric=rubric_sha)
    store.put_current(student, key, rubric_sha, definitions, result, entry)
    return applied.model_copy(update={"history": tuple(store.history(student))})


def current_result(store: ResultsStore, student: str) -> GradeResult | None:
    """`student`'s current grade with their overrides applied; None when the store has none."""
    found = store.current(student)
    if found is None:
        return None
    raw, definitions = found
    return apply_overrides(raw, store.overrides(student), definitions).model_copy(
        update={"history": tuple(store.history(student))})


def record_override(store: ResultsStore, student: str, criterion: str, *, reviewer: str, comment: str,
                    points: float | None = None, outcome: Outcome | str | None = None,
                    now: float | None = None) -> GradeResult:
    """Store a TA's override of `criterion` for `student` (against the rubric of their current grade) and the
    history entry it makes. Returns the student's grade with it applied. Raises ConfigError for an unknown
    student or criterion, points outside 0..max, a verdict other than passed/failed, or an empty comment."""
    found = store.current(student)
    if found is None:
        known = ", ".join(store.students()) or "none"
        raise ConfigError(f"no grade stored for student {student!r} (students: {known})")
    raw, definitions = found
    criterion_result = raw.criterion(criterion)
    if criterion_result is None or criterion not in definitions:
        raise ConfigError(f"{student}'s grade has no criterion {criterion!r} "
                          f"(criteria: {', '.join(c.id for c in raw.criteria)})")
    if criterion_result.concealed:
        raise ConfigError(f"criterion {criterion!r} is concealed in this stored grade")
    try:
        verdict = Outcome(outcome) if outcome not in (None, "") else None
    except ValueError:
        raise ConfigError(f"a verdict is one of {', '.join(o.value for o in OVERRIDABLE)}, not {outcome!r}") from None
    if verdict is not None and verdict not in OVERRIDABLE:
        raise ConfigError(f"a verdict is one of {', '.join(o.value for o in OVERRIDABLE)}, not {verdict.value!r}")
    if points is not None and not 0 <= points <= criterion_result.max_points:
        raise ConfigError(f"points for {criterion!r} must be between 0 and {criterion_result.max_points:g}")
    if points is None and verdict is None:
        raise ConfigError("an override needs points (--points) or a verdict (--verdict)")
    if not comment.strip():
        raise ConfigError("an override needs a comment saying why")
    if not reviewer.strip():
        raise ConfigError("an override needs a reviewer (--reviewer)")
    when = time.time() if now is None else now
    override = Override(student=student, criterion=criterion, definition=definitions[criterion], points=points,
                        outcome=verdict, comment=comment.strip(), reviewer=reviewer.strip(), created=when)
    before = apply_overrides(raw, store.overrides(student), definitions)
    others = [o for o in store.overrides(student) if o.criterion != criterion]
    after = apply_overrides(raw, [*others, override], definitions)
    shown = f"{points:g} point(s)" if points is not None else ""
    shown += (", " if shown and verdict else "") + (verdict.value if verdict else "")
    key = store.current_key(student)
    entry = HistoryEntry(student=student, time=when, reason=HistoryReason.OVERRIDE,
                         old_score=before.score, new_score=after.score,
                         max_score=after.max_score, detail=f"{criterion}: {shown}: {comment.strip()}", reviewer=reviewer.strip(),
                         submission=key[0].submission if key else "", rubric=key[1] if key else "")
    store.put_override(override, entry)
    return after


__all__ = ["current_result", "record_grade", "record_override"]
