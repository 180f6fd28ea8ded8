"""A metric criterion's figure in the student's own run (their notebook's stored output) beside the re-run.

The stored figure never decides the grade; it is shown next to the grader's, and a rubric bar that lies
between the two is flagged for review: an unseeded training run may land on either side of it.
"""

from __future__ import annotations

from grader.checks.context import GradeContext
from grader.checks.facts import ModelFacts
from grader.checks.metrics import find_figure
from grader.evidence.comparison import Bar, RunComparison, compare_figures, stored_figures
from grader.rubric import names
from grader.rubric.criteria import MetricCriterion


def compare_metric(c: MetricCriterion, ctx: GradeContext, model: ModelFacts | None) -> RunComparison | None:
    """The criterion's figure in both runs, or None when the notebook stored no such figure for the model."""
    nb = ctx.evidence.notebook
    if model is None or nb is None or nb.stored is None:
        return None
    fig = find_figure(model, c.metric, c.split)
    if fig is None or fig.value is None:
        return None
    mine = {(names.metric(k), split): v for (k, split), v in stored_figures(nb.stored, model.id).items()}
    key = (c.metric, c.split)
    bar = Bar(metric=c.metric, split=c.split, text=str(c.expect), holds=c.expect.contains, criterion_id=c.id)
    found = compare_figures(model.id, {key: mine[key]} if key in mine else {}, {key: fig.value}, [bar])
    return found[0] if found else None
