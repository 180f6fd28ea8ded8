"""The grade: everything a renderer needs, as one immutable, JSON-serialisable value."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import Field, field_validator, model_validator

from grader.checks.base import NotJudged, Outcome
from grader.checks.noise import Borderline, ReviewReason
from grader.errors import ExitCode
from grader.evidence.model import LEGACY_SANDBOX_ERROR, Frozen, Isolation, RunStatus, SubmissionInfo
from grader.evidence.comparison import RunComparison
from grader.evidence.reported import AnswerSource
from grader.faults import Fault
from grader.review.model import HistoryEntry, OverrideNote
from grader.verify.verified import FigureStatus, VerifiedEvidence, restore_legacy_fault

GRADE_SCHEMA_VERSION = 1


class GradeStatus(str, Enum):
    PASSED = "passed"
    """Every criterion that was checked passed."""
    FAILED = "failed"
    """At least one criterion failed (the submission's doing)."""
    ERROR = "error"
    """The grade is incomplete: something broke (see the result's ``faults``: the grader, the verifier on
    the student's model, a custom check)."""

    @property
    def exit_code(self) -> ExitCode:
        return {GradeStatus.PASSED: ExitCode.OK, GradeStatus.FAILED: ExitCode.FAILED,
                GradeStatus.ERROR: ExitCode.GRADER}[self]


class RubricRef(Frozen):
    id: str
    title: str
    version: str
    sha256: str = Field(description="Of the rubric file's bytes, so a grade names exactly what graded it.")
    path: str | None = None


class RunSummary(Frozen):
    status: RunStatus = Field(description="What the submission's run did; a grader fault is in GradeResult.faults.")
    message: str
    isolation: Isolation
    duration_s: float = 0.0

    @field_validator("status", mode="before")
    @classmethod
    def _legacy_status(cls, value: object) -> object:
        return RunStatus.NOT_RUN if value == LEGACY_SANDBOX_ERROR else value


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
    detail: str = Field("", description="For instructors only (e.g. a question's true value, in words).")
    hidden: bool = False
    concealed: bool = Field(False, description="This copy withholds the hidden criterion (student audience): its "
                                               "title, message and points are placeholders; see grader.render.audience.")
    bonus: bool = Field(False, description="Extra credit: not in max_score, and failing it fails nothing.")
    figure_status: FigureStatus | None = Field(None, description="verified/reported/mismatch for metric figures.")
    model_id: str | None = None
    slot: str | None = None
    fault: Fault | None = Field(None, description="What broke, set exactly when the outcome is 'error'.")
    not_judged: NotJudged | None = Field(
        None, description="Set when skipped because what it needs is not recorded (hand-written training loops).")
    true_value: tuple[float, ...] | None = Field(
        None, description="A question's answer as the grader computed it: every value that counts as true "
                          "(verified and reported may differ). For instructors only; None when not known.")
    answer_source: AnswerSource | None = Field(
        None, description="A question's accepted answer: where it was found (cell, markdown or printed output, "
                          "the number and its line).")
    run_comparison: RunComparison | None = Field(
        None, description="A metric as the student's own run (their notebook's stored output) showed it beside the "
                          "grader's re-run; its bar is set when a rubric bar lies between them (flagged for review).")

    borderline: Borderline | None = Field(
        None, description="A metric whose 95% interval straddles the rubric's bar: the interval, the bar and the "
                          "rubric's rule (review, pass, fail) that decided the verdict.")
    review_reasons: tuple[ReviewReason, ...] = Field(
        (), description="Why this verdict asks for a person to look (borderline, trained on test); the verdict stands.")
    override: OverrideNote | None = Field(
        None, description="A TA's override of this criterion (grader.review): when applied, points and outcome are "
                          "the TA's and the note keeps the grader's originals; see grader.review.apply.")

    @property
    def needs_review(self) -> bool:
        return bool(self.review_reasons)

    def truth(self) -> str:
        """The true value in words ('302,110', '0.9812 / 0.9790'), '' when there is none."""
        return " / ".join(f"{v:,.0f}" if float(v).is_integer() else f"{v:.4g}" for v in self.true_value or ())


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


class ReviewFlag(Frozen):
    """One reason a person should look at this result (the grade stands meanwhile): a criterion's flag, or one
    about the whole run (an adaptation that changed what ran, a failure the environment explains)."""

    reason: ReviewReason
    detail: str = Field(description="What to look at, in words.")
    criterion_id: str | None = Field(None, description="The criterion it is about; None for the whole run.")


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
    faults: tuple[Fault, ...] = Field(
        (), description="Every fault of this grade, from every phase: the evidence's, then each criterion's.")
    review: tuple[ReviewFlag, ...] = Field(
        (), description="Why this result asks for a person to look: each flagged criterion's reasons, then the run's "
                        "(see grader.grading.review); empty when nothing does.")
    evidence: VerifiedEvidence
    history: tuple[HistoryEntry, ...] = Field(
        (), description="Every change of this student's grade, oldest first, with its reason (grader.review); set "
                        "by the class pipeline from the results store, empty elsewhere.")

    @model_validator(mode="before")
    @classmethod
    def _legacy_sandbox_error(cls, data: Any) -> Any:
        return restore_legacy_fault(data, ("run",))

    @property
    def grader_faults(self) -> list[Fault]:
        """Faults that are the grader's or its host's (retry this grade), not the student's or the rubric's."""
        return [f for f in self.faults if f.ours]

    @property
    def exit_code(self) -> ExitCode:
        return self.status.exit_code

    @property
    def needs_review(self) -> bool:
        """Whether anything in this result asks for a person to look (see ``review``)."""
        return bool(self.review)

    @property
    def flagged_criteria(self) -> list[CriterionResult]:
        """The criteria whose verdict asks for a person to look (see CriterionResult.review_reasons)."""
        return [c for c in self.criteria if c.review_reasons]

    def criterion(self, criterion_id: str) -> CriterionResult | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)
