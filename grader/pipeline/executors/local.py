"""Run jobs on this machine: `jobs` worker processes, each with its own long-lived verifier.

Each worker runs one sandbox at a time, so `jobs` sandboxes run at once; each gets
``max(1, cores // jobs)`` CPU threads (the caller sets it in the jobs' limits). A worker keeps
one verifier (one TensorFlow import) alive across every submission it handles, and, on a GPU
host, hands its sandboxes one GPU through CUDA_VISIBLE_DEVICES (workers take GPUs in turn).
Live progress events travel back to the caller through a queue.

Workers die with the process that started them (Linux: PR_SET_PDEATHSIG), so killing the
grader kills its sandboxes too (bubblewrap's --die-with-parent does the rest).
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
import signal
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from grader.faults import Culprit, Fault, Phase
from grader.evidence.events import ProbeEvent
from grader.pipeline.events import ClassEvent
from grader.pipeline.executors.base import EventSink, Job, JobOutcome, fault_evidence, grader_fault, run_job

# Progress events a worker forwards (the rest are big, or of no use to a progress bar).
FORWARDED = {ClassEvent.ENTRY_START, ProbeEvent.CELL_START, ProbeEvent.FIT_START, ProbeEvent.EPOCH}

_worker: dict[str, Any] = {}


def _die_with_parent() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _init_worker(events: Any, counter: Any, datasets: Any, cpus: int, gpus: list[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent()
    from multiprocessing.util import Finalize

    from grader.api import dataset_files
    from grader.verify import Verifier

    with counter.get_lock():
        index = counter.value
        counter.value += 1
    verifier = Verifier(dataset_files(datasets), cpus=cpus)
    Finalize(verifier, verifier.close, exitpriority=10)
    _worker.update(events=events, verifier=verifier, name=f"w{index + 1}",
                   gpu=gpus[index % len(gpus)] if gpus else None)


def _small(event: dict[str, Any]) -> dict[str, Any]:
    keep = ("event", "entry", "n", "of", "model", "epoch", "epochs", "seconds")
    out = {k: event[k] for k in keep if k in event}
    if isinstance(out.get("model"), dict):
        out["model"] = out["model"].get("id")
    return out


def _work(job: Job) -> JobOutcome:
    events = _worker["events"]
    name = _worker["name"]

    def progress(event: dict[str, Any]) -> None:
        if event.get("event") in FORWARDED:
            try:
                events.put_nowait((job.key, {**_small(event), "worker": name}))
            except Exception:  # a full or closed queue never stops a run
                pass

    events.put((job.key, {"event": ClassEvent.JOB_START.value, "worker": name, "student": job.name}))
    t0 = time.perf_counter()
    try:
        verified = run_job(job, verifier=_worker["verifier"], progress=progress, gpu=_worker["gpu"])
    except Exception as exc:  # a grader bug: one submission's result, not the whole class's
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        verified = fault_evidence(job, grader_fault(exc, f"the grader failed on this submission: {detail}"))
    seconds = time.perf_counter() - t0
    events.put((job.key, {"event": ClassEvent.JOB_END.value, "worker": name, "student": job.name}))
    return JobOutcome(job.key, verified.model_dump_json(), seconds, worker=name)


class LocalExecutor:
    """`jobs` worker processes on this machine."""

    def __init__(self, jobs: int = 1, *, datasets: Any = None, cpus_per_job: int = 1, gpus: list[str] | None = None):
        self.slots = max(1, jobs)
        self.datasets = datasets
        self.cpus_per_job = cpus_per_job
        self.gpus = list(gpus or [])
        self._ctx = mp.get_context("spawn")  # no fork of a threaded parent
        self._pool: ProcessPoolExecutor | None = None
        self._events: Any = None

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._events = self._ctx.Queue()
            counter = self._ctx.Value("i", 0)
            self._pool = ProcessPoolExecutor(max_workers=self.slots, mp_context=self._ctx, initializer=_init_worker,
                                             initargs=(self._events, counter, self.datasets, self.cpus_per_job,
                                                       self.gpus))
        return self._pool

    def run(self, jobs: Sequence[Job], on_event: EventSink | None = None) -> Iterator[JobOutcome]:
        if not jobs:
            return
        pool = self._start()
        stop = threading.Event()

        def pump() -> None:
            while not stop.is_set():
                try:
                    key, event = self._events.get(timeout=0.2)
                except queue_mod.Empty:
                    continue
                except (EOFError, OSError, ValueError):
                    return
                if on_event is not None:
                    try:
                        on_event(key, event)
                    except Exception:
                        pass

        listener = threading.Thread(target=pump, name="grader-progress", daemon=True)
        listener.start()
        futures: dict[Future[JobOutcome], Job] = {pool.submit(_work, job): job for job in jobs}
        try:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    job = futures[fut]
                    try:
                        yield fut.result()
                    except BrokenProcessPool:
                        yield _broken(job, "a grading worker process died while running it")
                    except Exception as exc:  # pickling or pool errors: that job's result, not a crash
                        yield _broken(job, f"the grading worker failed: {exc}")
        except BaseException:
            self.abort()
            raise
        finally:
            stop.set()
            listener.join(timeout=2)

    def abort(self) -> None:
        """Stop now (Ctrl-C): kill the workers, which takes their sandboxes and verifiers down."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for proc in list(getattr(pool, "_processes", {}).values()):
            try:
                proc.kill()
            except Exception:
                pass
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if self._events is not None:
            self._events.close()
            self._events = None


def _broken(job: Job, message: str) -> JobOutcome:
    verified = fault_evidence(job, Fault(phase=Phase.GRADER, culprit=Culprit.ENVIRONMENT, kind="worker", message=message))
    return JobOutcome(job.key, verified.model_dump_json(), 0.0, worker="")


__all__ = ["LocalExecutor"]
