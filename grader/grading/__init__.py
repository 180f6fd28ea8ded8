"""Grading: slot matching and the grade itself (verified evidence + rubric -> GradeResult).

`grade` is loaded on first use: the result types are imported by the results store and the CLI long before
anything is graded, and the grade's own imports (scipy's assignment solver) take most of a second.
"""

from typing import Any

from grader.grading.result import CriterionResult, GradeResult, GradeStatus, SlotAssignment

__all__ = ["CriterionResult", "GradeResult", "GradeStatus", "SlotAssignment", "grade"]


def __getattr__(name: str) -> Any:
    if name == "grade":
        from grader.grading.grade import grade

        return grade
    raise AttributeError(f"module 'grader.grading' has no attribute {name!r}")
