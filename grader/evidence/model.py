"""The evidence model: what a sandboxed run showed, as plain immutable data.

The probe inside the sandbox writes JSON events; :mod:`grader.evidence.assembly` folds them into
an :class:`Evidence`. Everything here is data the *submission's process* reported, so it
is untrusted: figures that decide a grade are re-derived by :mod:`grader.verify` and
carried separately in :class:`grader.verify.verified.VerifiedEvidence`.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from grader.evidence.customtraining import CustomTraining

EVIDENCE_SCHEMA_VERSION = 1


class Frozen(BaseModel):
    """Base for every pipeline type: immutable, and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class RunStatus(str, Enum):
    """How the sandboxed run ended (not a grade: a run can complete and still fail a rubric)."""

    COMPLETED = "completed"
    """Ran to the end with no uncaught error."""
    COMPLETED_WITH_ERRORS = "completed_with_errors"
    """A notebook ran to the end but one or more cells raised."""
    CRASHED = "crashed"
    """A script raised an uncaught exception, or a notebook's kernel died."""
    EXITED = "exited"
    """The submission called sys.exit/os._exit with a non-zero code."""
    TIMEOUT = "timeout"
    """The whole run, or a cell, ran past its time limit."""
    MEMORY_LIMIT = "memory_limit"
    """The run used more memory than allowed."""
    OUTPUT_LIMIT = "output_limit"
    """The run printed more than allowed."""
    KILLED = "killed"
    """The run was ended by a signal it did not ask for (segfault, abort, ...)."""
    INVALID = "invalid"
    """The submission could not be read or parsed: nothing ran."""
    SANDBOX_ERROR = "sandbox_error"
    """The grader could not run the submission: a grader or host problem, not the student's."""


class Isolation(str, Enum):
    """The isolation level a run had, strongest first."""

    BWRAP = "bwrap"
    NAMESPACES = "namespaces"
    LIMITS_ONLY = "limits-only"


class DataFingerprint(Frozen):
    """A compact description of an array passed to fit/evaluate, enough to recognise a split."""

    kind: str = Field(description="'array' for NumPy-like data, else the Python type's name.")
    shape: list[int] | None = None
    dtype: str | None = None
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    std: float | None = None
    sample_rows: list[int] = Field(default_factory=list, description="Row indices sampled.")
    sample_cols: list[int] = Field(default_factory=list, description="Flat column indices sampled.")
    samples: list[list[float]] = Field(
        default_factory=list, description="Values at sample_rows x sample_cols (flattened rows)."
    )


class WeightInfo(Frozen):
    name: str
    path: str = ""
    shape: list[int]
    count: int
    trainable: bool


class LayerInfo(Frozen):
    name: str
    class_name: str
    units: int | None = None
    filters: int | None = None
    kernel_size: list[int] | None = None
    strides: list[int] | None = None
    pool_size: list[int] | None = None
    activation: str | None = None
    rate: float | None = None
    output_shape: list[int | None] | None = None
    params: int = 0
    trainable_params: int = 0
    weights: list[WeightInfo] = Field(default_factory=list)


class ParamCounts(Frozen):
    total: int
    trainable: int
    non_trainable: int
    weights: int = Field(description="Trainable kernel/embedding entries (connections).")
    biases: int = Field(description="Trainable bias entries.")


class OptimizerInfo(Frozen):
    class_name: str
    learning_rate: float | None = None
    schedule: str | None = Field(None, description="Class of a learning-rate schedule, if any.")
    config: dict[str, Any] = Field(default_factory=dict)


class CallbackInfo(Frozen):
    class_name: str
    config: dict[str, Any] = Field(default_factory=dict)


class FitRecord(Frozen):
    index: int = Field(description="0-based order of this fit call within the run.")
    epochs_requested: int | None = None
    epochs_run: int = 0
    initial_epoch: int = 0
    batch_size: int | None = None
    shuffle: bool | None = None
    validation_split: float | None = None
    has_validation_data: bool = False
    callbacks: list[CallbackInfo] = Field(default_factory=list)
    history: dict[str, list[float]] = Field(
        default_factory=dict, description="Per-epoch logs as recorded by the probe's own callback."
    )
    epoch_seconds: list[float] = Field(default_factory=list)
    x: DataFingerprint | None = None
    y: DataFingerprint | None = None
    validation_x: DataFingerprint | None = None
    validation_y: DataFingerprint | None = None
    saved_model: str | None = Field(None, description="Relative path of the .keras saved after this fit.")
    save_error: str | None = None
    finished: bool = Field(True, description="False when the fit raised or the run ended inside it.")
    quick: bool = Field(False, description="True when quick mode cut the epochs and data of this fit.")
    error: str | None = None


