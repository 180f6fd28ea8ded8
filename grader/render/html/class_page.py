"""The class summary page: distribution, pass rate per criterion, a sortable table of students
linking to their reports, the review queue (each flagged student and why), the submissions that did not run
cleanly (grouped by root cause, and by run status), and timings."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from typing import TYPE_CHECKING

from grader.checks.base import Outcome
from grader.evidence.model import RunStatus
from grader.grading.result import GradeResult
from grader.grading.review import CauseGroup, group_root_causes
from grader.render.html.charts import histogram
from grader.render.html.report import csp_script_hash, environment
from grader.render.safe import for_html, pts, relative_link, seconds, student_names

if TYPE_CHECKING:
    from grader.similarity.model import SimilarityReport


@dataclass(frozen=True)
class StudentRow:
    name: str
    href: str | None
    percent: float
    score: str
    max_score: str
    status: str
    run_status: str
    seconds: float
    failed: int


THRESHOLD_CHECK = "metrics.threshold"


@dataclass
class CriterionStats:
    id: str
    title: str
    part: str
    max_points: float
    counts: dict[str, int] = field(default_factory=lambda: {o.value: 0 for o in Outcome})
    points: float = 0.0
    threshold: bool = False  # a metric threshold: its figures have intervals, so students may be borderline
    borderline: int = 0  # students whose figure's 95% interval straddles the bar

    @property
    def decided(self) -> int:
        return self.counts["passed"] + self.counts["failed"] + self.counts["error"]

    @property
    def pass_rate(self) -> float | None:
        return 100.0 * self.counts["passed"] / self.decided if self.decided else None

    @property
    def mean_points(self) -> float:
        n = sum(self.counts.values()) - self.counts["skipped"]
        return self.points / n if n else 0.0


def criterion_stats(results: Sequence[GradeResult]) -> list[CriterionStats]:
    """Per criterion id, in the order criteria first appear (results may come from rubric versions)."""
    stats: dict[str, CriterionStats] = {}
    for r in results:
        titles = {p.id: p.title for p in r.parts}
        for c in r.criteria:
            s = stats.setdefault(c.id, CriterionStats(c.id, for_html(c.title), for_html(titles.get(c.part, "")),
                                                     c.max_points))
            s.counts[c.outcome.value] += 1
            s.points += c.points
            s.threshold = s.threshold or c.check == THRESHOLD_CHECK
            s.borderline += c.borderline is not None
    return list(stats.values())


def failures_by_cause(results: Sequence[GradeResult], names: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """Runs that did not complete cleanly, grouped by run status, worst causes first."""
    order = [s.value for s in RunStatus]
    groups: dict[str, list[tuple[str, str]]] = {}
    for r, n in zip(results, names):
        if r.run.status != RunStatus.COMPLETED:
            # A cell that took later cells with it is the cause worth reading, not the count of errors.
            cause = r.evidence.evidence.cascades[0].sentence() if r.evidence.evidence.cascades else r.run.message
            groups.setdefault(r.run.status.value, []).append((n, for_html(cause)))
    return dict(sorted(groups.items(), key=lambda kv: (-len(kv[1]), order.index(kv[0]))))


@dataclass(frozen=True)
class QueueEntry:
    """A flagged student on the class page's review queue: the result's flags (GradeResult.review)."""

    name: str
    percent: float
    status: str
    flags: list[tuple[str, str]]  # (reason, detail), HTML-safe


def review_queue(results: Sequence[GradeResult], names: Sequence[str]) -> list[QueueEntry]:
    """Every student whose result asks for a look, most flags first (then in class order)."""
    entries = [QueueEntry(n, r.percent, r.status.value, [(f.reason.value, for_html(f.detail)) for f in r.review])
               for r, n in zip(results, names) if r.review]
    return sorted(entries, key=lambda e: -len(e.flags))


def cause_groups(results: Sequence[GradeResult], names: Sequence[str]) -> list[CauseGroup]:
    """The submissions that did not run cleanly, one group per shape of root cause (HTML-safe text)."""
    return [g.model_copy(update={"example": for_html(g.example), "shape": for_html(g.shape)})
            for g in group_root_causes(results, names)]


def timings(results: Sequence[GradeResult], names: Sequence[str]) -> dict[str, object]:
    durations = [r.run.duration_s for r in results]
    epochs = [s for r in results for m in r.evidence.evidence.models for f in m.fits for s in f.epoch_seconds]
    slowest = sorted(zip(durations, names), reverse=True)[:5]
    return {"facts": [("Submissions", str(len(results))), ("Total run time", seconds(sum(durations))),
                      ("Mean per submission", seconds(statistics.fmean(durations)) if durations else "–"),
                      ("Median per submission", seconds(statistics.median(durations)) if durations else "–"),
                      ("Longest", seconds(max(durations)) if durations else "–"),
                      ("Mean time per epoch", seconds(statistics.fmean(epochs)) if epochs else "–")],
            "slowest": [(n, seconds(d)) for d, n in slowest]}


def _script() -> str:
    return files("grader.render.html").joinpath("templates/class.js").read_text(encoding="utf-8")


def _similarity_section(report: SimilarityReport | None, href: str | None) -> dict[str, object] | None:
    if report is None:
        return None
    from grader.similarity.page import section_context

    return section_context(report, href=relative_link(href))


def render_class_summary(results: Sequence[GradeResult], *, names: Sequence[str] | None = None,
                         hrefs: Sequence[str | None] | None = None, title: str | None = None,
                         similarity: SimilarityReport | None = None, similarity_href: str | None = None) -> str:
    """One HTML page for the class. ``hrefs`` are links (relative to the page) to each student's report.
    ``similarity`` adds the section of pairs of similar submissions (linking to ``similarity_href``, the
    page with their evidence side by side); the class page is the instructor's, like that section.

    It shows what ``results`` hold: pass every result's copy for the page's audience
    (:func:`grader.render.audience.for_audience_all`)."""
    names = list(names) if names is not None else student_names([r.submission.path for r in results])
    hrefs = list(hrefs) if hrefs is not None else [None] * len(results)
    rows = [StudentRow(for_html(n), relative_link(h), r.percent, pts(r.score), pts(r.max_score), r.status.value, r.run.status.value,
                       r.run.duration_s, r.outcome_counts.get("failed", 0) + r.outcome_counts.get("error", 0))
            for r, n, h in zip(results, names, hrefs)]
    pcts = [r.percent for r in results]
    rubrics = sorted({f"{for_html(r.rubric.title)} ({r.rubric.id} {r.rubric.version})" for r in results})
    script = _script()
    ctx = dict(
        lang="en", script_src=csp_script_hash(script), script=script,
        grader_version=results[0].grader_version if results else "unknown",
        title=for_html(title) if title else (for_html(results[0].rubric.title) if results else "No submissions"),
        rubrics=rubrics, rows=rows, n=len(results),
        passed=sum(1 for r in results if r.status.value == "passed"),
        mean=f"{statistics.fmean(pcts):.1f}" if pcts else "–",
        median=f"{statistics.median(pcts):.1f}" if pcts else "–",
        histogram=histogram(pcts, title="Score distribution"), criteria=criterion_stats(results),
        failures=failures_by_cause(results, [row.name for row in rows]),
        queue=review_queue(results, [row.name for row in rows]),
        causes=cause_groups(results, [row.name for row in rows]),
        timings=timings(results, [row.name for row in rows]),
        statuses=sorted({row.status for row in rows}),
        similarity=_similarity_section(similarity, similarity_href),
    )
    return environment().get_template("class.html.j2").render(**ctx)
