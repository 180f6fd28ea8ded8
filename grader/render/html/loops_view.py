"""Hand-written training loops in the HTML report: what was recorded and what could be judged."""

from __future__ import annotations

from dataclasses import dataclass

from grader.render.loops import loop_judgements
from grader.grading.result import GradeResult
from grader.render.html.charts import Chart, history_charts
from grader.render.safe import for_html


@dataclass(frozen=True)
class LoopView:
    anchor: str
    title: str
    facts: list[tuple[str, str]]
    judged: list[tuple[str, str, str]]  # (criterion id, outcome, message)
    not_judged: list[tuple[str, str]]  # (criterion id, message)
    charts: list[Chart]


def loop_views(r: GradeResult) -> list[LoopView]:
    out = []
    for j in loop_judgements(r):
        t = j.training
        losses = [s.value for s in t.losses if s.value is not None]
        title = f"{t.id} hand-written training loop" + (f" (fills {', '.join(j.slots)})" if j.slots else "")
        out.append(LoopView(
            anchor=f"model-{t.id}", title=for_html(title), facts=[(k, for_html(v)) for k, v in j.facts],
            judged=[(c.id, c.outcome.value, for_html(c.message)) for c in j.judged],
            not_judged=[(c.id, for_html(c.message)) for c in j.not_judged],
            charts=history_charts({"loss": losses}) if len(losses) >= 2 else [],
        ))
    return out