class EvaluateRecord(Frozen):
    index: int
    results: dict[str, float] = Field(default_factory=dict)
    x: DataFingerprint | None = None
    y: DataFingerprint | None = None
    saved_model: str | None = None


class ModelRecord(Frozen):
    """One Keras model the submission compiled, trained or evaluated."""

    id: str = Field(description="Stable id within the run: m1, m2, ... in order of first sight.")
    name: str
    class_name: str
    framework: str = Field(description="'keras' (Keras 3) or 'tf_keras' (legacy Keras 2).")
    kind: str = Field(description="'sequential', 'functional' or 'subclassed'.")
    built: bool = True
    layers: list[LayerInfo] = Field(default_factory=list)
    params: ParamCounts | None = None
    input_shape: list[int | None] | None = None
    optimizer: OptimizerInfo | None = None
    loss: str | None = None
    metrics: list[str] = Field(default_factory=list)
    fits: list[FitRecord] = Field(default_factory=list)
    evaluations: list[EvaluateRecord] = Field(default_factory=list)


class LineInfo(Frozen):
    label: str | None = None
    points: int = 0
    y: list[float] = Field(default_factory=list, description="Y data (first 2,000 points).")


class AxesInfo(Frozen):
    title: str = ""
    xlabel: str = ""
    ylabel: str = ""
    lines: list[LineInfo] = Field(default_factory=list)
    legend: list[str] = Field(default_factory=list)
    images: list[list[int]] = Field(default_factory=list, description="Shapes of images drawn (imshow).")
    bars: int = 0


class FigureRecord(Frozen):
    index: int
    file: str | None = Field(None, description="Relative path of the PNG saved by the probe.")
    suptitle: str = ""
    axes: list[AxesInfo] = Field(default_factory=list)


class CellError(Frozen):
    cell_index: int = Field(description="0-based index of the cell in the notebook.")
    execution_count: int | None = None
    ename: str
    evalue: str
    traceback: str = ""


class ScriptError(Frozen):
    ename: str
    evalue: str
    lineno: int | None = None
    traceback: str = ""


class Diagnosis(Frozen):
    idiom: str = Field(description="Short id of the Keras 2 idiom, e.g. 'optimizer-lr'.")
    title: str = Field(description="What the submission wrote, in words.")
    fix: str = Field(description="What to write instead for Keras 3.")
    line: int | None = Field(None, description="Line in the script, or within the cell for notebooks.")
    cell_index: int | None = Field(None, description="Notebook cell index (0-based), for notebooks.")
    caused_error: bool = Field(False, description="True when one of the run's errors comes from this idiom.")

    def where(self) -> str:
        if self.cell_index is not None:
            return f"cell {self.cell_index}, line {self.line}"
        return f"line {self.line}"


class RunNote(Frozen):
    """How the grader handled code written for Colab or a laptop: a shell escape, a magic, google.colab, a path."""

    kind: Literal["skipped", "provided", "failed", "ran"] = Field(
        description="'skipped' (not run, harmless), 'provided' (the grader supplied it), 'failed' (could not be "
                    "done, with the reason), 'ran' (run as written inside the sandbox).")
    topic: str = Field(description="'pip', 'shell', 'network', 'magic', 'colab' or 'path'.")
    detail: str = Field(description="What happened, in one sentence.")
    subjects: list[str] = Field(default_factory=list, description="Packages, files or paths the note names.")
    cell_index: int | None = Field(None, description="Notebook cell index (0-based), for notebooks.")
    line: int | None = Field(None, description="Line in the script, or within the cell for notebooks.")
    caused_error: bool = Field(False, description="True when one of the run's errors comes from this.")

    def where(self) -> str:
        if self.cell_index is not None:
            return f"cell {self.cell_index}" + (f", line {self.line}" if self.line is not None else "")
        return f"line {self.line}" if self.line is not None else "the run"


