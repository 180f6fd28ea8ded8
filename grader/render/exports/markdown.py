"""Markdown summaries for a CI job summary ($GITHUB_STEP_SUMMARY) or a pull-request comment.

GitHub renders HTML inside Markdown, so student text is escaped for both
(:func:`grader.render.safe.for_markdown`): markup characters become entities and table cells lose
their pipes and line breaks. Pass the copy for the reader's audience
(:func:`grader.render.audience.for_audience`); a concealed criterion shows only its outcome.
"""

from __future__ import annotations

from collections.abc import Sequence

from grader.checks.base import Outcome
from grader.evidence.model import RunStatus
from grader.grading.result import GradeResult
from grader.render.safe import for_markdown as md
from grader.render.safe import pts, student_names
from grader.verify.verified import FigureStatus

_ICON = {"passed": "✅", "failed": "❌", "error": "⚠️"}


def render_markdown(result: GradeResult, *, name: str | None = None, heading: int = 3) -> str:
    r = result
    h = "#" * heading
    who = f"{md(name)}: " if name else ""
    head = (f"{h} {_ICON[r.status.value]} {who}{md(r.rubric.title)}: {r.percent:.1f}% "
            f"({pts(r.score)}/{pts(r.max_score)} points, {r.status.value})")
    lines = [head, ""]
    if r.run.status != RunStatus.COMPLETED:
        lines += [f"> **Run {r.run.status.value}**: {md(r.run.message)}", ""]
    mismatches = [f"{v.model_id} {f.name}" for v in r.evidence.verifications for f in v.figures
                  if f.status == FigureStatus.MISMATCH]
    if mismatches:
        lines += [f"> **Reported figures disagree with the grader's measurements**: {md(', '.join(mismatches))}", ""]
    if r.quick:
        lines += [f"_Quick mode: {pts(r.skipped_points)} points not checked._", ""]
    shims = r.evidence.evidence.shims
    if shims:
        lines += [f"**Keras 2 calls accepted by compatibility mode ({md(r.evidence.evidence.run.compat)})**:", ""]
        lines += [f"- {md(s.where())}: {md(s.title)}" + (f" ({s.count} times)" if s.count > 1 else "")
                  + (f"; {md(s.detail)}" if s.detail else "") for s in shims[:30]]
        lines.append("")
    lines += ["| Part | Points |", "| --- | ---: |"]
    lines += [f"| {md(p.title)} | {pts(p.score)}/{pts(p.max_score)} |" for p in r.parts]
    todo = [c for c in r.criteria if c.outcome in (Outcome.FAILED, Outcome.ERROR)]
    if todo:
        lines += ["", "| Not passed | Points | What the grader saw | What to change |", "| --- | ---: | --- | --- |"]
        for c in todo:
            if c.concealed:
                lines.append(f"| hidden criterion | –/– | {c.outcome.value} | |")
            else:
                seen = c.message + (f"; {c.override.words()}" if c.override is not None else "")
                lines.append(f"| {md(c.title)} | {pts(c.points)}/{pts(c.max_points)} | {md(seen)} "
                             f"| {md(c.feedback)} |")
    reviewed = [c for c in r.criteria if c.override is not None and c not in todo and not c.concealed]
    if reviewed:  # a verdict a reviewer changed to a pass still says so
        lines += ["", "**Reviewed**:", ""] + [f"- {md(c.title)}: {md(c.override.words())}" for c in reviewed]
    return "\n".join(lines) + "\n"


def render_class_markdown(results: Sequence[GradeResult], names: Sequence[str] | None = None) -> str:
    names = list(names) if names is not None else student_names([r.submission.path for r in results])
    passed = sum(1 for r in results if r.status.value == "passed")
    lines = [f"### Grades: {len(results)} submission(s), {passed} passed every criterion", "",
             "| Student | Score | Percent | Grade | Run |", "| --- | ---: | ---: | --- | --- |"]
    for r, n in sorted(zip(results, names), key=lambda rn: rn[1]):
        lines.append(f"| {md(n)} | {pts(r.score)}/{pts(r.max_score)} | {r.percent:.1f}% | "
                     f"{_ICON[r.status.value]} {r.status.value} | {r.run.status.value} |")
    return "\n".join(lines) + "\n"
