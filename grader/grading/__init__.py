"""Grading: slot matching and the grade itself (verified evidence + rubric -> GradeResult)."""

from grader.grading.grade import grade
from grader.grading.result import CriterionResult, GradeResult, GradeStatus, SlotAssignment

__all__ = ["CriterionResult", "GradeResult", "GradeStatus", "SlotAssignment", "grade"]
