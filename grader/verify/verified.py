"""Evidence after verification: each figure that can decide a grade, re-derived outside the sandbox.

A figure is *verified* when the grader recomputed it from the saved model in a clean process,
*reported* when only the submission's own process said so, and flagged as a *mismatch* when the
two disagree by more than a tolerance (a tampered history, a printed accuracy that never was).
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Callable

from pydantic import Field, model_validator

from grader.evidence.model import LEGACY_SANDBOX_ERROR, Evidence, Frozen, LayerInfo, ParamCounts
from grader.faults import Culprit, Fault, Phase
from grader.verify.intervals import Interval


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
    interval: Interval | None = Field(None, description="The verified figure's 95% interval over the examples it "
                                      "was measured on (Wilson for accuracy, a bootstrap for regression errors).")

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
    """Loading or evaluating the model failed for another reason: the verification's ``fault`` says why
    and whose it is (a model file that does not load is the student's; a verifier that breaks, the grader's)."""
    REPORTED_ONLY = "reported_only"
    """The verifier could not read the file under the course's environment (a format another Keras wrote,
    or a verifier that could not start there): the submission's own figures stand, marked as reported."""


class RepeatedFigure(Frozen):
    """A verified metric measured again on re-runs of the submission with other seeds (``grader grade --repeat``).

    The verdict on a bar uses the median: one seed's training may land either side of it."""

    metric: str = Field(description="The rubric's metric name, e.g. 'accuracy'.")
    split: str = Field(description="'test', 'validation' or 'train'.")
    seeds: tuple[int | None, ...] = Field(description="The seed of each run, the first run's first.")
    values: tuple[float, ...] = Field(description="The verified figure of each run, in the order of `seeds`.")

    @property
    def median(self) -> float:
        ordered, n = sorted(self.values), len(self.values)
        return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2

    @property
    def spread(self) -> tuple[float, float]:
        """The lowest and highest value."""
        return min(self.values), max(self.values)

    def describe(self, fmt: Callable[[float], str] = "{:.4f}".format) -> str:
        """'median 0.9190 of 4 runs with seeds 1, 2, 3, 4 (0.9170-0.9215)'."""
        low, high = self.spread
        seeds = ", ".join("none" if s is None else str(s) for s in self.seeds)
        return f"median {fmt(self.median)} of {len(self.values)} runs with seeds {seeds} ({fmt(low)}-{fmt(high)})"


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
    trained_on_test: bool = Field(False, description="The model trained on rows of the grader's test split "
                                  "(test_overlap says how many, where row signatures were recorded).")
    test_overlap: int | None = Field(None, description="How many of the test split's rows the fit's data holds, "
                                     "under the student's preprocessing (exact row signatures); None when not counted.")
    test_overlap_augmented: int | None = Field(
        None, description="Of test_overlap, the rows found only as flipped or shifted (1-2 px) copies.")
    test_rows: int | None = Field(None, description="How many rows the test figures were measured on.")
    measured_on: str | None = Field(None, description="Which rows the test figures were measured on, in words after "
                                    "their count ('test images held back from the run ...'); None: the whole test split.")
    fault: Fault | None = Field(None, description="Set when status is 'error': what broke, and whose it is.")
    repeats: tuple[RepeatedFigure, ...] = Field(
        (), description="Borderline metrics measured again on re-runs with other seeds (grader grade --repeat).")

    def repeated(self, metric: str, split: str) -> RepeatedFigure | None:
        return next((r for r in self.repeats if r.metric == metric and r.split == split), None)

    @property
    def error_fault(self) -> Fault:
        """Why an 'error' verification broke: its fault, or (recorded by an older version) a grader fault."""
        return self.fault or Fault(phase=Phase.VERIFY, culprit=Culprit.GRADER, kind="verification",
                                   message=self.message or "verification failed", subject=self.model_id)

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
    faults: tuple[Fault, ...] = Field(
        (), description="What kept the grader from producing this evidence (intake, run, verify, its own machinery): "
                        "the sandbox could not start, a worker died, the verifier broke. Then the evidence is not "
                        "the submission's and no criterion can be decided. A fault of one model's verification (a "
                        "file that does not load) is on that verification instead.")

    @model_validator(mode="before")
    @classmethod
    def _legacy_sandbox_error(cls, data: Any) -> Any:
        return restore_legacy_fault(data, ("evidence", "run"))

    @property
    def trained_on_test(self) -> list[str]:
        """Ids of the models the verifier found trained on the test split."""
        return [v.model_id for v in self.verifications if v.trained_on_test]

    @property
    def blocking_fault(self) -> Fault | None:
        """The fault that kept the grader from producing the evidence, if any (no criterion can be decided)."""
        return self.faults[0] if self.faults else None

    def verification(self, model_id: str) -> ModelVerification | None:
        for v in self.verifications:
            if v.model_id == model_id:
                return v
        return None


def legacy_fault(message: str) -> Fault:
    """The Fault that an older version's 'sandbox_error' run status stood for."""
    return Fault(phase=Phase.RUN, culprit=Culprit.GRADER, kind=LEGACY_SANDBOX_ERROR, message=message)


def restore_legacy_fault(data: Any, path: tuple[str, ...]) -> Any:
    """A stored result whose run (at ``path``) says 'sandbox_error': the run becomes 'not_run' (by RunInfo's
    own validator) and the fault it stood for is added to ``faults``."""
    if not isinstance(data, dict):
        return data
    run: Any = data
    for key in path:
        run = run.get(key) if isinstance(run, dict) else None
    if not isinstance(run, dict) or run.get("status") != LEGACY_SANDBOX_ERROR:
        return data
    faults = list(data.get("faults") or [])
    if not faults:
        faults.append(legacy_fault(str(run.get("message", "the grader could not run the submission"))))
    return {**data, "faults": faults}