class ShimUse(Frozen):
    """A Keras 2 call that compatibility mode accepted on Keras 3 (see `--compat keras2`)."""

    idiom: str = Field(description="Short id of the Keras 2 idiom, e.g. 'optimizer-lr' (the ids of the diagnoses).")
    title: str = Field(description="What the submission wrote, in words.")
    detail: str = Field("", description="What the grader did instead, e.g. 'SGD(lr=0.01) read as learning_rate=0.01'.")
    count: int = Field(1, ge=1, description="How many times the shim fired at this place.")
    line: int | None = Field(None, description="Line in the script, or within the cell for notebooks.")
    cell_index: int | None = Field(None, description="Notebook cell index (0-based), for notebooks.")
    file: str | None = Field(None, description="File the line is in, when it is not the submission itself "
                                               "(a helper module).")

    def where(self) -> str:
        place = f"cell {self.cell_index}, line {self.line}" if self.cell_index is not None else f"line {self.line}"
        return f"{self.file}, {place}" if self.file else place


class Limits(Frozen):
    """Resource limits for one sandboxed run."""

    timeout_s: float = Field(1800.0, description="Wall-clock limit for the whole run, in seconds.")
    cell_timeout_s: float = Field(900.0, description="Wall-clock limit for one notebook cell, in seconds.")
    memory_mb: int = Field(6144, description="Memory limit in MiB (resident where cgroups allow, else address space).")
    processes: int = Field(512, description="Most processes and threads at once.")
    file_size_mb: int = Field(512, description="Largest file the run may write, in MiB.")
    output_mb: int = Field(16, description="Most stdout/stderr and cell output, in MiB; past it the run is stopped.")
    cpus: int = Field(1, description="CPU threads TensorFlow and BLAS may use.")


class RunInfo(Frozen):
    status: RunStatus
    message: str = Field(description="One human sentence on how the run ended.")
    isolation: Isolation
    isolation_notes: list[str] = Field(default_factory=list)
    limits: Limits
    exit_code: int | None = None
    signal: int | None = None
    duration_s: float = 0.0
    cells_total: int | None = None
    cells_run: int | None = None
    cell_errors: list[CellError] = Field(default_factory=list)
    script_error: ScriptError | None = None
    log_tail: str = Field("", description="Last lines of output, grader noise filtered.")
    output_bytes: int = 0
    python: str = ""
    versions: dict[str, str] = Field(default_factory=dict)
    quick: bool = Field(False, description="Quick mode: data and epochs were cut, so metrics are not meaningful.")
    peak_memory_mb: float | None = None
    compat: str | None = Field(None, description="Compatibility mode the run had: 'keras2', or None for plain Keras 3.")


class SubmissionInfo(Frozen):
    path: str
    kind: str = Field(description="'script' or 'notebook'.")
    sha256: str
    size: int


class Evidence(Frozen):
    """Everything one sandboxed run showed, as reported from inside the sandbox."""

    schema_version: int = EVIDENCE_SCHEMA_VERSION
    submission: SubmissionInfo
    run: RunInfo
    models: list[ModelRecord] = Field(default_factory=list)
    custom_training: list[CustomTraining] = Field(
        default_factory=list, description="Hand-written training loops (tf.Variables and GradientTape, no fit).")
    figures: list[FigureRecord] = Field(default_factory=list)
    datasets: list[str] = Field(default_factory=list, description="Datasets the submission loaded.")
    printed: str = Field("", description="Captured text the submission wrote (capped), for question answers.")
    markdown: str = Field("", description="Markdown cell text of a notebook, for question answers.")
    warnings: list[str] = Field(default_factory=list, description="What the grader noticed but did not fail on.")
    diagnoses: list[Diagnosis] = Field(default_factory=list, description="Keras 2 idioms found in the source, with fixes.")
    shims: list[ShimUse] = Field(
        default_factory=list, description="Keras 2 calls that compatibility mode accepted, each with its place and count.")
    run_notes: list[RunNote] = Field(
        default_factory=list, description="How pip installs, shell escapes, magics, google.colab and foreign paths were handled.")
