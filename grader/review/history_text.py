"""A student's grade history in words, for a terminal (``grader history``)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from grader.render.safe import for_terminal, pts
from grader.review.model import HistoryEntry


def when(t: float) -> str:
    """'2026-12-06 18:20 UTC'."""
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def score_change(e: HistoryEntry) -> str:
    """'7 -> 8 / 10', or '8 / 10' for a first grade."""
    new = f"{pts(e.new_score)} / {pts(e.max_score)}"
    return new if e.old_score is None else f"{pts(e.old_score)} -> {new}"


def history_lines(student: str, entries: Sequence[HistoryEntry]) -> list[str]:
    if not entries:
        return [f"{for_terminal(student)}: no grade history"]
    lines = [f"{for_terminal(student)}: {len(entries)} change(s)"]
    for e in entries:
        lines.append(f"  {when(e.time)}  {e.reason.value:<15} {score_change(e):<18} {for_terminal(e.detail)}")
    return lines


__all__ = ["history_lines", "score_change", "when"]
