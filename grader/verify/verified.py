"""Evidence after verification: each figure that can decide a grade, re-derived outside the sandbox.

A figure is *verified* when the grader recomputed it from the saved model in a clean process,
*reported* when only the submission's own process said so, and flagged as a *mismatch* when the
two disagree by more than a tolerance (a tampered history, a printed accuracy that never was).
"""

from __future__ import annotations

from enum import Enum

from pydantic import Field

from grader.evidence.model import Evidence, Frozen, LayerInfo, ParamCounts


class FigureStatus(str, Enum):
    VERIFIED = "verified"
    """Recomputed by the grader and consistent with what the submission reported (or nothing was reported)."""
    MISMATCH = "mismatch"
    """Recomputed by the grader, and the submission reported something else. The verified value counts."""
    REPORTED = "reported"
    """Only the submission reported it; the grader could not recompute it."""


class CheckedFigure(Frozen):
    name: str = Field(description="What the figure is: 'params.trainable', 'accuracy', 'loss', ...")
    split: str | None = Field(None, description="'test', 'validation' or 'train' for metrics; None for counts.")
    reported: float | None = None
    verified: float | None = None
    status: FigureStatus
    gap: float | None = Field(None, description="verified - reported, when both exist.")
    note: str = ""

    @property
    def value(self) -> float | None:
        """The value that counts: the verified one where there is one."""
        return self.verified if self.verified is not None else self.reported


class VerificationStatus(str, Enum):
    VERIFIED = "verified"
    """The saved model loaded safely and was re-measured."""
    NOT_SAVED = "not_saved"
    """No model file came out of the sandbox for this model (it never finished a fit, or saving failed)."""
    UNSAFE = "unsafe"
    """The model file refused to load with safe_mode=True (a Lambda layer, a custom class)."""
    ERROR = "error"
    """Loading or evaluating the model failed for another reason."""
    REPORTED_ONLY = "reported_only"
    """The verifier could not read the file under the course's environment (a format another Keras wrote,
    or a verifier that could not start there): the submission's own figures stand, marked as reported."""


class ModelVerification(Frozen):
    model_id: str
    file: str | None = None
    status: VerificationStatus
    message: str = ""
    layers: list[LayerInfo] = Field(default_factory=list, description="Layers as read from the saved file.")
    params: ParamCounts | None = Field(None, description="Parameters counted from the saved file.")
    figures: list[CheckedFigure] = Field(default_factory=list)
    dataset: str | None = Field(None, description="Dataset the metrics were recomputed on.")
    preprocessing: str | None = Field(None, description="How the grader rebuilt the inputs, in words.")
    seconds: float = 0.0

    def figure(self, name: str, split: str | None = None) -> CheckedFigure | None:
        for f in self.figures:
            if f.name == name and f.split == split:
                return f
        return None


class VerifiedEvidence(Frozen):
    """The output of the verification stage: the evidence, untouched, and what the grader re-derived."""

    evidence: Evidence
    verifications: list[ModelVerification] = Field(default_factory=list)
    verifier_versions: dict[str, str] = Field(default_factory=dict)

    def verification(self, model_id: str) -> ModelVerification | None:
        for v in self.verifications:
            if v.model_id == model_id:
                return v
        return None
