"""Run jobs as Ray tasks: each submission one task with its CPU (and GPU) needs, the sandbox on the worker.

    grader grade class/ --rubric nn-basics-keras --executor ray --address ray://head:10001 --jobs 8

Ray schedules; this module only packs a submission's files into the task, runs the same
:func:`grader.pipeline.executors.base.run_job` a local worker runs, and brings back the same verified
evidence JSON plus the run's kept files (figures, models) for the reports. Each Ray worker process
keeps one verifier alive across the tasks it runs. The dataset folder must exist at the same path
on every node (or use 'synthetic' data); Ray itself is an optional extra: ``pip install grader[ray]``.
When the caller wants live progress, tasks push the same small events a local worker forwards
(cell, fit, epoch) into a Ray queue actor that the driver drains while it waits for results.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from grader.errors import ConfigError
from grader.faults import Culprit
from grader.pipeline.executors.base import EventSink, Job, JobOutcome, fault_evidence, grader_fault, run_job
from grader.pipeline.events import ClassEvent
from grader.pipeline.executors.local import FORWARDED, _small

MAX_KEPT_BYTES = 256 * 2**20  # what a task may send back for the reports

_verifiers: dict[tuple[str, int], Any] = {}


def _pack(root: Path, files: Sequence[str]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for rel in files:
            path = root / rel
            if path.is_file() and not path.is_symlink():
                tar.add(path, arcname=rel, recursive=False)
    return buf.getvalue()


def _unpack(blob: bytes, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        tar.extractall(dest, filter="data")  # no links out, no absolute paths, no devices


def _job_files(job: Job) -> list[str]:
    if not job.folder_source:
        return list(job.entries)
    from grader.intake.discovery import files_under

    return files_under(Path(job.root))


def _verifier(datasets: Any, cpus: int) -> Any:
    key = (str(datasets), cpus)
    if key not in _verifiers:
        from grader.api import dataset_files
        from grader.verify import Verifier

        _verifiers[key] = Verifier(dataset_files(datasets), cpus=cpus)
    return _verifiers[key]


def _forwarder(events: Any, job: Job, slot: str) -> Any:
    if events is None:
        return None

    def progress(event: dict[str, Any]) -> None:
        if event.get("event") in FORWARDED:
            try:
                events.put_nowait((job.key, {**_small(event), "worker": slot}))
            except Exception:  # a full queue or a lost driver never stops a run
                pass

    return progress


def run_task(job: Job, blob: bytes, use_gpu: bool, events: Any = None,
             slot: str = "") -> tuple[str, float, str, bytes | None]:
    """The Ray task body: unpack, run, verify, merge; send back the evidence JSON and the kept files."""
    work = Path(tempfile.mkdtemp(prefix="grader-ray-"))
    t0 = time.perf_counter()
    try:
        _unpack(blob, work / "src")
        keep = work / "keep" if job.keep_dir is not None else None
        local = replace(job, root=str(work / "src"), keep_dir=str(keep) if keep else None)
        gpu = os.environ.get("CUDA_VISIBLE_DEVICES") or None if use_gpu else None  # Ray assigns the task's GPU
        try:
            verified = run_job(local, verifier=_verifier(job.datasets, job.limits.cpus), gpu=gpu,
                               progress=_forwarder(events, job, slot))
        except Exception as exc:  # a grader failure on this node: that submission's result
            verified = fault_evidence(job, grader_fault(exc, f"the grader failed on a Ray worker: {exc}"))
        kept = None
        if keep is not None and keep.is_dir():
            files = [p.relative_to(keep).as_posix() for p in sorted(keep.rglob("*")) if p.is_file()]
            if sum((keep / f).stat().st_size for f in files) <= MAX_KEPT_BYTES:
                kept = _pack(keep, files)
        worker = f"ray:{os.uname().nodename}:{os.getpid()}"
        return verified.model_dump_json(), time.perf_counter() - t0, worker, kept
    finally:
        shutil.rmtree(work, ignore_errors=True)


class RayExecutor:
    """Submissions as Ray tasks; `jobs` bounds how many are in flight at once."""

    def __init__(self, jobs: int = 1, *, datasets: Any = None, cpus_per_job: int = 1, address: str | None = None,
                 gpus_per_job: int = 0):
        try:
            import ray  # noqa: F401
        except ImportError:
            raise ConfigError("--executor ray needs Ray: pip install 'grader[ray]'") from None
        self.slots = max(1, jobs)
        self.datasets = datasets
        self.cpus_per_job = cpus_per_job
        self.gpus_per_job = gpus_per_job
        self.address = address
        self._started = False
        self._pending: list[Any] = []

    def _ray(self) -> Any:
        import ray

        if not ray.is_initialized():
            ray.init(address=self.address, ignore_reinit_error=True, log_to_driver=False)
            self._started = True
        return ray

    def run(self, jobs: Sequence[Job], on_event: EventSink | None = None) -> Iterator[JobOutcome]:
        if not jobs:
            return
        ray = self._ray()
        task = ray.remote(run_task).options(num_cpus=self.cpus_per_job, num_gpus=self.gpus_per_job, max_retries=1)
        queue = list(jobs)
        refs: dict[Any, tuple[Job, str]] = {}
        events = self._events(ray) if on_event is not None else None
        try:
            while queue or refs:
                while queue and len(refs) < self.slots:  # a bounded window: `jobs` tasks in flight
                    job = queue.pop(0)
                    busy = {slot for _, slot in refs.values()}
                    slot = next(f"ray{i}" for i in range(1, self.slots + 2) if f"ray{i}" not in busy)
                    if on_event is not None:
                        on_event(job.key, {"event": ClassEvent.JOB_START.value, "worker": slot, "student": job.name})
                    blob = _pack(Path(job.root), _job_files(job))
                    refs[task.remote(job, blob, self.gpus_per_job > 0, events, slot)] = (job, slot)
                self._pending = list(refs)
                ready, _ = ray.wait(list(refs), num_returns=1, timeout=None if events is None else 0.25)
                if events is not None and on_event is not None:
                    _drain(events, on_event)
                for ref in ready:
                    job, slot = refs.pop(ref)
                    try:
                        verified_json, seconds, where, kept = ray.get(ref)
                    except Exception as exc:  # the task or its node died
                        ve = fault_evidence(job, grader_fault(exc, f"the Ray task failed: {exc}",
                                                              culprit=Culprit.ENVIRONMENT))
                        yield JobOutcome(job.key, ve.model_dump_json(), 0.0, worker=slot)
                        continue
                    if on_event is not None:
                        on_event(job.key, {"event": ClassEvent.JOB_END.value, "worker": slot, "student": job.name})
                    if kept is not None and job.keep_dir is not None:
                        _unpack(kept, Path(job.keep_dir))
                    yield JobOutcome(job.key, verified_json, seconds, worker=slot, extra={"where": where})
        except BaseException:
            self.abort()
            raise
        finally:
            self._pending = []
            if events is not None:
                try:
                    events.shutdown()
                except Exception:
                    pass

    def _events(self, ray: Any) -> Any:
        from ray.util.queue import Queue

        # A zero-CPU actor, so the queue never takes a slot a sandbox could use.
        return Queue(maxsize=10_000, actor_options={"num_cpus": 0})

    def abort(self) -> None:
        import ray

        for ref in self._pending:
            try:
                ray.cancel(ref, force=True)
            except Exception:
                pass

    def close(self) -> None:
        if self._started:
            import ray

            ray.shutdown()
            self._started = False


def _drain(events: Any, on_event: EventSink) -> None:
    try:
        batch = events.get_nowait_batch(events.qsize())
    except Exception:  # the queue actor is gone: progress stops, results still come back
        return
    for key, event in batch:
        try:
            on_event(key, event)
        except Exception:
            pass


__all__ = ["RayExecutor", "run_task"]
