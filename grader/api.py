"""The typed, keyword-only Python API under the CLI: every ``grader`` command is one of these calls.

    from grader.api import check, grade_folder, run_submission, write_outputs
    verified = run_submission("hw1.ipynb", datasets="~/data", cpus=2)        # grader run
    result = check("hw1.ipynb", rubric="nn-basics-keras", quick=True)        # grader check
    graded = grade_folder("submissions/", rubric="nn-basics-keras", jobs=2)  # grader grade
    write_outputs(stored_results(["grades/results"]).entries, out=Path("site"))  # grader report
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from pathlib import Path
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from grader.datasets.served import HIDDEN_ENV, HIDDEN_SPEC, hidden_split
from grader.evidence.assembly import assemble, read_events
from grader.evidence.shims import ADAPT_MODES, COMPAT_MODES, adapt_env
from grader.intake.environments import CourseEnvironment, resolve_environment
from grader.errors import ConfigError
from grader.evidence.model import Evidence, Isolation, Limits, RunInfo, RunStatus, SubmissionInfo, SubmissionKind
from grader.sandbox import SandboxRequest, SandboxResult, run_sandboxed
from grader.sandbox import isolation as isolation_mod
from grader.intake.submission import Submission, load_submission
from grader.verify.verified import VerifiedEvidence
from grader.verify import Verifier, verify_evidence
from grader.verify.speculation import Speculation

if TYPE_CHECKING:
    from grader.grading.result import GradeResult
    from grader.pipeline.classgrade import ClassResult
    from grader.render.audience import Audience
    from grader.render.outputs import Entry
    from grader.rubric.model import Rubric

ProgressSink = Callable[[dict[str, Any]], None]

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


def _import_quietly(module: str) -> None:
    """Import `module` ahead of need; a failure is left for the import that needs it to raise."""
    try:
        importlib.import_module(module)
    except Exception:
        pass


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
        if kind == SubmissionKind.NOTEBOOK and not python.package("ipykernel"):
            return resolve_environment(python.python, runtime or python.runtime, kind=kind)
        return python if runtime in (None, python.runtime) else resolve_environment(python.python, runtime, kind=kind)
    if python is None and runtime in (None, "", "keras"):
        return None
    return resolve_environment(python, runtime, kind=kind)


def _run_seeded(request: SandboxRequest) -> tuple[SandboxResult, str | None]:
    """Run once; when TensorFlow's op determinism stopped an op (no deterministic implementation), run once
    more with the same seed and op determinism off, and say why. Returns the result kept and that reason."""
    from dataclasses import replace

    from grader.evidence.seeding import determinism_failed

    result = run_sandboxed(request)
    if request.limits.seed is None:
        return result, None
    reason = determinism_failed(read_events(result.out_dir / "events.jsonl")[0])
    if reason is None:
        return result, None
    result.cleanup()
    return run_sandboxed(replace(request, extra_env={**request.extra_env, "GRADER_OP_DETERMINISM": "0"})), reason


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
    progress: ProgressSink | None = None,
    workdir: str | os.PathLike[str] | None = None,
    gpu: str | None = None,
    compat: str | None = None,
    python: str | os.PathLike[str] | CourseEnvironment | None = None,
    runtime: str | None = None,
    adapt: str | None = None,
    seed: int | str | None = None,
    hidden_test: bool = False,
    early_verifier: bool = True,
    speculate: bool | None = None,
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
    anything runs. `adapt="none"` turns off adaptation to the grading machine (grader_probe.adapt; on by default).
    `seed` overrides the limits' seed (``"none"``: unseeded); by default every run is seeded (Limits.seed) with
    TensorFlow's op determinism on, and `evidence.run.seeding` says what held. `hidden_test` (a rubric's
    ``verify_on: hidden``) serves the run only part of each test split and measures test figures on the rest.
    Without a `verifier`, one is started (at low priority) as the run starts, so its TensorFlow import overlaps
    the run instead of following it; `early_verifier=False` starts it only when a model needs it. With `speculate`
    (by default: with a verifier started here early), each model is sent to the verifier as soon as its fit has
    saved it, while the run goes on (grader.verify.speculation); the figures are still those of the request after
    the run, which then reuses whatever is unchanged.
    """
    if adapt is not None and adapt not in ADAPT_MODES:
        raise ConfigError(f"unknown adaptation mode {adapt!r}; known: {', '.join(ADAPT_MODES)}")
    if compat is not None and compat not in COMPAT_MODES:
        raise ConfigError(f"unknown compatibility mode {compat!r}; known: {', '.join(COMPAT_MODES)}")
    limits = limits or Limits(cpus=cpus or default_cpus())
    if cpus is not None and limits.cpus != cpus:
        limits = limits.model_copy(update={"cpus": cpus})
    limits = limits.with_seed(seed)
    sub = load_submission(path)
    env = _course_environment(python, runtime, sub.kind if sub.runnable else None)
    if compat and env is not None and env.legacy:
        raise ConfigError(f"--compat {compat} shims Keras 2 calls onto Keras 3, and the tf-keras runtime is Keras 2 "
                          "itself: choose one")
    if not sub.runnable:
        return VerifiedEvidence(evidence=_invalid(sub, limits))
    files = dataset_files(datasets)
    own = verifier is None
    active = verifier or Verifier(files, cpus=limits.cpus, environment=env)
    hidden = HIDDEN_SPEC if hidden_test else None
    if speculate is None:
        speculate = own and early_verifier
    speculation = Speculation(active, hidden=hidden) if speculate and not quick else None
    request = SandboxRequest(
        source=Path(workdir) if workdir is not None else sub.path,
        entry=sub.path.relative_to(workdir).as_posix() if workdir is not None else sub.path.name,
        kind=sub.kind, limits=limits, datasets=files, work_links=linked_into_work(files),
        continue_on_error=continue_on_error,
        quick=0.1 if quick else 0.0, on_event=progress,
        extra_env={**({"CUDA_VISIBLE_DEVICES": gpu} if gpu else {}), **(env.sandbox_env() if env else {}),
                   **adapt_env(adapt), **({HIDDEN_ENV: HIDDEN_SPEC} if hidden_test else {})},
        compat=compat, python=env.python if env else None,
        python_roots=tuple(Path(r) for r in env.roots) if env else None,
        on_fit=speculation.on_fit if speculation else None,
    )
    if own and early_verifier:
        active.prestart()  # from this thread, which outlives the worker (see Verifier.prestart)
    try:
        if speculation is not None:
            with speculation:
                result, fallback = _run_seeded(request)
        else:
            result, fallback = _run_seeded(request)
    except BaseException:
        if own:
            active.close()
        raise
    try:
        evidence = assemble(sub, result, limits, python=env.version if env else sys.version.split()[0], quick=quick,
                            compat=compat)
        if fallback is not None and evidence.run.seeding is not None:
            run = evidence.run.model_copy(update={"seeding": evidence.run.seeding.model_copy(
                update={"fallback": fallback, "op_determinism": False})})
            evidence = evidence.model_copy(update={"run": run})
        if env is not None:  # what the grader itself chose, beside what the probe saw inside
            run = evidence.run.model_copy(update={"versions": {**evidence.run.versions, **env.labels()}})
            evidence = evidence.model_copy(update={"run": run})
        if not evidence.models:
            return VerifiedEvidence(evidence=evidence)
        active.use_environment(env)
        return verify_evidence(evidence, result.out_dir, active, metrics=not quick, hidden=hidden)
    finally:
        if own:
            active.close()
        if keep_files is not None:
            import shutil

            shutil.copytree(result.out_dir, keep_files, dirs_exist_ok=True)
        result.cleanup()


