"""Grade a whole class folder: discover students, run what is new, re-grade what is stored, report.

    from grader.pipeline.classgrade import grade_folder
    graded = grade_folder("submissions/", rubric="nn-basics-keras", jobs=2, out=Path("grades"))
    print(graded.exit_code)

Nothing runs twice: every run's evidence and every grade goes into the results store (see
:mod:`grader.pipeline.store`) the moment it is done, so an interrupted class resumes where it stopped,
an unchanged submission costs a lookup, and a changed rubric re-grades from stored evidence.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.intake.discovery import Student, discover
from grader.intake.environments import CourseEnvironment, resolve_environment
from grader.errors import ConfigError
from grader.evidence.model import Limits, RunStatus
from grader.pipeline.executors.base import Executor, Job, JobOutcome, default_cores, detect_gpus, run_job
from grader.grading.result import GradeResult, GradeStatus
from grader.rubric.model import Rubric
from grader.pipeline.store import Key, ResultsStore, environment
from grader.verify.verified import VerifiedEvidence

DEFAULT_FORMATS = ("html", "csv", "json", "junit", "md")
ProgressSink = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class StudentResult:
    student: Student
    key: str  # the submission's content hash
    result: GradeResult
    how: str  # 'ran' (student code ran now), 'regraded' (stored evidence, new grade), 'cached' (stored grade)
    seconds: float = 0.0  # run time for 'ran'; lookup and grading time otherwise
    figures_dir: Path | None = None

    @property
    def graded(self) -> bool:
        """False when the grader could not do its job (the grade is incomplete)."""
        return self.result.status != GradeStatus.ERROR


@dataclass
class ClassResult:
    results: list[StudentResult]
    written: list[Path] = field(default_factory=list)
    store: Path | None = None
    wall_s: float = 0.0
    jobs: int = 1
    cpus_per_job: int = 1

    @property
    def ungraded(self) -> list[StudentResult]:
        return [r for r in self.results if not r.graded]

    @property
    def exit_code(self) -> int:
        """0 when every submission got a grade (passing or not), 3 when the grader could not grade some."""
        return 3 if self.ungraded else 0

    def count(self, how: str) -> int:
        return sum(1 for r in self.results if r.how == how)


def _rubric(ref: Rubric | str | Path) -> Rubric:
    if isinstance(ref, Rubric):
        return ref
    from grader.rubric.loader import load_rubric
    from grader.rubric.resolve import resolve_rubric

    return load_rubric(resolve_rubric(str(ref)))


def _relabel(result: GradeResult, label: str) -> GradeResult:
    """A stored result found by content may have come from another path: show this one's."""
    if result.submission.path == label:
        return result
    sub = result.submission.model_copy(update={"path": label})
    ev = result.evidence.evidence.model_copy(update={"submission": sub})
    return result.model_copy(update={"submission": sub, "evidence": result.evidence.model_copy(update={"evidence": ev})})


def _kind(student: Student) -> str:
    return "notebook" if any(e.lower().endswith(".ipynb") for e in student.entries) else "script"


def _size(student: Student) -> int:
    total = 0
    for rel in student.files or student.entries:
        try:
            total += (student.root / rel).stat().st_size
        except OSError:
            pass
    return total


