"""What an executor runs, what comes back, and the protocol every executor follows.

A :class:`Job` is plain, picklable data (paths, limits, flags): it runs the same on a local
worker process and on a Ray worker. :func:`run_job` is the one function both call: it runs each
of the student's files in the sandbox, verifies the models, and merges the evidence. Grading
against the rubric happens back where the results are stored (it is pure and takes milliseconds).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from grader.evidence.model import Evidence, Limits, RunInfo, RunStatus, SubmissionInfo
from grader.faults import Culprit, Fault, Phase
from grader.pipeline.events import ClassEvent
from grader.verify.verified import VerifiedEvidence

# (job key, event) -> None; events are run_submission's progress events plus
# {"event": "job_start"} and {"event": "job_end"}, each with a "worker" field.
EventSink = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class Job:
    key: str  # the submission's content hash: how results find their way back
    name: str  # the student's name (for progress lines)
    label: str  # where it came from, relative to the class folder
    root: str  # folder holding the entries
    entries: tuple[str, ...]  # files to run, relative to root
    folder_source: bool  # the whole root travels with each run
    limits: Limits
    datasets: Any = None  # what run_submission takes: a folder, 'synthetic', or None
    continue_on_error: bool = True
    quick: bool = False
    keep_dir: str | None = None  # where the run's files (figures, models) go, for the reports
    problem: str | None = None  # why it cannot run: becomes an 'invalid' run without running anything
    size: int = 0
    kind: str = "notebook"
    compat: str | None = None  # 'keras2': Keras 2 calls accepted (grader.evidence.shims)
    python: str | None = None  # the course interpreter (grader.intake.environments); None: the grader's own
    runtime: str | None = None  # 'tf-keras': the legacy Keras 2 runtime
    adapt: str | None = None  # 'none': no adaptation to the grading machine (grader_probe.adapt); None: on
    hidden_test: bool = False  # a rubric's verify_on: hidden: serve part of the test split, measure on the rest


@dataclass
class JobOutcome:
    key: str
    verified_json: str  # VerifiedEvidence as JSON: the same bytes from any executor
    seconds: float
    worker: str = ""
    cached_files: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def verified(self) -> VerifiedEvidence:
        return VerifiedEvidence.model_validate_json(self.verified_json)


class Executor(Protocol):
    """Runs jobs, `slots` at a time, and yields each outcome as soon as it is done (any order)."""

    slots: int

    def run(self, jobs: Sequence[Job], on_event: EventSink | None = None) -> Iterator[JobOutcome]: ...

    def close(self) -> None: ...


def _info(job: Job) -> SubmissionInfo:
    return SubmissionInfo(path=job.label, kind=job.kind, sha256=job.key, size=job.size)


def problem_evidence(job: Job, status: RunStatus, message: str,
                     faults: tuple[Fault, ...] = ()) -> VerifiedEvidence:
    """A run that never happened (a refused archive) or broke in the grader: a result all the same."""
    from grader.sandbox import isolation

    host = isolation.detect()
    run = RunInfo(status=status, message=message, isolation=host.level, isolation_notes=list(host.notes),
                  limits=job.limits, python=__import__("sys").version.split()[0])
    return VerifiedEvidence(evidence=Evidence(submission=_info(job), run=run), faults=faults)


def fault_evidence(job: Job, fault: Fault) -> VerifiedEvidence:
    """The grader could not run the submission: its run is 'not_run', and the fault says why and whose it is."""
    return problem_evidence(job, RunStatus.NOT_RUN, fault.message, (fault,))


def grader_fault(exc: BaseException, message: str, *, phase: Phase = Phase.GRADER,
                 culprit: Culprit | None = None, subject: str | None = None) -> Fault:
    """A fault for an exception the grader's own machinery caught around a submission."""
    return Fault.from_exception(exc, phase=phase, culprit=culprit, message=message, subject=subject)


def run_job(job: Job, *, verifier: Any = None, progress: Callable[[dict[str, Any]], None] | None = None,
            gpu: str | None = None) -> VerifiedEvidence:
    """Run every entry of a job and merge the evidence. Never raises because of the submission;
    a grader failure becomes a 'not_run' run with a Fault (the grader's or its host's: retried next time)."""
    from grader.api import run_submission
    from grader.errors import GraderError, VerifierError
    from grader.evidence.merge import merge_verified

    if job.problem is not None:
        return problem_evidence(job, RunStatus.INVALID, job.problem)
    root = Path(job.root).resolve()
    many = len(job.entries) > 1
    parts: list[tuple[str, VerifiedEvidence]] = []
    dirs: list[str] = []
    for i, entry in enumerate(job.entries):
        keep = None
        if job.keep_dir is not None:
            sub = Path(entry).with_suffix("").as_posix().replace("/", "__") if many else ""
            keep = Path(job.keep_dir) / sub if sub else Path(job.keep_dir)
            dirs.append(sub)
        if progress is not None:
            progress({"event": ClassEvent.ENTRY_START.value, "entry": entry, "n": i + 1, "of": len(job.entries)})
        try:
            verified = run_submission(
                root / entry, datasets=job.datasets, limits=job.limits, continue_on_error=job.continue_on_error,
                quick=job.quick, cpus=job.limits.cpus, verifier=verifier, keep_files=keep, progress=progress,
                workdir=root if job.folder_source else None, gpu=gpu, compat=job.compat,
                python=job.python, runtime=job.runtime, adapt=job.adapt, hidden_test=job.hidden_test)
        except GraderError as exc:
            phase = Phase.VERIFY if isinstance(exc, VerifierError) else Phase.RUN
            return fault_evidence(job, grader_fault(exc, f"{entry}: the grader could not run it: {exc}", phase=phase,
                                                    subject=entry))
        parts.append((entry, verified))
    return merge_verified(parts, submission=_info(job), file_dirs=dirs or None)


def default_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def detect_gpus() -> list[str]:
    """GPU indices this host offers ('0', '1', ...), from nvidia-smi or the driver's /proc entries; [] on CPU hosts.

    CUDA_VISIBLE_DEVICES, when set, limits (and orders) what the grader hands out.
    """
    import shutil
    import subprocess

    found: list[str] = []
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            text = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=10).stdout
            found = [line.split(":")[0].split()[1] for line in text.splitlines() if line.startswith("GPU ")]
        except (OSError, subprocess.SubprocessError, IndexError):
            found = []
    if not found:
        proc = Path("/proc/driver/nvidia/gpus")
        if proc.is_dir():
            found = [str(i) for i, _ in enumerate(sorted(proc.iterdir()))]
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        allowed = [v.strip() for v in visible.split(",") if v.strip() and v.strip() != "-1"]
        found = [g for g in allowed if g in found]
    return found


__all__ = ["EventSink", "Executor", "Job", "JobOutcome", "default_cores", "detect_gpus", "fault_evidence", "grader_fault",
           "problem_evidence", "run_job"]