def load_rubric(ref: Rubric | str | os.PathLike[str]) -> Rubric:
    """A bundled rubric's name or a rubric file, loaded and fully validated; raises RubricError."""
    from grader.rubric.loader import load_rubric as load
    from grader.rubric.model import Rubric
    from grader.rubric.resolve import resolve_rubric

    return ref if isinstance(ref, Rubric) else load(resolve_rubric(str(ref)))


def check(
    path: str | os.PathLike[str],
    *,
    rubric: Rubric | str | os.PathLike[str],
    quick: bool = False,
    datasets: object = None,
    compat: str | None = None,
    python: str | os.PathLike[str] | None = None,
    runtime: str | None = None,
    keep_files: Path | None = None,
    progress: ProgressSink | None = None,
    adapt: str | None = None,
    seed: int | str | None = None,
    early_verifier: bool = True,
    speculate: bool | None = None,
) -> GradeResult:
    """Run one submission under the rubric's limits and environment, then grade it (``grader check``).

    `compat` and `python`/`runtime` override the rubric's ``limits.compat`` and ``environment`` as in
    :func:`grade_folder` (``compat="none"`` turns the rubric's mode off), and `seed` its ``limits.seed`` (a number,
    or ``"none"`` for an unseeded run); `early_verifier` and `speculate` as in :func:`run_submission`. A broken submission never
    raises: it gets a failing or incomplete grade. Raises RubricError for an unusable rubric and
    InterpreterError for an environment that cannot run anything, before anything runs.
    """
    from grader.pipeline.plan import course_environment

    rub = load_rubric(rubric)
    course = course_environment(rub, python, runtime)
    mode = rub.limits.compat if compat is None else (None if compat == "none" else compat)
    limits = rub.limits.to_limits(Limits(cpus=default_cpus())).with_seed(seed)
    # The grading stage's slowest import (scipy's assignment solver: about 0.5 s) goes on while the sandboxed
    # run does, when the host only polls, instead of after it.
    ahead = threading.Thread(target=_import_quietly, args=("scipy.optimize",), daemon=True)
    ahead.start()
    verified = run_submission(path, datasets=datasets, limits=limits,
                              python=course, continue_on_error=rub.continue_on_error, quick=quick,
                              progress=progress, compat=mode, keep_files=keep_files, adapt=adapt,
                              hidden_test=hidden_split(rub) is not None, early_verifier=early_verifier,
                              speculate=speculate)
    ahead.join()
    from grader.grading.grade import grade

    return grade(verified, rub, quick=quick)


