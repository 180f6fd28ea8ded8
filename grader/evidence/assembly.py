"""Folds a sandbox's event log and files into an immutable Evidence, deciding the run status.

The event log is untrusted input: it is size-capped, parsed line by line as JSON (never
unpickled), validated against the evidence schema, and malformed lines are counted, not
trusted.
"""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError

from grader.evidence.model import (CellError, DataFingerprint, Evidence, EvaluateRecord, FigureRecord, FitRecord,
                                   Isolation, Limits, ModelRecord, RunInfo, RunStatus, ScriptError, SubmissionInfo,
                                   SubmissionKind)
from grader.evidence.events import MODEL_EVENTS, ProbeEvent
from grader.evidence.shims import fold_shims
from grader.evidence.notes import explain, fold_run_notes, link_notes
from grader.evidence.loops import fold_custom_training
from grader.evidence.seeding import fold_seeding
from grader.evidence.timelimits import fold_time_limits, mark_cut, timeout_message
from grader.evidence.stored_outputs import read_notebook_record
from grader.sandbox.runner import SandboxResult
from grader.intake.submission import Submission

MAX_EVENTS_BYTES = 64 * 2**20
TAIL_EVENTS_BYTES = 1 * 2**20
MAX_MODELS = 200
_NOISE = re.compile(
    r"^(I0000|W0000|E0000 .*(cuda|cuInit)|WARNING: All log messages before absl|To enable the following instructions"
    r"|.*oneDNN custom operations are on|.*cpu_feature_guard|Fontconfig error|.*This TensorFlow binary is optimized"
    r"|.*Unable to register cu(DNN|FFT|BLAS)|.*computation placer already registered|.*TF-TRT Warning"
    r"|.*running over TCP without encryption|.*(DeprecationWarning|warn)\(.*jupyter_client)"
)


def filter_noise(text: str, max_lines: int = 80) -> str:
    lines = [line for line in text.splitlines() if not _NOISE.match(line)]
    return "\n".join(lines[-max_lines:])


