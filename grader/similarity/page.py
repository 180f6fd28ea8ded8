"""The similarity report as HTML: a self-contained page with every pair side by side, and the class page's
section (the ranked flagged pairs, linking to that page).

Code, names and metric names are the students' text: they pass through :func:`grader.render.safe.for_html`
and the autoescaping templates (never ``|safe``); shared spans are marked by the template, not by markup
built here. The page allows no script and loads nothing (see :mod:`grader.render.html.report`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

from markupsafe import Markup

from grader.render.html.charts import Series, line_chart
from grader.render.safe import for_html
from grader.similarity.model import Pair, Segment, SimilarityReport

PAGE = "similarity.html"
SECTION_PAIRS = 20
"""Flagged pairs listed on the class page; the rest are on the similarity page."""


@dataclass(frozen=True)
class PairView:
    anchor: str
    a: str
    b: str
    signals: list[str]
    code_pct: str
    code_detail: str
    code_a: list[tuple[str, bool]] = field(default_factory=list)
    code_b: list[tuple[str, bool]] = field(default_factory=list)
    epochs: list[tuple[int, list[str]]] = field(default_factory=list)
    metric_names: list[str] = field(default_factory=list)
    cells: str = ""
    curve: Markup = Markup("")
    evaluations: list[str] = field(default_factory=list)
    model: list[tuple[str, str]] = field(default_factory=list)
    model_shared_by: int = 0


def _segments(segs: list[Segment]) -> list[tuple[str, bool]]:
    return [(for_html(s.text), s.shared) for s in segs]


def _cell(index: int | None) -> str:
    return "a script" if index is None else f"cell {index + 1}"


def pair_view(p: Pair, n: int) -> PairView:
    code_pct = f"{100 * p.code.similarity:.0f}%" if p.code else "–"
    detail = (f"{100 * p.code.similarity_a:.0f}% of {for_html(p.a)}'s code is in {for_html(p.b)}'s, "
              f"{100 * p.code.similarity_b:.0f}% of {for_html(p.b)}'s in {for_html(p.a)}'s") if p.code else \
        "too little code to compare"
    names: list[str] = []
    epochs: list[tuple[int, list[str]]] = []
    curve = Markup("")
    cells = evaluations = []
    if p.outputs:
        names = sorted({k for e in p.outputs.epochs for k in e.metrics})
        epochs = [(e.epoch, [f"{e.metrics[k]:.6g}" if k in e.metrics else "–" for k in names]) for e in p.outputs.epochs]
        curve = line_chart([Series(for_html(k), [e.metrics.get(k, float("nan")) for e in p.outputs.epochs],
                                   "validation" if k.startswith("val_") else "train")
                            for k in names], title="The training log both stored", x0=p.outputs.epochs[0].epoch)
        cells = f"{for_html(p.a)}'s {_cell(p.outputs.cell_a)} and {for_html(p.b)}'s {_cell(p.outputs.cell_b)}"
        evaluations = [", ".join(f"{for_html(k)} {v:.6g}" for k, v in ev.items()) for ev in p.outputs.equal_evaluations]
    return PairView(
        anchor=f"pair-{n}", a=for_html(p.a), b=for_html(p.b), signals=[s.value for s in p.signals], code_pct=code_pct,
        code_detail=detail, code_a=_segments(p.code.a) if p.code else [], code_b=_segments(p.code.b) if p.code else [],
        epochs=epochs, metric_names=[for_html(k) for k in names], cells=cells, curve=curve, evaluations=evaluations,
        model=[(k.replace("_", " "), for_html(v)) for k, v in p.model.fields.items()] if p.model else [],
        model_shared_by=p.model.shared_by if p.model else 0)


def section_context(report: SimilarityReport, *, href: str | None = PAGE) -> dict[str, object]:
    """What the class page's similarity section shows: the flagged pairs, ranked, linking to ``href``."""
    flagged = [pair_view(p, i) for i, p in enumerate(report.pairs) if p.flagged]
    return dict(pairs=flagged[:SECTION_PAIRS], more=max(0, len(flagged) - SECTION_PAIRS), href=href,
                students=len(report.students), template=for_html(report.template) if report.template else None,
                threshold=f"{100 * report.code_threshold:.0f}%", min_epochs=report.min_equal_epochs,
                notes=[for_html(n) for n in report.notes])


def _grader_version() -> str:
    try:
        return version("grader")
    except PackageNotFoundError:
        return "unknown"


def render_similarity(report: SimilarityReport, *, title: str = "Similarity across the class") -> str:
    """The whole report: every kept pair, flagged first, with its evidence side by side."""
    from grader.render.html.report import environment

    ctx = dict(lang="en", script_src="'none'", grader_version=_grader_version(), title=for_html(title),
               section=section_context(report, href=None),
               pairs=[pair_view(p, i) for i, p in enumerate(report.pairs)])
    return environment().get_template("similarity.html.j2").render(**ctx)


__all__ = ["PAGE", "PairView", "pair_view", "render_similarity", "section_context"]