def grade_folder(
    folder: str | os.PathLike[str],
    *,
    rubric: Rubric | str | os.PathLike[str],
    jobs: int = 1,
    executor: str = "local",
    address: str | None = None,
    store: str | os.PathLike[str] | None = None,
    datasets: object = None,
    out: str | os.PathLike[str] | None = None,
    formats: Sequence[str] | None = None,
    quick: bool = False,
    cores: int | None = None,
    progress: ProgressSink | None = None,
    compat: str | None = None,
    python: str | os.PathLike[str] | None = None,
    runtime: str | None = None,
    adapt: str | None = None,
    seed: int | str | None = None,
    repeat: int = 0,
    similarity: bool = True,
    similarity_template: str | os.PathLike[str] | None = None,
) -> ClassResult:
    """Grade every submission in `folder` against `rubric`, resumably (``grader grade``).

    See :func:`grader.pipeline.classgrade.grade_folder`; `formats` defaults to the registry's
    ``DEFAULT_FORMATS`` (:mod:`grader.render.registry`). Raises RubricError, ConfigError or InterpreterError
    before anything runs; a submission's failure never raises.
    """
    from grader.pipeline import classgrade

    rub = load_rubric(rubric)
    extra: dict[str, Any] = {} if formats is None else {"formats": list(formats)}
    return classgrade.grade_folder(Path(folder), rubric=rub, jobs=jobs, executor=executor, address=address,
                                   store=Path(store) if store is not None else None, datasets=datasets,
                                   out=Path(out) if out is not None else None, quick=quick, cores=cores,
                                   progress=progress, compat=compat, python=python, runtime=runtime, adapt=adapt,
                                   seed=seed, repeat=repeat, similarity=similarity,
                                   similarity_template=Path(similarity_template) if similarity_template else None, **extra)


@dataclass(frozen=True)
class StoredResults:
    """Results read back from stored JSON files, ready to render; `skipped` names JSON that held none."""

    entries: tuple[Entry, ...] = ()
    skipped: tuple[str, ...] = ()


def stored_results(paths: Iterable[str | os.PathLike[str]], *,
                   figures_dir: str | os.PathLike[str] | None = None) -> StoredResults:
    """Every result in the files named, or in the ``*.json`` files found (recursively) in the folders named.

    A file named that is no result raises ConfigError; a folder may hold other JSON, which is skipped.
    Each result's figures are looked for next to its file (see :func:`figures_folder`).
    """
    from grader.render.exports.json import load_results
    from grader.render.outputs import Entry

    entries: list[Entry] = []
    skipped: list[str] = []
    shared = Path(figures_dir) if figures_dir is not None else None
    for p in map(Path, paths):
        files = sorted(p.rglob("*.json")) if p.is_dir() else [p]
        for f in files:
            try:
                results = load_results(f)
            except ConfigError as exc:
                if not p.is_dir():
                    raise
                skipped.append(str(exc))
                continue
            entries += [Entry(r, figures_folder(f, shared, [fig.file for fig in r.evidence.evidence.figures
                                                            if fig.file]))
                        for r in results]
    return StoredResults(tuple(entries), tuple(skipped))


def figures_folder(result_file: Path, figures_dir: Path | None, figure_files: list[str]) -> Path | None:
    """Where a stored result's figure PNGs are: the first candidate folder that holds any of them.

    A run's kept files usually sit next to the result JSON: in a folder named after it, in ``files/``
    (where ``grader check --out`` keeps them), or in the JSON's own folder; a shared `figures_dir`
    may hold one subfolder per result.
    """
    stem, here = result_file.stem, result_file.parent
    candidates = ([figures_dir / stem, figures_dir] if figures_dir else []) + \
                 [here / stem, here / f"{stem}.files", here / "files", here.parent / "files", here]
    for folder in candidates:
        if folder.is_dir() and any((folder / f).is_file() for f in figure_files):
            return folder
    return None


def write_outputs(
    results: Sequence[Entry | GradeResult],
    *,
    out: str | os.PathLike[str],
    formats: Sequence[str] | None = None,
    audience: Audience | str = "student",
    class_page: bool | None = None,
) -> list[Path]:
    """Render `formats` (default: the registry's defaults) for `results` under `out`; returns the files written.

    The student's copy (the default: what nobody chose may reach a student) conceals hidden criteria and
    the grader's own answers; ``audience="instructor"`` shows everything (see grader.render.audience).
    """
    from grader.render import outputs, registry

    entries = [r if isinstance(r, outputs.Entry) else outputs.Entry(r) for r in results]
    return outputs.write_outputs(entries, Path(out), list(formats or registry.DEFAULT_FORMATS), audience=audience,
                                 class_page=class_page)


__all__ = ["Isolation", "Limits", "StoredResults", "check", "dataset_files", "default_cpus", "figures_folder",
           "grade_folder", "load_rubric", "run_submission", "stored_results", "write_outputs"]
