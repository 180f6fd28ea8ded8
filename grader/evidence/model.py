"""The evidence model: what a sandboxed run showed, as plain immutable data.

The probe inside the sandbox writes JSON events; :mod:`grader.evidence.assembly` folds them into
an :class:`Evidence`. Everything here is data the *submission's process* reported, so it
is untrusted: figures that decide a grade are re-derived by :mod:`grader.verify` and
carried separately in :class:`grader.verify.verified.VerifiedEvidence`.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from grader.evidence.cascade import Cascade
from grader.evidence.customtraining import CustomTraining
from grader.evidence.reported import NotebookRecord

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
    NOT_RUN = "not_run"
    """The submission did not run because the grader could not run it: why is a
    :class:`grader.faults.Fault` beside the evidence, never a run status."""


LEGACY_SANDBOX_ERROR = "sandbox_error"
"""The run status that older versions gave a grader fault; read back as NOT_RUN plus a Fault."""


_W = TypeVar("_W", bound="Word")


class Word(str, Enum):
    """A str-valued enum that reads as its value in text and JSON: 'notebook', not 'SubmissionKind.NOTEBOOK'."""

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def of(cls: type[_W], name: object) -> _W | None:
        """The member whose value is ``name``, or None for any other value (one a newer grader or probe wrote,
        or another enum's): wire data is told apart by lookup, never trusted to be known."""
        try:
            return cls(name)
        except ValueError:
            return None


class SubmissionKind(Word):
    SCRIPT = "script"
    NOTEBOOK = "notebook"
    UNKNOWN = "unknown"
    """Neither a .py nor an .ipynb file: refused at intake, never run."""


class Runtime(Word):
    """The Keras a run used (see grader.intake.environments)."""

    KERAS = "keras"
    """tf.keras and keras are whatever the environment installs: Keras 3 with TensorFlow >= 2.16."""
    TF_KERAS = "tf-keras"
    """The legacy Keras 2 runtime: TF_USE_LEGACY_KERAS=1, and a standalone `import keras` gives tf_keras."""


class NoteTopic(Word):
    """What a run note is about."""

    PIP = "pip"
    SHELL = "shell"
    NETWORK = "network"
    MAGIC = "magic"
    COLAB = "colab"
    PATH = "path"
    ADAPTATION = "adaptation"
    """Adapted because the grading machine is not the student's: a GPU line, a drawing, a Keras 3 relocation."""
    PACKAGE = "package"
    """An import of a package the grader's environment does not have (it fails, named)."""
    OTHER = "other"
    """A topic this version of the grader does not know (a newer probe's): the note is kept."""


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
    signature_file: str | None = Field(
        None, description="Fit data only: every row's projections on fixed random vectors (.npy, relative to the "
                          "run's output folder), for the verifier's exact count of test rows trained on.")
    signature_error: str | None = Field(None, description="Why the row signatures could not be written.")


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
    cut: bool = Field(False, description="True when a time limit interrupted this fit: its figures are those of an "
                                         "unfinished training, not of the training the submission asked for.")
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
    topic: NoteTopic
    detail: str = Field(description="What happened, in one sentence.")
    subjects: list[str] = Field(default_factory=list, description="Packages, files or paths the note names.")
    cell_index: int | None = Field(None, description="Notebook cell index (0-based), for notebooks.")
    line: int | None = Field(None, description="Line in the script, or within the cell for notebooks.")
    caused_error: bool = Field(False, description="True when one of the run's errors comes from this.")

    @field_validator("topic", mode="before")
    @classmethod
    def _known_topic(cls, value: object) -> object:
        return value if value in {t.value for t in NoteTopic} or isinstance(value, NoteTopic) else NoteTopic.OTHER

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


class LimitSource(str, Enum):
    """Where a limit's value came from: the report names it with the limit that fired."""

    RUBRIC = "rubric"
    OPTION = "option"
    DEFAULT = "default"


DEFAULT_SEED = 1
SEED_OFF = "none"
"""The seed of every run unless an option or the rubric says otherwise (1, not 0: no `if seed:` takes it for none)."""


class Seeding(Frozen):
    """How a run was seeded, from the probe's own record (the run's limits say what was asked for)."""

    seed: int | None = Field(None, description="The grader's seed; None: the run was not seeded.")
    op_determinism: bool = Field(False, description="TensorFlow's op determinism was on for the run recorded here.")
    fallback: str | None = Field(
        None, description="Why op determinism was turned off for this run: an op had no deterministic "
                          "implementation in the first try (that error, as TensorFlow gave it), so the run was "
                          "repeated once with the seed alone.")
    student_seeds: list[str] = Field(
        default_factory=list, description="Seeds the submission set itself, e.g. 'keras.utils.set_random_seed(7) "
                                          "at line 3'; they win over the grader's for what they seed.")


class Limits(Frozen):
    """Resource limits for one sandboxed run."""

    timeout_s: float = Field(1800.0, description="Wall-clock limit for the whole run, in seconds.")
    timeout_source: LimitSource = Field(LimitSource.DEFAULT, description="Where timeout_s came from.")
    cell_timeout_s: float | None = Field(
        None, description="Wall-clock limit for one notebook cell, in seconds. None: a cell may use what remains of "
                          "the run's time, so no per-cell limit cuts a cell that the run's own limit would allow.")
    cell_timeout_source: LimitSource = Field(LimitSource.DEFAULT, description="Where cell_timeout_s came from.")
    memory_mb: int = Field(6144, description="Memory limit in MiB (resident where cgroups allow, else address space).")
    processes: int = Field(512, description="Most processes and threads at once.")
    file_size_mb: int = Field(512, description="Largest file the run may write, in MiB.")
    output_mb: int = Field(16, description="Most stdout/stderr and cell output, in MiB; past it the run is stopped.")
    cpus: int = Field(1, description="CPU threads TensorFlow and BLAS may use.")
    seed: int | None = Field(
        DEFAULT_SEED, ge=0, lt=2**32,
        description="Seed set for Python's random, NumPy, TensorFlow and Keras before the submission's first line, "
                    "with TensorFlow's op determinism on, so a rerun gives the same figures; a seed the submission "
                    "sets itself still wins. None: unseeded, as before the option existed.")

    @model_validator(mode="before")
    @classmethod
    def _given_means_option(cls, data: Any) -> Any:
        # A time limit passed in without its source was chosen by the caller (an option, an API argument);
        # the rubric's limits say so themselves (RunLimits.to_limits).
        if isinstance(data, dict):
            for key, source in (("timeout_s", "timeout_source"), ("cell_timeout_s", "cell_timeout_source")):
                if data.get(key) is not None and source not in data:
                    data = {**data, source: LimitSource.OPTION}
        return data

    def with_seed(self, option: int | str | None) -> Limits:
        """These limits with a ``--seed`` value: None keeps their seed, 'none' unseeds, a number sets it."""
        if option is None:
            return self
        return self.model_copy(update={"seed": None if option == SEED_OFF else int(option)})

    def more_time_than(self, old: Limits) -> bool:
        """True when these limits give a run more time than `old` did: a stored timeout may now finish."""
        if self.timeout_s > old.timeout_s:
            return True
        if old.cell_timeout_s is None:
            return False
        return self.cell_timeout_s is None or self.cell_timeout_s > old.cell_timeout_s

    def describe(self, which: Literal["run", "cell"]) -> str:
        """'the run's time limit of 5,400 s (set by the rubric)': the words a timeout message names a limit with."""
        value, source = ((self.timeout_s, self.timeout_source) if which == "run"
                         else (self.cell_timeout_s, self.cell_timeout_source))
        what = "the run's time limit" if which == "run" else "the per-cell time limit"
        option = "--timeout" if which == "run" else "--cell-timeout"
        by = {LimitSource.RUBRIC: "set by the rubric", LimitSource.OPTION: f"set by the {option} option",
              LimitSource.DEFAULT: "the grader's default"}[source]
        return f"{what} of {_seconds(value or 0.0)} ({by})"


def _seconds(value: float) -> str:
    return f"{value:,.0f} s" if value >= 10 else f"{value:g} s"


class TimeLimitHit(Frozen):
    """Which time limit stopped a run or a cell, and how far the training in progress had got."""

    limit: Literal["run", "cell"] = Field(description="'run': the whole run's limit; 'cell': the per-cell limit.")
    seconds: float = Field(description="The limit's value.")
    source: LimitSource
    cell_index: int | None = Field(None, description="The notebook cell that was running, 0-based.")
    started: bool = Field(True, description="False: the run's time was spent before this cell could start.")
    killed: bool = Field(False, description="True: the host stopped the whole run, so nothing after was recorded.")
    model_id: str | None = Field(None, description="The model whose fit was running, if one was.")
    fit_index: int | None = Field(None, description="That fit's index within the run.")
    epochs_done: int | None = Field(None, description="Epochs that fit had finished.")
    epochs_requested: int | None = Field(None, description="Epochs that fit asked for.")

    def progress(self) -> str:
        """'epoch 23 of 60' (the epoch running when it was cut), or '' when no fit was running."""
        if self.epochs_done is None:
            return ""
        if self.epochs_requested:
            return f"in epoch {self.epochs_done + 1} of {self.epochs_requested}"
        return f"after {self.epochs_done} epoch(s)"


class RunInfo(Frozen):
    status: RunStatus = Field(description="What the submission's run did; never a grader fault (see Fault).")
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
    time_limit: TimeLimitHit | None = Field(None, description="The time limit that stopped the run or a cell.")
    seeding: Seeding | None = Field(None, description="How the run was seeded (None: recorded before seeding existed, "
                                                     "or TensorFlow was never imported).")

    @field_validator("limits", mode="before")
    @classmethod
    def _unseeded_before_seeding(cls, value: object) -> object:
        # Stored before runs were seeded: those runs were not, whatever Limits' default says now.
        return {**value, "seed": None} if isinstance(value, dict) and "seed" not in value else value

    @field_validator("status", mode="before")
    @classmethod
    def _legacy_status(cls, value: object) -> object:
        # Results stored by older versions: the fault itself is restored by VerifiedEvidence/GradeResult.
        return RunStatus.NOT_RUN if value == LEGACY_SANDBOX_ERROR else value


class SubmissionInfo(Frozen):
    path: str
    kind: SubmissionKind
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
    notebook: NotebookRecord | None = Field(
        None, description="A notebook's words by cell and its stored outputs (the student's own run), parsed: "
                          "answers are attributed to the model whose part of the notebook they sit in.")
    cascades: list[Cascade] = Field(
        default_factory=list, description="Failing cells that later cells failed because of (NameErrors on the names "
                                          "they would have defined): each failure is explained where it starts.")
