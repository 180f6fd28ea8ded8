"""Faults: something broke while grading, told apart from what the student's code did.

A :class:`Fault` says in which phase of the pipeline it happened (in the spirit of pytest's
``TestReport.when``) and who is responsible for it. The student's run outcome
(:class:`grader.evidence.model.RunStatus`) only says what the submission did; a grader that could not
run it, a verifier that could not load a model, a custom check that raised, are faults, carried
beside the evidence and on the criteria they leave undecided (outcome ``error``, never ``failed``).

It lives at the top of the package, not in one stage, because every stage makes them (intake, the
sandbox run, verification, checks, renderers, the pipeline around them) and the later stages read
them; it imports nothing from the rest of the grader.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

DETAIL_CHARS = 2000


class Phase(str, Enum):
    """Where in the pipeline the fault happened."""

    def __str__(self) -> str:
        return str(self.value)

    INTAKE = "intake"
    """Reading the submission: unpacking, discovering its files."""
    RUN = "run"
    """Running it in the sandbox and reading back its evidence."""
    VERIFY = "verify"
    """Re-deriving its figures: loading a saved model in the verifier, re-measuring it."""
    CHECK = "check"
    """Deciding a criterion of the rubric."""
    RENDER = "render"
    """Writing a report."""
    GRADER = "grader"
    """The grader's own machinery around the stages: a worker process, a task queue, a store."""


class Culprit(str, Enum):
    """Who is responsible: whose change would make the fault go away."""

    def __str__(self) -> str:
        return str(self.value)

    STUDENT = "student"
    """The submission's evidence broke the stage (a saved model that does not load, a model the
    verifier cannot re-measure). Deterministic: grading the same files again gives the same fault."""
    RUBRIC = "rubric"
    """The rubric's own code (a custom check that cannot load, raises or returns nonsense): neither the
    student's doing nor the grader's, like flake8's PluginExecutionFailed. Deterministic for a rubric."""
    GRADER = "grader"
    """A bug in the grader. Grading again (after a fix) may give a result."""
    ENVIRONMENT = "environment"
    """The host the grader ran on (no bubblewrap, a worker or a node that died). Grading again may work."""

    @property
    def ours(self) -> bool:
        """True when the grader or its host is to blame: the result is not the submission's, retry it."""
        return self in (Culprit.GRADER, Culprit.ENVIRONMENT)


class Fault(BaseModel):
    """One thing that broke while grading a submission, with its phase and who is responsible."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    phase: Phase
    culprit: Culprit
    kind: str = Field(description="What broke: an exception's type name ('ValueError') or a short id ('load').")
    message: str = Field(description="What happened, in one sentence.")
    detail: str = Field("", description="The end of a traceback or of a worker's log, for instructors.")
    subject: str | None = Field(None, description="What it concerns: a model id ('m2'), a criterion id, a file.")

    @property
    def ours(self) -> bool:
        """The grader's or its host's fault (retry it), not the student's or the rubric's."""
        return self.culprit.ours

    @classmethod
    def from_exception(cls, exc: BaseException, *, phase: Phase, culprit: Culprit | None = None,
                       message: str | None = None, subject: str | None = None) -> Fault:
        """A fault for an exception the grader caught; the culprit defaults to the exception's kind."""
        tail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-DETAIL_CHARS:]
        return cls(phase=phase, culprit=culprit or culprit_of(exc), kind=type(exc).__name__,
                   message=message or f"{type(exc).__name__}: {exc}", detail=tail, subject=subject)

    def line(self) -> str:
        """One plain line: '[verify, student] m2: the saved model does not load (ValueError)'."""
        about = f"{self.subject}: " if self.subject else ""
        return f"[{self.phase.value}, {self.culprit.value}] {about}{self.message} ({self.kind})"


def culprit_of(exc: BaseException) -> Culprit:
    """Who an exception the grader caught blames: the host for a sandbox or interpreter it cannot use,
    else the grader itself."""
    from grader.errors import ConfigError, SandboxError

    if isinstance(exc, (SandboxError, ConfigError, OSError, MemoryError)):
        return Culprit.ENVIRONMENT
    return Culprit.GRADER


def ours(faults: Iterable[Fault]) -> list[Fault]:
    """The faults that are the grader's or its host's: a result holding one is retried, not kept."""
    return [f for f in faults if f.ours]


__all__ = ["Culprit", "DETAIL_CHARS", "Fault", "Phase", "culprit_of", "ours"]
