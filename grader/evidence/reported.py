"""What a notebook's stored outputs say (the student's own run) and where the student's words sit.

The stored outputs are evidence of what the student saw on their machine, never proof: every
figure here is *reported*, and decides nothing that the grader could re-derive. They serve to show
the student's run beside the grader's re-run, to time answers against the student's own machine,
and to tell the student's words (markdown, lines their code printed) from Keras's own output.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    """Immutable and strict, as every pipeline type (:mod:`grader.evidence.model` holds these in its Evidence)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

SummaryFormat = Literal["keras3", "keras2", "keras2.13"]
"""'keras3': box-drawn table with sizes; 'keras2': '____'/'====' table, 'Total params: 653,546'
(Keras <= 2.12); 'keras2.13': the same table with sizes, 'Total params: 123338 (481.79 KB)' (2.13-2.15)."""
LogFormat = Literal["keras3", "keras2", "keras2-samples", "keras2-verbose2"]
"""'keras3': '━━━' bars; 'keras2': '1875/1875 [====] - 5s 3ms/step - ...'; 'keras2-samples': the TF1-era
'Train on 54000 samples' / '54000/54000 [====] - 3s 56us/sample - ... - acc: ...'; 'keras2-verbose2':
'1875/1875 - 5s - loss: ...' (fit with verbose=2)."""


class ReportedLayer(Frozen):
    name: str
    class_name: str
    params: int


class ReportedSummary(Frozen):
    """One `model.summary()` table as the notebook stored it."""

    cell_index: int | None = None
    name: str | None = Field(None, description="The model's name from 'Model: \"...\"'.")
    format: SummaryFormat
    total_params: int | None = None
    trainable_params: int | None = None
    non_trainable_params: int | None = None
    layers: list[ReportedLayer] = Field(default_factory=list)
    model_id: str | None = Field(None, description="The re-run's model this table belongs to, when known.")


class ReportedEpoch(Frozen):
    epoch: int = Field(description="1-based epoch number as printed ('Epoch 3/10' is 3).")
    metrics: dict[str, float] = Field(default_factory=dict, description="Final logs of the epoch, as printed.")
    seconds: float | None = Field(None, description="Wall time of the epoch on the student's machine, when printed.")


class ReportedFit(Frozen):
    """One training log (a `fit` with verbose output) as the notebook stored it."""

    cell_index: int | None = None
    format: LogFormat
    epochs_requested: int | None = Field(None, description="The M of 'Epoch N/M'.")
    epochs: list[ReportedEpoch] = Field(default_factory=list)
    train_samples: int | None = Field(None, description="From 'Train on N samples' (Keras 2.2 era).")
    validation_samples: int | None = None
    model_id: str | None = Field(None, description="The re-run's model this log belongs to, when known.")

    def final(self, metric: str) -> float | None:
        """The metric's value at the last epoch that printed it ('val_accuracy', 'loss', ...)."""
        for ep in reversed(self.epochs):
            if metric in ep.metrics:
                return ep.metrics[metric]
        return None

    @property
    def epoch_seconds(self) -> list[float]:
        return [ep.seconds for ep in self.epochs if ep.seconds is not None]


class ReportedEvaluate(Frozen):
    """An `evaluate` result the notebook stored: Keras's own bar, or the list the student displayed."""

    cell_index: int | None = None
    metrics: dict[str, float] = Field(default_factory=dict, description="From Keras's progress bar.")
    values: list[float] = Field(default_factory=list, description="From a displayed '[loss, accuracy]' list.")
    model_id: str | None = None


class ReportedCell(Frozen):
    """What one code cell's stored outputs held."""

    cell_index: int | None = Field(description="Notebook cell index (0-based); None for a script's output.")
    summaries: list[ReportedSummary] = Field(default_factory=list)
    fits: list[ReportedFit] = Field(default_factory=list)
    evaluations: list[ReportedEvaluate] = Field(default_factory=list)
    images: int = Field(0, description="Stored images (image/png, image/jpeg, image/svg+xml outputs).")
    student_lines: list[str] = Field(default_factory=list, description="Lines the student's code printed or "
                                     "displayed, framework output removed.")
    framework_lines: int = Field(0, description="How many lines were Keras/TF/Python output, not the student's.")


class ReportedRun(Frozen):
    """Everything a submitted notebook's stored outputs showed, cell by cell (cells with outputs only)."""

    cells: list[ReportedCell] = Field(default_factory=list)

    @property
    def summaries(self) -> list[ReportedSummary]:
        return [s for c in self.cells for s in c.summaries]

    @property
    def fits(self) -> list[ReportedFit]:
        return [f for c in self.cells for f in c.fits]

    @property
    def evaluations(self) -> list[ReportedEvaluate]:
        return [e for c in self.cells for e in c.evaluations]

    @property
    def images(self) -> int:
        return sum(c.images for c in self.cells)

    def fits_of(self, model_id: str) -> list[ReportedFit]:
        return [f for f in self.fits if f.model_id == model_id]

    def summaries_of(self, model_id: str) -> list[ReportedSummary]:
        return [s for s in self.summaries if s.model_id == model_id]


Source = Literal["markdown", "printed"]
Run = Literal["rerun", "stored"]


class Passage(Frozen):
    """A piece of the student's own words: one markdown cell, or the lines one cell's code printed."""

    cell_index: int | None = Field(None, description="Notebook cell index (0-based); None when unknown.")
    source: Source
    run: Run | None = Field(None, description="For printed text: the grader's re-run or the notebook's stored run.")
    text: str


class ModelTouch(Frozen):
    """A cell of the re-run in which the probe saw a model compiled, trained or evaluated, or that printed
    the model's summary (matched by its parameter count)."""

    cell_index: int
    model_id: str
    action: Literal["compile", "fit", "evaluate", "summary"]


class NotebookRecord(Frozen):
    """A notebook's text laid out by cell, so answers can be attributed to the model whose part they are in."""

    passages: list[Passage] = Field(default_factory=list)
    touches: list[ModelTouch] = Field(default_factory=list, description="In the order the re-run saw them.")
    stored: ReportedRun | None = Field(None, description="The submitted notebook's stored outputs, parsed.")


class AnswerSource(Frozen):
    """Where an accepted answer was found, for the report."""

    cell_index: int | None = None
    source: Source
    run: Run | None = None
    text: str = Field(description="The number as written.")
    excerpt: str = Field("", description="The line it sits on (trimmed).")

    def where(self) -> str:
        """'the markdown of cell 4', 'the stored output of cell 7', 'what cell 7 printed in the grader's run'."""
        cell = f"cell {self.cell_index}" if self.cell_index is not None else None
        if self.source == "markdown":
            return f"the markdown of {cell}" if cell else "the notebook markdown"
        if self.run == "stored":
            return f"the stored output of {cell}" if cell else "the notebook's stored output"
        return f"what {cell} printed in the grader's run" if cell else "the printed output"
