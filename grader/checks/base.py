"""What a check returns. Student failures are data (an outcome), never exceptions.

Outcomes mean exactly this:

* ``passed``  -- the evidence shows the criterion is met (credit may still be partial only for
  criteria that allow it; full credit is what makes it 'passed').
* ``failed``  -- the evidence shows it is not met, or the submission never produced what is needed
  (including because its run crashed first).
* ``error``   -- something broke (the grader, the verification of the student's model, a custom
  check), so the criterion could not be decided. An error always carries its :class:`Fault`,
  which says in which phase it broke and whose it is.
* ``skipped`` -- deliberately not decided: quick mode, or it cannot be judged from what the grader
  can see (a hand-written training loop: then ``not_judged`` says why).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from pydantic import Field

from grader.evidence.model import Frozen
from grader.evidence.reported import AnswerSource
from grader.checks.noise import Borderline, ReviewReason
from grader.faults import Fault
from grader.verify.verified import FigureStatus

QUICK_MESSAGE = "not checked in quick mode"


class Outcome(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


class NotJudged(Frozen):
    """Why a criterion was not decided: what it needs is not recorded for these models (hand-written loops)."""

    model_ids: tuple[str, ...] = Field(description="The models (loop ids) it could not be judged on.")
    reasons: tuple[str, ...] = Field(description="What is not recorded, in words, one per distinct reason.")


@dataclass(frozen=True)
class CheckResult:
    """The decision on one criterion: outcome, fraction of the points earned, and why."""

    outcome: Outcome
    credit: float
    message: str
    figure_status: FigureStatus | None = None
    model_id: str | None = None
    fault: Fault | None = None  # set exactly when the outcome is 'error'
    not_judged: NotJudged | None = None  # set when skipped because the evidence cannot show it
    answer: AnswerSource | None = None  # questions: where the accepted answer was found
    borderline: Borderline | None = None  # metrics: the figure's interval straddles the bar
    review: tuple[ReviewReason, ...] = ()  # why a person should look at this verdict

    def __post_init__(self) -> None:
        if (self.outcome == Outcome.ERROR) != (self.fault is not None):
            raise ValueError("an 'error' outcome carries its fault, and only an error does")


def passed(message: str, **kw: object) -> CheckResult:
    return CheckResult(Outcome.PASSED, 1.0, message, **kw)  # type: ignore[arg-type]


def failed(message: str, credit: float = 0.0, **kw: object) -> CheckResult:
    return CheckResult(Outcome.FAILED, max(0.0, min(credit, 1.0)), message, **kw)  # type: ignore[arg-type]


def error(message: str, fault: Fault, **kw: object) -> CheckResult:
    """Undecided because something broke: ``fault`` says what, in which phase, and whose it is."""
    return CheckResult(Outcome.ERROR, 0.0, message, fault=fault, **kw)  # type: ignore[arg-type]


def skipped(message: str = QUICK_MESSAGE, *, not_judged: NotJudged | None = None, **kw: object) -> CheckResult:
    return CheckResult(Outcome.SKIPPED, 0.0, message, not_judged=not_judged, **kw)  # type: ignore[arg-type]


def graded(credit: float, message: str, **kw: object) -> CheckResult:
    """Passed at full credit, failed (with partial credit) below it."""
    credit = max(0.0, min(credit, 1.0))
    if credit >= 1.0 - 1e-9:
        return passed(message, **kw)
    return failed(message, credit, **kw)


@dataclass(frozen=True)
class CheckSpec:
    """A check family: its id (recorded in results) and what it decides, in words."""

    id: str
    description: str


CHECKS = {spec.id: spec for spec in [
    CheckSpec("requirements.all_models", "Every model in scope meets the constraints."),
    CheckSpec("slots.filled", "A model fills the slot and meets all of its match constraints."),
    CheckSpec("structure.model", "The slot's model meets the constraints."),
    CheckSpec("metrics.threshold", "A metric of the slot's model, verified by the grader, is in range."),
    CheckSpec("artifacts.training_curves", "A figure shows training and validation curves."),
    CheckSpec("artifacts.confusion_matrix", "A figure shows a confusion matrix."),
    CheckSpec("artifacts.saved_model", "A trained model was saved and reloads safely."),
    CheckSpec("questions.answer", "The student stated the true value of a figure."),
    CheckSpec("training.model_count", "Enough models meet the constraints."),
    CheckSpec("custom.function", "A rubric-supplied function decides."),
]}
