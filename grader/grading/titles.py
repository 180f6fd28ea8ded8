"""Default titles for criteria a rubric left untitled, derived from what they check."""

from __future__ import annotations

from grader.checks.constraints import describe
from grader.rubric.criteria import (
    ArtifactCriterion, CountCriterion, CriterionBase, CustomCriterion, MetricCriterion, ModelCriterion,
    QuestionCriterion,
)
from grader.rubric.model import Slot


def default_title(item: CriterionBase | Slot) -> str:
    if isinstance(item, ModelCriterion | CountCriterion):
        prefix = f"{item.count} model(s): " if isinstance(item, CountCriterion) else ""
        return prefix + describe(item)
    if isinstance(item, MetricCriterion):
        return f"{item.split} {item.metric} {item.expect}"
    if isinstance(item, ArtifactCriterion):
        return item.artifact.replace("_", " ")
    if isinstance(item, QuestionCriterion):
        return f"state the {item.answer.replace('_', ' ')} of slot '{item.slot}'"
    if isinstance(item, CustomCriterion):
        return item.function
    return item.id
