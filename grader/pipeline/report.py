"""The last stage: every requested report for the class, through :func:`grader.render.outputs.write_outputs`,
and, on the instructor's class page, the pairs of similar submissions (:mod:`grader.similarity`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from grader.pipeline.plan import ClassPlan

if TYPE_CHECKING:
    from grader.pipeline.classgrade import StudentResult
    from grader.render.outputs import Entry
    from grader.similarity.model import SimilarityReport


def write_reports(plan: ClassPlan, results: Sequence[StudentResult], *, similarity: bool = True,
                  template: Path | None = None) -> list[Path]:
    """Write the plan's formats under its output folder; [] when it has none. Returns the files written.

    With ``similarity``, an HTML class page for the instructor gets its section of similar submissions and
    ``similarity.html`` beside it (``template``, the starter code, subtracted); a grade never depends on it."""
    if plan.out is None or not plan.formats:
        return []
    from grader.render.outputs import Entry, write_outputs

    entries = [Entry(r.result, r.figures_dir, r.student.name) for r in results]
    written = write_outputs(entries, plan.out, list(plan.formats), audience=plan.audience,  # type: ignore[arg-type]
                            class_page=True)
    if similarity and "html" in plan.formats and plan.audience == "instructor" and len(results) > 1:
        written.append(_write_similarity(plan.out, entries, _similarity(results, template)))
    return written


def _similarity(results: Sequence[StudentResult], template: Path | None) -> SimilarityReport:
    from grader.similarity import compare_class, template_code
    from grader.similarity.model import SimilarityReport
    from grader.similarity.outputs import MIN_EQUAL_EPOCHS
    from grader.similarity.rank import CODE_THRESHOLD
    from grader.similarity.sources import from_graded

    try:
        return compare_class(from_graded([(r.student.name, r.student, r.result) for r in results]),
                             template=template_code(template) if template else None,
                             template_name=template.name if template else None)
    except Exception as exc:  # noqa: BLE001 - the grades and reports stand; the page says what broke
        return SimilarityReport(students=[r.student.name for r in results], code_threshold=CODE_THRESHOLD,
                                min_equal_epochs=MIN_EQUAL_EPOCHS,
                                notes=[f"similarity could not be computed (a grader bug): {type(exc).__name__}: {exc}"])


def _write_similarity(out: Path, entries: Sequence[Entry], report: SimilarityReport) -> Path:
    """similarity.html, and the class page written again with its similarity section."""
    from grader.render.html.class_page import render_class_summary
    from grader.render.outputs import items_for
    from grader.similarity.page import PAGE, render_similarity

    page = out / PAGE
    page.write_text(render_similarity(report), encoding="utf-8")
    items = items_for(entries, "instructor")
    (out / "index.html").write_text(
        render_class_summary([i.result for i in items], names=[i.name for i in items],
                             hrefs=[f"{i.slug}.html" for i in items], similarity=report, similarity_href=PAGE),
        encoding="utf-8", newline="")
    return page


__all__ = ["write_reports"]
