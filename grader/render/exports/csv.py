"""Gradebook CSV: one row per student, a column per criterion, the total, and a points-possible row.

The layout follows what Canvas and Moodle import (see docs/reports.md for the column names). Every
text cell goes through :func:`grader.render.safe.for_csv`, so none runs as a formula: names and paths
come from students. A concealed criterion (a student's copy) shows no points of its own.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from grader.checks.base import Outcome
from grader.grading.result import GradeResult
from grader.render.safe import for_csv, student_names

FIXED_COLUMNS = ["Student", "Submission", "Status", "Run status"]
TOTAL_COLUMNS = ["Total", "Percent"]
POINTS_POSSIBLE = "Points Possible"

Cell = str | float | None


def criterion_columns(results: Sequence[GradeResult]) -> list[tuple[str, float | None]]:
    """(criterion id, max points) in first-seen order across all results; no maximum for a concealed one."""
    seen: dict[str, float | None] = {}
    for r in results:
        for c in r.criteria:
            seen.setdefault(c.id, None if c.concealed else c.max_points)
    return list(seen.items())


def gradebook_rows(results: Sequence[GradeResult], names: Sequence[str] | None = None, *,
                   max_row: bool = True) -> list[list[Cell]]:
    names = list(names) if names is not None else student_names([r.submission.path for r in results])
    columns = criterion_columns(results)
    header: list[Cell] = [*FIXED_COLUMNS, *(cid for cid, _ in columns), *TOTAL_COLUMNS]
    rows = [header]
    if max_row:
        max_total = max((r.max_score + r.skipped_points for r in results), default=0.0)
        rows.append([POINTS_POSSIBLE, None, None, None] + [mp for _, mp in columns] + [max_total, 100.0])
    for r, name in zip(results, names):
        by_id = {c.id: c for c in r.criteria}
        # A skipped criterion was not graded: an empty cell, not a zero. A concealed one counts only in the total.
        cells: list[Cell] = [c.points if (c := by_id.get(cid)) and c.outcome != Outcome.SKIPPED and not c.concealed
                             else None for cid, _ in columns]
        rows.append([name, r.submission.path, r.status.value, r.run.status.value] + cells
                    + [r.score, r.percent])
    return rows


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return for_csv(value)


def render_gradebook(results: Sequence[GradeResult], names: Sequence[str] | None = None, *,
                     max_row: bool = True) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180 line ends, which every importer accepts
    for row in gradebook_rows(results, names, max_row=max_row):
        writer.writerow([_cell(v) for v in row])
    return buf.getvalue()


def write_gradebook(results: Sequence[GradeResult], path: Path, names: Sequence[str] | None = None, *,
                    max_row: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # UTF-8 with a BOM: Excel otherwise reads accented names as mojibake; pandas and LMSs skip the BOM.
    path.write_text(render_gradebook(results, names, max_row=max_row), encoding="utf-8-sig", newline="")
    return path