def grade_folder(
    folder: str | Path,
    *,
    rubric: Rubric | str | Path,
    jobs: int = 1,
    executor: str | Executor = "local",
    address: str | None = None,
    store: ResultsStore | str | Path | None = None,
    datasets: Any = None,
    out: str | Path | None = None,
    formats: Sequence[str] = DEFAULT_FORMATS,
    quick: bool = False,
    cores: int | None = None,
    gpus: Sequence[str] | None = None,
    progress: ProgressSink | None = None,
    audience: str = "instructor",
    compat: str | None = None,
    python: str | Path | None = None,
    runtime: str | None = None,
) -> ClassResult:
    """Grade every student in `folder` against `rubric`; write reports under `out` (when given).

    `store` is a ResultsStore, a path, or None for `<out>/results.sqlite` (in memory without `out`).
    `executor` is 'local', 'ray', or an Executor. Each run gets ``max(1, cores // jobs)`` CPU threads.
    `gpus` defaults to the GPUs detected on this host (none on CPU hosts). Never raises because of a
    submission; raises GraderError for bad options, rubrics or dataset folders. `compat` ('keras2', or
    'none' for plain Keras 3) overrides the rubric's ``limits.compat``; a compat run is stored apart.
    `python` (an interpreter, a virtual environment folder or an environments-file name) and `runtime`
    ('keras' or 'tf-keras') override the rubric's ``environment``; an interpreter that cannot work raises
    InterpreterError before anything runs, and runs under another environment are stored apart.
    """
    from grader.api import dataset_files
    from grader.grading.grade import grade

    t_start = time.perf_counter()
    emit = progress or (lambda event: None)
    rub = _rubric(rubric)
    out_dir = Path(out) if out is not None else None
    cores = cores or default_cores()
    jobs = max(1, int(jobs))
    cpus_per_job = max(1, cores // jobs)
    gpu_list = list(detect_gpus() if gpus is None else gpus)
    files = dataset_files(datasets)  # fails early on a bad dataset folder; fingerprints the data served
    mode = rub.limits.compat if compat is None else (None if compat == "none" else compat)
    course = course_environment(rub, python, runtime)
    if mode and course is not None and course.legacy:
        raise ConfigError(f"compat {mode} shims Keras 2 calls onto Keras 3, and the tf-keras runtime is Keras 2 "
                          "itself: choose one")
    env = environment(files, compat=mode, course=course)

    own_store = not isinstance(store, ResultsStore)
    if isinstance(store, ResultsStore):
        db = store
    else:
        db = ResultsStore(store if store is not None else (out_dir / "results.sqlite" if out_dir else ":memory:"))
    staging = Path(tempfile.mkdtemp(prefix="grader-class-"))
    try:
        env_key = db.register_environment(env)
        exclude = [p for p in (out_dir, db.path) if p is not None]
        students = discover(folder, staging=staging, exclude=exclude)
        if course is not None and any(_kind(st) == "notebook" and st.problem is None for st in students):
            course = resolve_environment(course.python, course.runtime, kind="notebook")  # needs ipykernel
        limits = rub.limits.to_limits(Limits(cpus=cpus_per_job))
        files_root = out_dir / "files" if out_dir is not None else None

        def figures(key: str) -> Path | None:
            if files_root is None:
                return None
            path = files_root / key[:16]
            return path if path.is_dir() else None

        done: dict[int, StudentResult] = {}
        to_run: dict[str, list[int]] = {}
        first: dict[str, Student] = {}
        rerun: set[str] = set()
        for i, st in enumerate(students):
            t0 = time.perf_counter()
            h = st.content_hash()
            key = Key(h, env_key, quick)
            stored = db.grade(key, rub.sha256)
            if stored is not None:
                done[i] = StudentResult(st, h, _relabel(stored, st.label), "cached", time.perf_counter() - t0, figures(h))
                continue
            ev = db.evidence(key)
            if ev is not None and _outgrown(ev, limits):
                rerun.add(h)  # it hit a limit the rubric has since raised: run it again
                ev = None
            if ev is not None:
                result = grade(ev, rub, quick=quick)
                db.put_grade(key, rub.sha256, result)
                done[i] = StudentResult(st, h, _relabel(result, st.label), "regraded", time.perf_counter() - t0,
                                        figures(h))
                continue
            to_run.setdefault(h, []).append(i)  # identical submissions run once
            first.setdefault(h, st)
        emit({"event": "plan", "students": len(students), "cached": sum(r.how == "cached" for r in done.values()),
              "regraded": sum(r.how == "regraded" for r in done.values()), "to_run": len(to_run),
              "jobs": jobs, "cpus_per_job": cpus_per_job, "gpus": gpu_list})
        for i in sorted(done):
            emit({"event": "done", "student": done[i].student.name, "how": done[i].how, "result": done[i].result,
                  "seconds": done[i].seconds})

        job_list = [Job(key=h, name=st.name, label=st.label, root=str(st.root.resolve()), entries=st.entries,
                        folder_source=st.folder_source, limits=limits, datasets=_portable(datasets),
                        continue_on_error=rub.continue_on_error, quick=quick,
                        keep_dir=str((files_root / h[:16]).resolve()) if files_root is not None else None,
                        problem=st.problem, size=_size(st), kind=_kind(st), compat=mode,
                        python=course.python if course else None, runtime=course.runtime if course else None)
                    for h, st in first.items()]
        names = {h: first[h].name for h in first}
        refused = [j for j in job_list if j.problem is not None]  # nothing to run: no worker needed
        runnable = [j for j in job_list if j.problem is None]

        def outcomes() -> Iterator[JobOutcome]:
            for job in refused:
                yield JobOutcome(job.key, run_job(job).model_dump_json(), 0.0)
            if not runnable:
                return
            runner, own_runner = _executor(executor, jobs=jobs, cpus_per_job=cpus_per_job,
                                           datasets=_portable(datasets), gpus=gpu_list, address=address)
            try:
                yield from runner.run(runnable, lambda key, ev: emit({**ev, "student": names.get(key, key)}))
            finally:
                if own_runner:
                    runner.close()

        with closing(outcomes()) as stream:  # closed at once, even on Ctrl-C: the workers stop with it
            for outcome in stream:
                verified = VerifiedEvidence.model_validate_json(outcome.verified_json)
                result = grade(verified, rub, quick=quick)
                key = Key(outcome.key, env_key, quick)
                if verified.evidence.run.status != RunStatus.SANDBOX_ERROR:  # a grader failure is retried next time
                    db.put_run(key, first[outcome.key].name, verified, outcome.seconds, rub.sha256, result,
                               worker=outcome.worker, replace=outcome.key in rerun)
                for i in to_run[outcome.key]:
                    st = students[i]
                    done[i] = StudentResult(st, outcome.key, _relabel(result, st.label), "ran", outcome.seconds,
                                            figures(outcome.key))
                    emit({"event": "done", "student": st.name, "how": "ran", "result": done[i].result,
                          "seconds": outcome.seconds, "worker": outcome.worker})
        results = [done[i] for i in range(len(students))]
        written: list[Path] = []
        if out_dir is not None and formats:
            from grader.render.outputs import Entry, write_outputs

            written = write_outputs([Entry(r.result, r.figures_dir, r.student.name) for r in results], out_dir,
                                    list(formats), audience=audience, class_page=True)  # type: ignore[arg-type]
        return ClassResult(results, written, db.path, time.perf_counter() - t_start, jobs, cpus_per_job)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if own_store:
            db.close()


def course_environment(rub: Rubric, python: str | Path | None, runtime: str | None) -> CourseEnvironment | None:
    """The environment a class runs under: the options, else the rubric's ``environment`` (a relative
    path there is relative to the rubric file); None for the grader's own. Raises InterpreterError."""
    spec = rub.environment
    py = python if python not in (None, "") else (spec.python if spec else None)
    rt = runtime or (spec.runtime if spec else None)
    if py is None and rt in (None, "keras"):
        return None
    base = rub.path.parent if python in (None, "") and rub.path is not None else None
    return resolve_environment(py, rt, base=base)


def _outgrown(verified: VerifiedEvidence, limits: Limits) -> bool:
    """True when a stored run stopped at a limit that is now higher (evidence is not keyed by limits)."""
    run = verified.evidence.run
    if run.status == RunStatus.TIMEOUT:
        return limits.timeout_s > run.limits.timeout_s or limits.cell_timeout_s > run.limits.cell_timeout_s
    if run.status == RunStatus.MEMORY_LIMIT:
        return limits.memory_mb > run.limits.memory_mb
    if run.status == RunStatus.OUTPUT_LIMIT:
        return limits.output_mb > run.limits.output_mb
    return False


def _portable(datasets: Any) -> Any:
    """What travels to a worker: a folder path or 'synthetic' as text; a DatasetStore as its folder."""
    root = getattr(datasets, "root", None)
    return str(root) if root is not None else (str(datasets) if datasets is not None else None)


def _executor(executor: str | Executor, **kwargs: Any) -> tuple[Executor, bool]:
    if not isinstance(executor, str):
        return executor, False
    from grader.pipeline.executors import make_executor

    return make_executor(executor, **kwargs), True


__all__ = ["ClassResult", "StudentResult", "grade_folder"]
