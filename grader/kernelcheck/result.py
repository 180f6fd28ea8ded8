"""What a self-check found: the student's copy of the grade, and what only the full grader decides."""

from __future__ import annotations

from pydantic import Field

from grader.evidence.model import Frozen, Word
from grader.grading.result import GradeResult


class FullGraderOnly(Word):
    """Why a criterion is left to the full grader (``grader check``): what the kernel cannot show."""

    VERIFIED_METRIC = "verified_metric"
    """Metric bars are decided on figures the grader re-measures on its own copy of the data."""
    NOTEBOOK_TEXT = "notebook_text"
    """Answers are read from the notebook's markdown and printed output, which the kernel does not keep."""
    SAVED_MODEL = "saved_model"
    """A saved model is reloaded safely in a clean process."""
    FIGURES_CLOSED = "figures_closed"
    """Jupyter closed the figures of earlier cells, and no recorder was installed to see them."""

    @property
    def words(self) -> str:
        return _WORDS[self]


_WORDS = {
    FullGraderOnly.VERIFIED_METRIC: "metric bars are decided on figures the grader re-measures on its own copy of the "
                                    "data, after running your notebook from the start",
    FullGraderOnly.NOTEBOOK_TEXT: "answers are read from your notebook's text and printed output",
    FullGraderOnly.SAVED_MODEL: "a saved model is reloaded by the grader in a clean process",
    FullGraderOnly.FIGURES_CLOSED: "Jupyter closed the figures of earlier cells before this self-check; run "
                                   "`%load_ext grader` at the top of the notebook to let the self-check see them",
}


class Deferred(Frozen):
    criterion_id: str
    title: str
    reason: FullGraderOnly
    kernel_shows: str = Field("", description="What the check saw in the kernel, for information only.")


class SelfCheck(Frozen):
    """A self-check on the student's own kernel: not a verified grade."""

    rubric: str = Field(description="The rubric's id.")
    result: GradeResult = Field(description="The student's copy; deferred criteria are 'skipped'.")
    deferred: tuple[Deferred, ...] = Field((), description="Criteria only the full grader decides, and why.")
    models: int = Field(0, description="Keras models found in the kernel.")
    histories: int = Field(0, description="Fit histories found.")
    figures: int = Field(0, description="Figures seen (open, or recorded before Jupyter closed them).")
    figures_recorded: bool = Field(False, description="Figures were recorded before closing (%load_ext grader).")
    seconds: float = Field(0.0, description="How long the self-check took.")

    def deferred_for(self, criterion_id: str) -> Deferred | None:
        return next((d for d in self.deferred if d.criterion_id == criterion_id), None)

    def _repr_html_(self) -> str:
        from grader.kernelcheck.display import html

        return html(self)

    def __str__(self) -> str:
        from grader.kernelcheck.display import text

        return text(self)
