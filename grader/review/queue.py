"""The review queue: which students' grades ask for a person to look, and why (typed, never searched text)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from grader.checks.noise import ReviewReason, review_text
from grader.evidence.model import Frozen
from grader.grading.result import GradeResult, GradeStatus


class QueueKind(str, Enum):
    """What put a student in the queue."""

    NEEDS_REVIEW = "needs_review"
    """A criterion's verdict asks for a person (trained on test, the student's run beside the re-run)."""
    BORDERLINE = "borderline"
    """A figure within noise of its bar."""
    OVERRIDE_CHANGED = "override_changed"
    """A TA's override is kept but not applied: the rubric changed its criterion."""
    ERROR = "error"
    """The grade is incomplete: something broke."""
    SIMILARITY = "similarity"
    """Flagged as similar to another student's submission (grader.similarity)."""


class QueueReason(Frozen):
    kind: QueueKind
    criterion: str | None = None
    text: str


class QueueItem(Frozen):
    student: str
    score: float
    max_score: float
    status: GradeStatus
    reasons: list[QueueReason]


def reasons_for(result: GradeResult) -> list[QueueReason]:
    """Why `result` (overrides applied) asks for a look; [] when it does not."""
    out = []
    if result.status is GradeStatus.ERROR:
        out.append(QueueReason(kind=QueueKind.ERROR, text="; ".join(f.message for f in result.faults)
                               or "a criterion could not be decided"))
    for c in result.criteria:
        for reason in c.review_reasons:
            kind = {ReviewReason.BORDERLINE: QueueKind.BORDERLINE,
                    ReviewReason.OVERRIDE_CHANGED: QueueKind.OVERRIDE_CHANGED}.get(reason, QueueKind.NEEDS_REVIEW)
            out.append(QueueReason(kind=kind, criterion=c.id, text=review_text((reason,), c.borderline)))
    # The result's own flags beyond its criteria's reasons: the run's (an adaptation, an environmental failure)
    # and a reported-only figure (see GradeResult.review).
    for flag in result.review:
        c = result.criterion(flag.criterion_id) if flag.criterion_id else None
        if c is None or flag.reason not in c.review_reasons:
            out.append(QueueReason(kind=QueueKind.NEEDS_REVIEW, criterion=flag.criterion_id, text=flag.detail))
    return out


def queue(results: Sequence[tuple[str, GradeResult]], similar: Sequence[tuple[str, str, str]] = ()) -> list[QueueItem]:
    """Every student, those with reasons first (most reasons first), then by name. `similar` holds flagged
    pairs as (student, other student, signals in words)."""
    pairs: dict[str, list[QueueReason]] = {}
    for a, b, signals in similar:
        pairs.setdefault(a, []).append(QueueReason(kind=QueueKind.SIMILARITY, text=f"similar to {b}: {signals}"))
        pairs.setdefault(b, []).append(QueueReason(kind=QueueKind.SIMILARITY, text=f"similar to {a}: {signals}"))
    items = [QueueItem(student=name, score=r.score, max_score=r.max_score, status=r.status,
                       reasons=reasons_for(r) + pairs.get(name, [])) for name, r in results]
    return sorted(items, key=lambda i: (not i.reasons, -len(i.reasons), i.student))


__all__ = ["QueueItem", "QueueKind", "QueueReason", "queue", "reasons_for"]
