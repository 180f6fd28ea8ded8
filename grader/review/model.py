"""A teaching assistant's decisions about a grade, and the record of every change of a grade.

An :class:`Override` is what the TA said (stored in the results store, keyed by student and criterion);
an :class:`OverrideNote` is what a graded criterion carries once an override met it (the original verdict
and points kept beside the TA's); a :class:`HistoryEntry` is one change of a student's grade, with its reason.

Stdlib and pydantic only: :mod:`grader.grading.result` imports this module.
"""

from __future__ import annotations

from enum import Enum

from pydantic import Field, model_validator

from grader.checks.base import Outcome
from grader.evidence.model import Frozen

OVERRIDABLE = (Outcome.PASSED, Outcome.FAILED)
"""The verdicts a TA may give: 'error' and 'skipped' say what the grader did, not what the student earned."""


class Override(Frozen):
    """A TA's verdict on one criterion of one student's grade, as stored."""

    student: str = Field(description="The student's name, as the class folder gives it.")
    criterion: str = Field(description="The criterion's id in the rubric.")
    definition: str = Field(description="sha256 of the criterion's rubric definition when the override was made: "
                                        "re-applied only while the rubric defines the criterion the same way.")
    points: float | None = Field(None, ge=0, description="Points awarded instead of the grader's; None keeps them.")
    outcome: Outcome | None = Field(None, description="Verdict instead of the grader's (passed or failed); None keeps it.")
    comment: str = Field(min_length=1, description="Why: shown to the student beside the criterion.")
    reviewer: str = Field(min_length=1, description="Who decided it (instructors see it; students do not).")
    created: float = Field(description="When, as a Unix time.")

    @model_validator(mode="after")
    def _says_something(self) -> Override:
        if self.points is None and self.outcome is None:
            raise ValueError("an override sets points, a verdict, or both")
        if self.outcome is not None and self.outcome not in OVERRIDABLE:
            raise ValueError(f"an override's verdict is passed or failed, not {self.outcome.value}")
        return self


class OverrideNote(Frozen):
    """What a graded criterion carries when a stored override names it.

    Applied: the criterion's points and outcome are the TA's, and ``original_*`` the grader's. Not applied
    (the rubric changed the criterion since): the criterion keeps the grader's verdict, this note keeps the
    TA's for another look, and the criterion's review reasons say so."""

    applied: bool
    original_points: float
    original_outcome: Outcome
    points: float = Field(description="The TA's points (the criterion's when applied).")
    outcome: Outcome = Field(description="The TA's verdict (the criterion's when applied).")
    comment: str
    reviewer: str = Field("", description="Withheld ('') in the student's copy.")
    created: float

    def words(self) -> str:
        """'Changed by a reviewer from failed, 0 points, to passed, 2 points: <comment>', for plain-text outputs."""
        def said(outcome: Outcome, points: float) -> str:
            return f"{outcome.value}, {points:g} point(s)"

        if not self.applied:
            return (f"A reviewer's override ({said(self.outcome, self.points)}: {self.comment}) is not applied: the "
                    "rubric changed this criterion since")
        return (f"Changed by a reviewer from {said(self.original_outcome, self.original_points)} to "
                f"{said(self.outcome, self.points)}: {self.comment}")


class HistoryReason(str, Enum):
    """Why a student's grade changed (or was first given)."""

    NEW_SUBMISSION = "new_submission"
    """The student's files changed (or this is their first grade)."""
    RUBRIC_CHANGE = "rubric_change"
    """The same files graded under another rubric."""
    OVERRIDE = "override"
    """A TA's override was made, changed, or stopped applying."""
    REPEAT = "repeat"
    """A borderline verdict re-decided on repeated seeded runs."""
    REGRADE = "regrade"
    """The same files and rubric graded again with another outcome (a re-run, a grader change)."""


class HistoryEntry(Frozen):
    """One change of a student's grade."""

    student: str
    time: float
    reason: HistoryReason
    old_score: float | None = Field(description="None for the first grade.")
    new_score: float
    max_score: float
    detail: str = ""
    reviewer: str = Field("", description="Who made an override (withheld, '', in the student's copy).")
    submission: str = Field("", description="The submission's content hash the new grade is of.")
    rubric: str = Field("", description="The sha256 of the rubric the new grade is under.")


__all__ = ["OVERRIDABLE", "HistoryEntry", "HistoryReason", "Override", "OverrideNote"]
