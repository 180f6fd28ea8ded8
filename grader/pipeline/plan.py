"""The first stage of grading a class: options, rubric and folder resolved into one immutable plan.

Everything later stages need is decided here, once: the rubric, who the students are (and the content
hash that identifies each submission in the results store), the limits each run gets, the environment
that, with the submission, keys its evidence, and where reports go. Bad options, rubrics, interpreters
or dataset folders raise here, before anything runs; nothing a student handed in ever does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from grader.errors import ConfigError
from grader.datasets.served import hidden_split
from grader.evidence.model import Limits, SubmissionKind
from grader.intake.discovery import Student, discover
from grader.intake.environments import CourseEnvironment, resolve_environment
from grader.pipeline.executors.base import default_cores, detect_gpus
from grader.pipeline.store import Key, ResultsStore, environment, environment_key
from grader.render.registry import DEFAULT_FORMATS  # the one default list, kept with the formats
from grader.rubric.model import Rubric


@dataclass(frozen=True)
class PlanEntry:
    """One student in the plan, with the content hash their results are stored under."""

    student: Student
    submission: str  # Student.content_hash(): equal files, equal results, wherever they lie
    run: str = ""  # Student.run_key(): equal code and data, equal run (the answers may differ); "": submission


@dataclass(frozen=True)
class ClassPlan:
    rubric: Rubric
    entries: tuple[PlanEntry, ...]  # in discovery order (by name): the order of every output
    limits: Limits  # what each run gets (the rubric's limits, cpus = cores // jobs)
    environment: tuple[tuple[str, str], ...]  # besides the submission, what decides its evidence
    quick: bool = False
    compat: str | None = None  # 'keras2' shims, or None for plain Keras 3
    adapt: str | None = None  # 'none': no adaptation to the grading machine; None: on (grader_probe.adapt)
    course: CourseEnvironment | None = None  # the course's interpreter; None for the grader's own
    datasets: str | None = None  # what a worker resolves the datasets from: a folder, 'synthetic', or None
    jobs: int = 1
    cpus_per_job: int = 1
    gpus: tuple[str, ...] = ()
    store_path: Path | None = None  # the results store file; None for one in memory
    out: Path | None = None  # where reports and kept run files go; None for no files at all
    formats: tuple[str, ...] = DEFAULT_FORMATS
    audience: str = "instructor"

    @property
    def env_key(self) -> str:
        return environment_key(dict(self.environment))

    def key(self, submission: str) -> Key:
        """The store key of the planned submission with this content hash (its run key included)."""
        return Key(submission, self.env_key, self.quick, self._run_keys.get(submission, ""))

    @cached_property
    def _run_keys(self) -> dict[str, str]:
        return {e.submission: e.run for e in self.entries if e.run and e.run != e.submission}

    def keep_dir(self, submission: str) -> Path | None:
        """Where a run keeps its figures and models for the reports (shared by submissions with one run key)."""
        return self.out / "files" / self.key(submission).evidence_key[:16] if self.out is not None else None

    def figures_dir(self, submission: str) -> Path | None:
        """The kept files of a run, when a run (this one or an earlier one, kept by content hash before run
        keys) left any."""
        for path in (self.keep_dir(submission), self.out / "files" / submission[:16] if self.out else None):
            if path is not None and path.is_dir():
                return path
        return None


def load_rubric(ref: Rubric | str | Path) -> Rubric:
    """A rubric given as itself, a bundled name or a file. Raises RubricError."""
    if isinstance(ref, Rubric):
        return ref
    from grader.rubric.loader import load_rubric as load
    from grader.rubric.resolve import resolve_rubric

    return load(resolve_rubric(str(ref)))


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


def store_location(store: ResultsStore | str | Path | None, out: Path | None) -> Path | None:
    """Where the results store lives: the one given, else ``<out>/results.sqlite``; None: in memory."""
    if isinstance(store, ResultsStore):
        return store.path
    if store is not None:
        return None if str(store) == ":memory:" else Path(store)
    return out / "results.sqlite" if out is not None else None


def portable_datasets(datasets: Any) -> str | None:
    """What travels to a worker: a folder path or 'synthetic' as text; a DatasetStore as its folder."""
    root = getattr(datasets, "root", None)
    return str(root) if root is not None else (str(datasets) if datasets is not None else None)


def plan_class(
    folder: str | Path,
    *,
    rubric: Rubric | str | Path,
    staging: Path,
    store: ResultsStore | str | Path | None = None,
    jobs: int = 1,
    datasets: Any = None,
    out: str | Path | None = None,
    formats: Sequence[str] = DEFAULT_FORMATS,
    quick: bool = False,
    cores: int | None = None,
    gpus: Sequence[str] | None = None,
    audience: str = "instructor",
    compat: str | None = None,
    python: str | Path | None = None,
    runtime: str | None = None,
    adapt: str | None = None,
    seed: int | str | None = None,
) -> ClassPlan:
    """Resolve grade_folder's options and discover the class (archives unpack under `staging`, which
    the caller owns and must outlive the plan). Raises GraderError for bad options; never because of
    a submission."""
    from grader.api import dataset_files

    rub = load_rubric(rubric)
    out_dir = Path(out) if out is not None else None
    jobs = max(1, int(jobs))
    cpus_per_job = max(1, (cores or default_cores()) // jobs)
    files = dataset_files(datasets)  # fails early on a bad dataset folder; fingerprints the data served
    mode = rub.limits.compat if compat is None else (None if compat == "none" else compat)
    course = course_environment(rub, python, runtime)
    if mode and course is not None and course.legacy:
        raise ConfigError(f"compat {mode} shims Keras 2 calls onto Keras 3, and the tf-keras runtime is Keras 2 "
                          "itself: choose one")
    if adapt not in (None, "on", "none"):
        raise ConfigError(f"unknown adaptation mode {adapt!r}; known: on, none")
    limits = rub.limits.to_limits(Limits(cpus=cpus_per_job)).with_seed(seed)  # seed: None keeps the rubric's
    env = environment(files, compat=mode, course=course, adapt=adapt, seed=limits.seed)
    if hidden_split(rub) is not None:  # the run is served another test split: another result
        env["verify_on"] = "hidden"
    store_path = store_location(store, out_dir)
    students = discover(folder, staging=staging, exclude=[p for p in (out_dir, store_path) if p is not None])
    if course is not None and any(st.kind == SubmissionKind.NOTEBOOK and st.problem is None for st in students):
        course = resolve_environment(course.python, course.runtime, kind="notebook")  # needs ipykernel
    return ClassPlan(
        rubric=rub, entries=tuple(PlanEntry(st, st.content_hash(), st.run_key()) for st in students),
        limits=limits, environment=tuple(sorted(env.items())),
        quick=quick, compat=mode, adapt=None if adapt == "on" else adapt, course=course, datasets=portable_datasets(datasets), jobs=jobs,
        cpus_per_job=cpus_per_job, gpus=tuple(detect_gpus() if gpus is None else gpus), store_path=store_path,
        out=out_dir, formats=tuple(formats), audience=audience,
    )


__all__ = ["DEFAULT_FORMATS", "ClassPlan", "PlanEntry", "course_environment", "load_rubric", "plan_class",
           "portable_datasets", "store_location"]
