"""The last stage: every requested report for the class, through :func:`grader.render.outputs.write_outputs`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from grader.pipeline.plan import ClassPlan

if TYPE_CHECKING:
    from grader.pipeline.classgrade import StudentResult


def write_reports(plan: ClassPlan, results: Sequence[StudentResult]) -> list[Path]:
    """Write the plan's formats under its output folder; [] when it has none. Returns the files written."""
    if plan.out is None or not plan.formats:
        return []
    from grader.render.outputs import Entry, write_outputs

    return write_outputs([Entry(r.result, r.figures_dir, r.student.name) for r in results], plan.out,
                         list(plan.formats), audience=plan.audience, class_page=True)  # type: ignore[arg-type]


__all__ = ["write_reports"]
