"""The typed, keyword-only Python API under the CLI.

    from grader.api import run_submission
    verified = run_submission("hw1.ipynb", datasets="~/data", cpus=2)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable

from grader.evidence.assembly import assemble
from grader.evidence.shims import COMPAT_MODES
from grader.intake.environments import CourseEnvironment, resolve_environment
from grader.errors import ConfigError
from grader.evidence.model import Evidence, Isolation, Limits, RunInfo, RunStatus, SubmissionInfo
from grader.sandbox import SandboxRequest, run_sandboxed
from grader.sandbox import isolation as isolation_mod
from grader.intake.submission import Submission, load_submission
from grader.verify.verified import VerifiedEvidence
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
    from grader.datasets.served import PRIMITIVES_FOLDER, served_by_path

    # Data students open by path (a CSV, an image folder): see grader.datasets.served.
    wanted = {"USA_Housing.csv": "usa_housing", PRIMITIVES_FOLDER: "primitive_3d_objects"}
    for sandbox_name, path in served_by_path(store, _cache_dir()).items():
        if names is None or wanted[sandbox_name] in names:
            files[sandbox_name] = path
    return files


def linked_into_work(files: dict[str, Path]) -> tuple[str, ...]:
    """The served entries a submission opens by relative path, so they also appear in its working folder."""
    return tuple(name for name in files if not name.endswith(".npz"))


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


def _course_environment(python: Any, runtime: str | None, kind: str | None) -> CourseEnvironment | None:
    """None for the grader's own interpreter and runtime (nothing to inspect); raises InterpreterError."""
    if isinstance(python, CourseEnvironment):
        if kind == "notebook" and not python.package("ipykernel"):
            return resolve_environment(python.python, runtime or python.runtime, kind=kind)
        return python if runtime in (None, python.runtime) else resolve_environment(python.python, runtime, kind=kind)
    if python is None and runtime in (None, "", "keras"):
        return None
    return resolve_environment(python, runtime, kind=kind)


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
    compat: str | None = None,
    python: str | os.PathLike[str] | CourseEnvironment | None = None,
    runtime: str | None = None,
) -> VerifiedEvidence:
    """Run one script or notebook in the sandbox, then verify what it trained.

    A broken submission never raises: its problem is in the returned evidence's run status.
    `verifier` lets a caller grading many submissions keep one verifier (one TensorFlow
    import) alive across them; otherwise one is started and closed here. `progress` is
    called with live events (cell started, epoch finished, ...) while the run goes.
    `workdir`, a folder holding `path`, travels whole with the run (a student's data files and
    helper modules); `gpu` is the CUDA_VISIBLE_DEVICES value the run sees (none by default).
    `compat="keras2"` lets Keras 2 calls run on Keras 3 (see grader.evidence.shims); each one it forgave is
    listed in the evidence's `shims`. `python` runs it under another interpreter: a path, a virtual
    environment folder or a name from the environments file; `runtime="tf-keras"` is the legacy Keras 2
    runtime (see grader.intake.environments). An interpreter that cannot work raises InterpreterError before
    anything runs.
    """
    if compat is not None and compat not in COMPAT_MODES:
        raise ConfigError(f"unknown compatibility mode {compat!r}; known: {', '.join(COMPAT_MODES)}")
    limits = limits or Limits(cpus=cpus or default_cpus())
    if cpus is not None and limits.cpus != cpus:
        limits = limits.model_copy(update={"cpus": cpus})
    sub = load_submission(path)
    env = _course_environment(python, runtime, sub.kind if sub.runnable else None)
    if compat and env is not None and env.legacy:
        raise ConfigError(f"--compat {compat} shims Keras 2 calls onto Keras 3, and the tf-keras runtime is Keras 2 "
                          "itself: choose one")
    if not sub.runnable:
        return VerifiedEvidence(evidence=_invalid(sub, limits))
    files = dataset_files(datasets)
    result = run_sandboxed(SandboxRequest(
        source=Path(workdir) if workdir is not None else sub.path,
        entry=sub.path.relative_to(workdir).as_posix() if workdir is not None else sub.path.name,
        kind=sub.kind, limits=limits, datasets=files, work_links=linked_into_work(files),
        continue_on_error=continue_on_error,
        quick=0.1 if quick else 0.0, on_event=progress,
        extra_env={**({"CUDA_VISIBLE_DEVICES": gpu} if gpu else {}), **(env.sandbox_env() if env else {})},
        compat=compat, python=env.python if env else None,
        python_roots=tuple(Path(r) for r in env.roots) if env else None,
    ))
    try:
        evidence = assemble(sub, result, limits, python=env.version if env else sys.version.split()[0], quick=quick,
                            compat=compat)
        if env is not None:  # what the grader itself chose, beside what the probe saw inside
            run = evidence.run.model_copy(update={"versions": {**evidence.run.versions, **env.labels()}})
            evidence = evidence.model_copy(update={"run": run})
        if not evidence.models:
            return VerifiedEvidence(evidence=evidence)
        own = verifier is None
        active = verifier or Verifier(files, cpus=limits.cpus, environment=env)
        active.use_environment(env)
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
