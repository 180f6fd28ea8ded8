"""Grading: slot matching, the grade itself, and its terminal summary."""

from grader.grading.grade import grade
from grader.grading.result import CriterionResult, GradeResult, GradeStatus, SlotAssignment
from grader.grading.terminal import render_summary

__all__ = ["CriterionResult", "GradeResult", "GradeStatus", "SlotAssignment", "grade", "render_summary"]