def read_events(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    warnings: list[str] = []
    if not path.exists():
        return [], warnings
    size = path.stat().st_size
    with path.open("rb") as fh:
        raw = fh.read(MAX_EVENTS_BYTES)
    if size > MAX_EVENTS_BYTES:
        warnings.append(f"event log is {size / 2**20:.0f} MiB; only the first {MAX_EVENTS_BYTES // 2**20} MiB were read")
    lines = raw.splitlines()
    if size > MAX_EVENTS_BYTES:
        # The driver's own closing events come last: a log padded past the cap must not hide them.
        with path.open("rb") as fh:
            fh.seek(max(MAX_EVENTS_BYTES, size - TAIL_EVENTS_BYTES))
            tail = fh.read(TAIL_EVENTS_BYTES)
        lines += tail.splitlines()[1:]
    events, bad = [], 0
    for line in lines:
        try:
            item = json.loads(line)
            if isinstance(item, dict) and isinstance(item.get("event"), str):
                events.append(item)
            else:
                bad += 1
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            bad += 1
    if bad:
        warnings.append(f"{bad} malformed event line(s) ignored")
    return events, warnings


class _Models:
    """Accumulates per-model snapshots, fits and evaluations in order of first sight."""

    def __init__(self) -> None:
        self.snapshots: dict[str, dict[str, Any]] = {}
        self.fits: dict[str, list[FitRecord]] = {}
        self.evals: dict[str, list[EvaluateRecord]] = {}
        self.metrics: dict[str, list[str]] = {}

    def snapshot(self, snap: dict[str, Any]) -> str | None:
        mid = snap.get("id")
        if not isinstance(mid, str) or (mid not in self.snapshots and len(self.snapshots) >= MAX_MODELS):
            return None
        if "metrics" in snap:
            self.metrics[mid] = list(snap.pop("metrics") or [])
        self.snapshots[mid] = snap
        return mid

    def fold(self, kind: ProbeEvent | None, ev: dict[str, Any]) -> bool:
        """Take a compile/fit/evaluate event (its model snapshot, and the fit or evaluate it carries);
        False for any other event. Shared by the sandbox's log and the in-kernel self-check."""
        if kind not in MODEL_EVENTS or not isinstance(ev.get("model"), dict):
            return False
        mid = self.snapshot(dict(ev["model"]))
        if mid and kind is ProbeEvent.FIT:
            self.fits.setdefault(mid, []).append(FitRecord(**ev["fit"]))
        elif mid and kind is ProbeEvent.EVALUATE:
            self.evals.setdefault(mid, []).append(EvaluateRecord(**ev["evaluate"]))
        return True

    def build(self, warnings: list[str]) -> list[ModelRecord]:
        out = []
        for mid, snap in self.snapshots.items():
            try:
                out.append(ModelRecord(**snap, metrics=self.metrics.get(mid, []), fits=self.fits.get(mid, []),
                                       evaluations=self.evals.get(mid, [])))
            except (ValidationError, TypeError) as exc:
                warnings.append(f"model {mid}: evidence did not match the schema ({str(exc).splitlines()[0]})")
        return out


class BegunFit(NamedTuple):
    """A fit that has begun, with the inputs it trains on (a ``fit_data`` event)."""

    model_id: str
    index: int
    x: DataFingerprint
    validation_split: float | None


class RunSoFar(NamedTuple):
    models: list[ModelRecord]
    datasets: list[str]
    """The datasets the run loaded, in order."""
    begun: list[BegunFit]
    """Every fit whose training inputs were recorded as it began, ended or not."""


def run_so_far(events_file: Path) -> RunSoFar:
    """The models, datasets and begun fits an event log holds so far, read while the run is still writing it
    (grader.verify.speculation): a line still being written is dropped like any malformed one."""
    events, warnings = read_events(events_file)
    models, datasets, begun = _Models(), [], []
    for ev in events:
        kind = ProbeEvent.of(ev["event"])
        try:
            if models.fold(kind, ev):
                continue
            if kind is ProbeEvent.DATASET and ev.get("name") not in datasets:
                datasets.append(str(ev.get("name")))
            elif kind is ProbeEvent.FIT_DATA and isinstance(ev.get("x"), dict):
                split = ev.get("validation_split")
                begun.append(BegunFit(str(ev["model"]), int(ev["fit"]), DataFingerprint(**ev["x"]),
                                      float(split) if isinstance(split, (int, float)) else None))
        except (ValidationError, TypeError, KeyError, ValueError):
            continue
    return RunSoFar(models.build(warnings), datasets, begun)


def assemble(submission: Submission, result: SandboxResult, limits: Limits, *, python: str = "", quick: bool = False,
             compat: str | None = None) -> Evidence:
    events, warnings = read_events(result.out_dir / "events.jsonl")
    models = _Models()
    figures: list[FigureRecord] = []
    datasets: list[str] = []
    cell_errors: list[CellError] = []
    run_end: dict[str, Any] | None = None
    markdown, cells_total, versions = "", None, {}
    for ev in events:
        kind = ProbeEvent.of(ev["event"])  # None for an event this grader does not know: skipped
        try:
            if models.fold(kind, ev):
                continue
            if kind is ProbeEvent.FIGURE and len(figures) < 100:
                figures.append(FigureRecord(**ev["figure"]))
            elif kind is ProbeEvent.DATASET and ev.get("name") not in datasets:
                datasets.append(str(ev.get("name")))
            elif kind is ProbeEvent.CELL_ERROR:
                cell_errors.append(CellError(**{k: ev.get(k) for k in CellError.model_fields if k in ev}))
            elif kind is ProbeEvent.NOTEBOOK:
                markdown, cells_total = str(ev.get("markdown", "")), ev.get("cells_total")
            elif kind is ProbeEvent.RUN_END:
                run_end = ev
            elif kind is ProbeEvent.VERSIONS:
                versions.update({k: str(v) for k, v in ev.items() if k not in ("event", "t", "pid")})
            elif kind is ProbeEvent.WEIGHTS_LOADED:
                warnings.append(f"the submission loaded weights or a model from a file ({ev.get('via')}: {ev.get('source')})")
            elif kind is ProbeEvent.PROBE_WARNING:
                warnings.append(str(ev.get("message", ""))[:300])
        except (ValidationError, TypeError, KeyError) as exc:
            warnings.append(f"'{kind}' event did not match the schema: {str(exc).splitlines()[0][:200]}")
    printed_file = result.out_dir / "printed.txt"
    printed = printed_file.read_text("utf-8", "replace")[:2**20] if printed_file.exists() else result.stdout_head
    # The probe's own notes share the student's stdout; they must never answer a question.
    printed = "".join(line for line in printed.splitlines(keepends=True) if not line.startswith("[grader] "))
    status, message, script_error = decide_status(result, run_end, cell_errors)
    hits = fold_time_limits(events, limits, result.timed_out)
    # The driver's own record of the run's limit beats the host's kill that may follow it by a second.
    time_limit = next((h for h in hits if h.limit == "run" and not h.killed), None) or (
        (hits[-1] if result.timed_out else hits[0]) if hits else None)
    if status is RunStatus.TIMEOUT and time_limit is not None:
        # Named: the limit, its value and source, and how far training had got.
        message = timeout_message(time_limit, limits) + (
            "; it also tried to start more processes or threads than allowed (a fork bomb?)"
            if result.tasks_exhausted else "")  # whether the driver stopped it in time or the host killed it
    run_notes = link_notes(fold_run_notes(events, warnings), cell_errors, script_error)
    message = explain(message, run_notes)
    run = RunInfo(
        status=status, message=message, isolation=result.isolation, isolation_notes=result.notes, limits=limits,
        exit_code=result.returncode if result.returncode is not None and result.returncode >= 0 else None,
        signal=-result.returncode if result.returncode is not None and result.returncode < 0 else None,
        duration_s=round(result.duration_s, 3), cells_total=cells_total,
        cells_run=run_end.get("cells_run") if run_end else None, cell_errors=cell_errors, script_error=script_error,
        log_tail=filter_noise(result.log_tail), output_bytes=result.output_bytes, python=python, versions=versions,
        quick=quick, peak_memory_mb=round(result.peak_memory_mb, 1) if result.peak_memory_mb else None, compat=compat,
        time_limit=time_limit, seeding=fold_seeding(events, limits),
    )
    info = SubmissionInfo(path=str(submission.path), kind=submission.kind, sha256=submission.sha256, size=submission.size)
    if result.leftover_processes:
        warnings.append(f"{result.leftover_processes} process(es) were still running after the run and were killed")
    custom_training = fold_custom_training(events, result.out_dir, warnings)
    built = mark_cut(models.build(warnings), hits)
    diagnoses = _diagnoses(submission, run)
    notebook = read_notebook_record(events, built, submitted=submission.path if submission.kind == SubmissionKind.NOTEBOOK else None,
                                    executed=result.out_dir / "executed.ipynb", warnings=warnings)
    return Evidence(submission=info, run=run, models=built, figures=figures, datasets=datasets, notebook=notebook,
                    custom_training=custom_training,
                    printed=printed, markdown=markdown, warnings=warnings, diagnoses=diagnoses,
                    run_notes=run_notes, cascades=_cascades(submission, run, diagnoses, run_notes),
                    shims=_shims(events, submission))


def _shims(events: list[dict[str, Any]], submission: Submission) -> list:
    cells = None
    if submission.kind == SubmissionKind.NOTEBOOK:
        from grader.evidence.shims import executed_cells

        try:
            cells = executed_cells(submission.path.read_text("utf-8")[: 8 * 2**20])
        except (OSError, UnicodeDecodeError):
            cells = None
    return fold_shims(events, notebook=submission.kind == SubmissionKind.NOTEBOOK, entry=submission.path.name, cells=cells)


def _cascades(submission: Submission, run: RunInfo, diagnoses: list, run_notes: list) -> list:
    """Cells that failed and took later cells with them (see grader.evidence.cascade)."""
    from grader.evidence.cascade import find_cascades, notebook_sources

    if submission.kind != SubmissionKind.NOTEBOOK or len(run.cell_errors) < 2:
        return []
    try:
        sources = notebook_sources(submission.path.read_text("utf-8")[: 8 * 2**20])
    except (OSError, UnicodeDecodeError):
        return []
    # What the grader already knows about why a cell failed: a run note or a Keras 2 idiom linked to it.
    causes = {n.cell_index: n.detail for n in run_notes if n.caused_error and n.cell_index is not None}
    for d in diagnoses:
        if d.caused_error and d.cell_index is not None:
            causes.setdefault(d.cell_index, f"{d.title} ({d.fix})")
    return find_cascades(sources, [(e.cell_index, e.ename, e.evalue) for e in run.cell_errors], causes)


def _diagnoses(submission: Submission, run: RunInfo) -> list:
    from grader.evidence.diagnoses import link_errors, scan_source

    try:
        text = submission.path.read_text("utf-8")[: 8 * 2**20]
    except (OSError, UnicodeDecodeError):
        return []
    errors = [(e.cell_index, f"{e.ename}: {e.evalue}") for e in run.cell_errors]
    if run.script_error is not None:
        errors.append((None, f"{run.script_error.ename}: {run.script_error.evalue}"))
    return link_errors(scan_source(text, notebook=submission.kind == SubmissionKind.NOTEBOOK), errors)


def _is_signal(num: int) -> bool:
    try:
        signal.Signals(num)
        return True
    except ValueError:
        return False


def _signal_name(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return f"signal {num}"


def decide_status(result: SandboxResult, run_end: dict[str, Any] | None,
                  cell_errors: list[CellError]) -> tuple[RunStatus, str, ScriptError | None]:
    """The run's status from what the host saw first, then what the driver reported."""
    limits_hit = [
        (result.timed_out, RunStatus.TIMEOUT, "the run took longer than its time limit and was stopped"),
        (result.output_exceeded, RunStatus.OUTPUT_LIMIT, "the run printed more output than allowed and was stopped"),
        (result.disk_exceeded, RunStatus.OUTPUT_LIMIT,
         f"the run wrote more to disk than allowed: it exceeded the disk limit of {result.disk_limit_bytes / 2**20:g} MiB"
         " (work and output folders together)" if result.disk_limit_bytes
         else "the run wrote more to disk than allowed and was stopped"),
        (result.oom_killed, RunStatus.MEMORY_LIMIT, "the run used more memory than allowed and was stopped"),
    ]
    for hit, status, message in limits_hit:
        if hit:
            if result.tasks_exhausted:
                message += "; it also tried to start more processes or threads than allowed (a fork bomb?)"
            return status, message, None
    if run_end is None:
        code = result.returncode
        if code is not None and code < 0:
            return RunStatus.KILLED, f"the run was killed by {_signal_name(-code)} before it finished", None
        if code is not None and code > 128 and result.isolation is not Isolation.LIMITS_ONLY and _is_signal(code - 128):
            # Under bubblewrap/unshare the child's death by a signal comes back as exit code 128 + signal.
            return (RunStatus.KILLED,
                    f"the run was killed by {_signal_name(code - 128)} (exit code {code}) before it finished", None)
        if code:
            return RunStatus.EXITED, f"the run ended abruptly with exit code {code} (os._exit or a crash in native code)", None
        return RunStatus.EXITED, "the run ended without finishing normally (os._exit(0)?)", None
    kind = run_end.get("status")
    if kind == "syntax_error":
        err = ScriptError(ename=str(run_end.get("ename", "SyntaxError")), evalue=str(run_end.get("evalue", "")),
                          lineno=run_end.get("lineno"), traceback=str(run_end.get("traceback", "")))
        hint = " (Python 2 syntax? print is a function in Python 3)" if "print" in err.evalue.lower() or "Missing parentheses" in err.evalue else ""
        where = f" on line {err.lineno}" if err.lineno is not None else ""
        return RunStatus.INVALID, f"the script does not parse: {err.evalue}{where}{hint}", err
    if kind == "exception":
        err = ScriptError(ename=str(run_end.get("ename", "")), evalue=str(run_end.get("evalue", "")),
                          lineno=run_end.get("lineno"), traceback=str(run_end.get("traceback", "")))
        if err.ename == "MemoryError":
            return RunStatus.MEMORY_LIMIT, f"the script ran out of memory on line {err.lineno}", err
        return RunStatus.CRASHED, f"the script raised {err.ename}: {err.evalue[:200]} (line {err.lineno})", err
    if kind == "exit":
        return RunStatus.EXITED, f"the script called sys.exit({run_end.get('exit_code')})", None
    if kind == "kernel_died":
        return RunStatus.CRASHED, f"the notebook's kernel died in cell {run_end.get('cell_index')} (os._exit, a crash or running out of memory)", None
    if kind == "output_limit":
        return RunStatus.OUTPUT_LIMIT, f"cell {run_end.get('cell_index')} printed more output than allowed; the run was stopped", None
    if kind == "run_limit":
        where = f" in cell {run_end['cell_index']}" if isinstance(run_end.get("cell_index"), int) else ""
        return RunStatus.TIMEOUT, f"the run's time limit was reached{where}", None
    if any(e.ename == "CellTimeoutError" for e in cell_errors) and kind in ("ok", "stopped"):
        first = next(e for e in cell_errors if e.ename == "CellTimeoutError")
        return RunStatus.TIMEOUT, f"cell {first.cell_index} ran past its time limit and was interrupted", None
    if cell_errors:
        first = cell_errors[0]
        stopped = " (the run stopped there)" if kind == "stopped" else ""
        return (RunStatus.COMPLETED_WITH_ERRORS,
                f"{len(cell_errors)} cell(s) raised errors; first: cell {first.cell_index}, {first.ename}: {first.evalue[:160]}{stopped}",
                None)
    return RunStatus.COMPLETED, "the run completed", None

