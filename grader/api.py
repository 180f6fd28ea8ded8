"""The typed, keyword-only Python API under the CLI.

    from grader.api import run_submission
    verified = run_submission("hw1.ipynb", datasets="~/data", cpus=2)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable

from grader.assemble import assemble
from grader.evidence import Evidence, Isolation, Limits, RunInfo, RunStatus, SubmissionInfo
from grader.sandbox import SandboxRequest, run_sandboxed
from grader.sandbox import isolation as isolation_mod
from grader.submission import Submission, load_submission
from grader.verified import VerifiedEvidence
from grader.verify import Verifier, verify_evidence

# Names the sandbox serves keras.datasets.<name>.load_data() from.
SANDBOX_FILES = {"mnist": "mnist.npz", "fashion_mnist": "fashion_mnist.npz", "cifar10": "cifar10.npz",
                 "cifar100": "cifar100.npz"}


def dataset_files(datasets: str | os.PathLike[str] | None, names: list[str] | None = None) -> dict[str, Path]:
    """Map sandbox file names to the host files of the dataset store (see grader.datasets)."""
    from grader.datasets.store import DatasetStore

    if isinstance(datasets, DatasetStore):
        store = datasets
    elif str(datasets) == "synthetic":
        store = DatasetStore.synthetic(_cache_dir() / "synthetic")
    else:
        store = DatasetStore.resolve(datasets)
    from grader.datasets.catalog import CATALOG

    files: dict[str, Path] = {}
    for name, filename in SANDBOX_FILES.items():
        if (names is not None and name not in names) or name not in CATALOG:
            continue
        found = store.find(name)
        if found is not None and str(found).endswith(".npz"):
            files[filename] = found
        elif found is not None and found.is_dir():
            files[filename] = _converted(store, name)
    return files


def _cache_dir() -> Path:
    return Path(os.environ.get("GRADER_CACHE", Path.home() / ".cache" / "grader"))


def _converted(store: object, name: str) -> Path:
    """Keras keeps some datasets as idx files; the sandbox serves one validated .npz instead."""
    import numpy as np

    target = _cache_dir() / "converted" / f"{name}.npz"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        arrays = store.load_npz(name)  # type: ignore[attr-defined]
        tmp = target.with_suffix(".tmp.npz")
        np.savez(tmp, **arrays)
        tmp.replace(target)
    return target


def default_cpus() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def _invalid(sub: Submission, limits: Limits) -> Evidence:
    host = isolation_mod.detect()
    info = SubmissionInfo(path=str(sub.path), kind=sub.kind, sha256=sub.sha256, size=sub.size)
    run = RunInfo(status=RunStatus.INVALID, message=sub.problem or "cannot run", isolation=host.level,
                  isolation_notes=list(host.notes), limits=limits, python=sys.version.split()[0])
    return Evidence(submission=info, run=run)


def run_submission(
    path: str | os.PathLike[str],
    *,
    datasets: object = None,
    limits: Limits | None = None,
    continue_on_error: bool = True,
    quick: bool = False,
    cpus: int | None = None,
    verifier: Verifier | None = None,
    keep_files: Path | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
    workdir: str | os.PathLike[str] | None = None,
    gpu: str | None = None,
) -> VerifiedEvidence:
    """Run one script or notebook in the sandbox, then verify what it trained.

    A broken submission never raises: its problem is in the returned evidence's run status.
    `verifier` lets a caller grading many submissions keep one verifier (one TensorFlow
    import) alive across them; otherwise one is started and closed here. `progress` is
    called with live events (cell started, epoch finished, ...) while the run goes.
    `workdir`, a folder holding `path`, travels whole with the run (a student's data files and
    helper modules); `gpu` is the CUDA_VISIBLE_DEVICES value the run sees (none by default).
    """
    limits = limits or Limits(cpus=cpus or default_cpus())
    if cpus is not None and limits.cpus != cpus:
        limits = limits.model_copy(update={"cpus": cpus})
    sub = load_submission(path)
    if not sub.runnable:
        return VerifiedEvidence(evidence=_invalid(sub, limits))
    files = dataset_files(datasets)
    result = run_sandboxed(SandboxRequest(
        source=Path(workdir) if workdir is not None else sub.path,
        entry=sub.path.relative_to(workdir).as_posix() if workdir is not None else sub.path.name,
        kind=sub.kind, limits=limits, datasets=files, continue_on_error=continue_on_error,
        quick=0.1 if quick else 0.0, on_event=progress, extra_env={"CUDA_VISIBLE_DEVICES": gpu} if gpu else {},
    ))
    try:
        evidence = assemble(sub, result, limits, python=sys.version.split()[0], quick=quick)
        if not evidence.models:
            return VerifiedEvidence(evidence=evidence)
        own = verifier is None
        active = verifier or Verifier(files, cpus=limits.cpus)
        try:
            return verify_evidence(evidence, result.out_dir, active, metrics=not quick)
        finally:
            if own:
                active.close()
    finally:
        if keep_files is not None:
            import shutil

            shutil.copytree(result.out_dir, keep_files, dirs_exist_ok=True)
        result.cleanup()


__all__ = ["run_submission", "dataset_files", "Limits", "Isolation"]
