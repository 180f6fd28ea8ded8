"""Rubric files: models, loading with line numbers, the JSON Schema, bundled rubric lookup."""

from grader.rubric.loader import RubricErrors, load_rubric, parse_rubric
from grader.rubric.model import Part, Rubric, RunLimits, Slot
from grader.rubric.resolve import bundled_rubrics, resolve_rubric

__all__ = ["Part", "Rubric", "RubricErrors", "RunLimits", "Slot", "bundled_rubrics", "load_rubric",
           "parse_rubric", "resolve_rubric"]
