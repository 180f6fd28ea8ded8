"""The grade: everything a renderer needs, as one immutable, JSON-serialisable value."""

from __future__ import annotations

from enum import Enum

from pydantic import Field

from grader.checks.base import Outcome
from grader.evidence.model import Frozen, Isolation, RunStatus, SubmissionInfo
from grader.verify.verified import FigureStatus, VerifiedEvidence

GRADE_SCHEMA_VERSION = 1


class GradeStatus(str, Enum):
    PASSED = "passed"
    """Every criterion that was checked passed."""
    FAILED = "failed"
    """At least one criterion failed (the submission's doing)."""
    ERROR = "error"
    """The grade is incomplete: the sandbox, the verifier or a custom check broke."""

    @property
    def exit_code(self) -> int:
        return {GradeStatus.PASSED: 0, GradeStatus.FAILED: 1, GradeStatus.ERROR: 3}[self]


class RubricRef(Frozen):
    id: str
    title: str
    version: str
    sha256: str = Field(description="Of the rubric file's bytes, so a grade names exactly what graded it.")
    path: str | None = None


class RunSummary(Frozen):
    status: RunStatus
    message: str
    isolation: Isolation
    duration_s: float = 0.0


class CriterionResult(Frozen):
    id: str
    part: str | None = None
    title: str
    check: str = Field(description="Check family that decided it, e.g. 'metrics.threshold'.")
    outcome: Outcome
    points: float
    max_points: float
    message: str = Field(description="What the grader saw, in words.")
    feedback: str = Field("", description="What to change; set when the criterion did not pass.")
    detail: str = Field("", description="For instructors only (e.g. a question's true value).")
    hidden: bool = False
    bonus: bool = Field(False, description="Extra credit: not in max_score, and failing it fails nothing.")
    figure_status: FigureStatus | None = Field(None, description="verified/reported/mismatch for metric figures.")
    model_id: str | None = None
    slot: str | None = None


class SlotAssignment(Frozen):
    slot: str
    title: str
    model_id: str | None = None
    model_name: str | None = None
    unmet: list[str] = Field(default_factory=list, description="Match constraints the chosen model misses.")
    message: str = ""


class UnassignedModel(Frozen):
    model_id: str
    model_name: str
    trained: bool
    reasons: dict[str, list[str]] = Field(default_factory=dict, description="Slot id -> why it did not fill it.")


class PartScore(Frozen):
    id: str | None
    title: str
    score: float
    max_score: float


class GradeResult(Frozen):
    schema_version: int = GRADE_SCHEMA_VERSION
    grader_version: str = ""
    rubric: RubricRef
    submission: SubmissionInfo
    run: RunSummary
    quick: bool = False
    score: float
    max_score: float = Field(description="Points available among the criteria checked (quick mode skips some).")
    skipped_points: float = 0.0
    percent: float
    status: GradeStatus
    outcome_counts: dict[str, int]
    parts: list[PartScore] = Field(default_factory=list)
    criteria: list[CriterionResult] = Field(default_factory=list)
    slots: list[SlotAssignment] = Field(default_factory=list)
    unassigned: list[UnassignedModel] = Field(default_factory=list)
    evidence: VerifiedEvidence

    @property
    def exit_code(self) -> int:
        return self.status.exit_code

    def criterion(self, criterion_id: str) -> CriterionResult | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)
