"""The per-submission HTML report: one self-contained file (inline CSS, SVG charts, data-URI images).

Autoescape is on for every template, and the page forbids all scripts and all loads through its
Content-Security-Policy, so whatever a submission printed or named its layers stays inert text.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from grader.evidence.model import RunStatus
from grader.grading.result import GradeResult
from grader.render.html.figures import figure_views
from grader.render.html.loops_view import loop_views
from grader.render.html.models_view import model_views, slot_views
from grader.render.safe import for_html, pts, relative_link
from grader.render.html.view import answer_views, history_views, part_views, run_facts
from grader.verify.verified import FigureStatus, VerificationStatus

_CLEAN_RUNS = (RunStatus.COMPLETED,)


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(loader=PackageLoader("grader.render.html", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def csp_script_hash(script: str) -> str:
    """The CSP source that allows exactly this inline script and nothing else."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


@dataclass(frozen=True)
class Alert:
    head: str
    text: str
    warn: bool = False


@dataclass(frozen=True)
class ErrorView:
    where: str
    ename: str
    evalue: str
    traceback: str


def alerts(r: GradeResult) -> list[Alert]:
    out = []
    mismatches = [(v.model_id, f) for v in r.evidence.verifications for f in v.figures
                  if f.status == FigureStatus.MISMATCH]
    if mismatches:
        what = ", ".join(f"{mid} {f.name}" + (f" ({f.split})" if f.split else "") for mid, f in mismatches)
        out.append(Alert("Reported figures disagree with the grader's measurements:",
                         f"{what}. The grader's verified values were used; see Models."))
    if r.run.status not in _CLEAN_RUNS:
        started = "".join(f" {for_html(c.sentence())}." for c in r.evidence.evidence.cascades)  # where it began
        out.append(Alert(f"The run ended with status '{r.run.status.value}':", for_html(r.run.message) + "." + started,
                         warn=r.run.status == RunStatus.COMPLETED_WITH_ERRORS))
    bad = [v for v in r.evidence.verifications
           if v.status in (VerificationStatus.UNSAFE, VerificationStatus.ERROR)]
    for v in bad:
        out.append(Alert(f"Model {v.model_id} could not be verified ({v.status.value}):", for_html(v.message), warn=True))
    run_flags = [f for f in r.review if f.criterion_id is None]  # a criterion's own flags sit on its row
    if run_flags:
        out.append(Alert("Flagged for review (the grade stands):",
                         " ".join(f"{for_html(f.detail)}." for f in run_flags), warn=True))
    return out


def errors(r: GradeResult) -> list[ErrorView]:
    run = r.evidence.evidence.run
    out = [ErrorView(f"Cell {e.cell_index + 1}" + (f" [{e.execution_count}]" if e.execution_count else ""),
                     for_html(e.ename), for_html(e.evalue), for_html(e.traceback)) for e in run.cell_errors]
    if run.script_error:
        e = run.script_error
        out.append(ErrorView("Script" + (f", line {e.lineno}" if e.lineno else ""), for_html(e.ename),
                             for_html(e.evalue), for_html(e.traceback)))
    return out


def report_context(r: GradeResult, *, figures_dir: Path | None = None, name: str | None = None,
                   class_link: str | None = None) -> dict[str, object]:
    answers = answer_views(r)
    slots, unused = slot_views(r)
    counts = ", ".join(f"{v} {k}" for k, v in r.outcome_counts.items() if v)
    return dict(
        lang="en", script_src="'none'", grader_version=r.grader_version or "unknown",
        name=for_html(name) or Path(r.submission.path).stem, submission=for_html(r.submission.path),
        kind=r.submission.kind, rubric_title=for_html(r.rubric.title), rubric_id=r.rubric.id,
        rubric_version=r.rubric.version, rubric_sha=r.rubric.sha256[:12], schema_version=r.schema_version,
        concealed=sum(1 for c in r.criteria if c.concealed), pct=f"{r.percent:.1f}", score=pts(r.score), max_score=pts(r.max_score),
        meter=f"{max(0.0, min(r.percent, 100.0)):.1f}", status=r.status.value, counts=counts, quick=r.quick,
        skipped_points=pts(r.skipped_points), alerts=alerts(r), class_link=relative_link(class_link),
        parts=part_views(r), history=history_views(r), answers=answers, reveal_answers=any(a.truth for a in answers),
        slots=slots, unused=unused, models=model_views(r), loops=loop_views(r),
        figures=figure_views(r.evidence.evidence.figures, figures_dir), run_facts=run_facts(r),
        errors=errors(r), warnings=[for_html(w) for w in r.evidence.evidence.warnings],
        diagnoses=r.evidence.evidence.diagnoses,
        shims=[s.model_copy(update={"detail": for_html(s.detail), "file": for_html(s.file) if s.file else None})
               for s in r.evidence.evidence.shims],
        run_notes=[n.model_copy(update={"detail": for_html(n.detail)}) for n in r.evidence.evidence.run_notes],
        log_tail=for_html(r.evidence.evidence.run.log_tail),
    )


def render_report(result: GradeResult, *, figures_dir: Path | None = None, name: str | None = None,
                  class_link: str | None = None) -> str:
    """The report as one HTML document, showing what ``result`` holds: pass the copy for the reader's
    audience (:func:`grader.render.audience.for_audience`). ``figures_dir`` is the run's output folder
    (PNG files in it are embedded); ``class_link`` adds a link back to a class summary page."""
    ctx = report_context(result, figures_dir=figures_dir, name=name, class_link=class_link)
    return environment().get_template("report.html.j2").render(**ctx)


def write_report(result: GradeResult, path: Path, **kw: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(result, **kw), encoding="utf-8")  # type: ignore[arg-type]
    return path
