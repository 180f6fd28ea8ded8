"""What a similarity check across a class found: pairs of students, ranked, each with its evidence.

Similarity never changes a grade: these types are evidence for a person to read, and nothing in the
grading pipeline reads them back.
"""

from __future__ import annotations

from enum import Enum

from pydantic import Field

from grader.evidence.model import Frozen


class Signal(str, Enum):
    """The independent kinds of evidence that two submissions share more than chance explains."""

    CODE = "code"
    """Their code shares long token sequences (identifiers renamed still match), the starter code removed."""
    OUTPUTS = "outputs"
    """Their stored training logs agree, to the printed precision, over several epochs: two independent
    trainings never do."""
    MODEL = "model"
    """Their models agree on every choice that differs across the class (architecture, optimizer, ...)."""


class Segment(Frozen):
    """A run of one student's code text; ``shared`` when it is part of a matching span."""

    text: str
    shared: bool = False


class CodeMatch(Frozen):
    similarity: float = Field(description="The larger of the two shares of code found in the other (0-1).")
    similarity_a: float = Field(description="Share of A's fingerprinted code found in B's.")
    similarity_b: float = Field(description="Share of B's fingerprinted code found in A's.")
    shared_tokens: int = 0
    a: list[Segment] = Field(default_factory=list, description="A's code, shared spans marked.")
    b: list[Segment] = Field(default_factory=list, description="B's code, shared spans marked.")


class EqualEpoch(Frozen):
    epoch: int
    metrics: dict[str, float]


class OutputMatch(Frozen):
    """Two stored training logs that agree epoch by epoch, with the figures they agree on."""

    cell_a: int | None = Field(None, description="Notebook cell (0-based) of A's log.")
    cell_b: int | None = None
    epochs: list[EqualEpoch] = Field(default_factory=list)
    equal_evaluations: list[dict[str, float]] = Field(
        default_factory=list, description="Stored evaluate results that are equal as well (supporting, not deciding).")


class ModelMatch(Frozen):
    """The model choices two students share, among those that differ across the class."""

    fields: dict[str, str] = Field(description="Field name to the value both chose (only fields that vary in the class).")
    shared_by: int = Field(description="How many students in the class have this same fingerprint.")


class Pair(Frozen):
    a: str
    b: str
    signals: list[Signal] = Field(default_factory=list, description="The signals strong enough to flag this pair.")
    code: CodeMatch | None = None
    outputs: OutputMatch | None = None
    model: ModelMatch | None = None

    @property
    def flagged(self) -> bool:
        return bool(self.signals)

    @property
    def rank_key(self) -> tuple[int, float]:
        return len(self.signals), self.code.similarity if self.code else 0.0


class SimilarityReport(Frozen):
    students: list[str] = Field(default_factory=list)
    pairs: list[Pair] = Field(default_factory=list, description="Flagged pairs first, then by code similarity.")
    template: str | None = Field(None, description="The starter code subtracted, when one was given.")
    code_threshold: float
    min_equal_epochs: int
    notes: list[str] = Field(default_factory=list, description="What could not be compared, and why.")

    @property
    def flagged(self) -> list[Pair]:
        return [p for p in self.pairs if p.flagged]


__all__ = ["CodeMatch", "EqualEpoch", "ModelMatch", "OutputMatch", "Pair", "Segment", "Signal", "SimilarityReport"]
