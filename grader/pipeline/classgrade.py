"""Grade a whole class folder: plan, look up, run, persist, report.

    from grader.pipeline.classgrade import grade_folder
    graded = grade_folder("submissions/", rubric="nn-basics-keras", jobs=2, out=Path("grades"))
    print(graded.exit_code)

Each stage is its own module and passes plain immutable data to the next:

- :mod:`~grader.pipeline.plan`: options, rubric and folder resolved into a :class:`ClassPlan`;
- :mod:`~grader.pipeline.lookup`: what the results store already answers (cached or re-graded);
- :mod:`~grader.pipeline.run`: the rest run on an executor, each graded as it arrives;
- :mod:`~grader.pipeline.persist`: every result stored the moment it exists;
- :mod:`~grader.pipeline.report`: the reports, once every student has a result.

Nothing runs twice: an interrupted class resumes where it stopped, an unchanged submission costs a
lookup, and a changed rubric re-grades from stored evidence. A grade the grader could not complete is
never kept as final (:mod:`~grader.pipeline.retry`): the next run tries it again.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import ExitCode
from grader.grading.result import GradeResult, GradeStatus
from grader.intake.discovery import Student
from grader.pipeline.events import ClassEvent
from grader.pipeline.executors.base import Executor
from grader.pipeline.how import How
from grader.pipeline.lookup import look_up
from grader.pipeline.persist import persist_regrade, persist_reviewed, persist_run
from grader.pipeline.plan import DEFAULT_FORMATS, ClassPlan, course_environment, plan_class
from grader.pipeline.report import write_reports
from grader.pipeline.retry import is_final
from grader.pipeline.run import ProgressSink, run_plan
from grader.pipeline.store import ResultsStore
from grader.rubric.model import Rubric


@dataclass(frozen=True)
class StudentResult:
    student: Student
    key: str  # the submission's content hash
    result: GradeResult
    how: How
    seconds: float = 0.0  # run time for 'ran'; lookup and grading time otherwise
    figures_dir: Path | None = None

    @property
    def graded(self) -> bool:
        """False when the grader could not do its job (the grade is incomplete)."""
        return self.result.status != GradeStatus.ERROR


@dataclass(frozen=True)
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
    def retried(self) -> list[StudentResult]:
        """Results not kept as final: the next run runs or grades them again (see grader.pipeline.retry).
        The other ungraded ones are incomplete only through the submission's own files."""
        return [r for r in self.results if not is_final(r.result)]

    @property
    def exit_code(self) -> ExitCode:
        """OK when every submission got a grade (passing or not), GRADER when the grader could not grade some."""
        return ExitCode.GRADER if self.ungraded else ExitCode.OK

    def count(self, how: How) -> int:
        return sum(1 for r in self.results if r.how == how)


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
    adapt: str | None = None,
    seed: int | str | None = None,
    repeat: int = 0,
    similarity: bool = True,
    similarity_template: Path | None = None,
) -> ClassResult:
    """Grade every student in `folder` against `rubric`; write reports under `out` (when given).

    `store` is a ResultsStore, a path, or None for `<out>/results.sqlite` (in memory without `out`).
    `executor` is 'local', 'ray', or an Executor. Each run gets ``max(1, cores // jobs)`` CPU threads.
    `gpus` defaults to the GPUs detected on this host (none on CPU hosts). Never raises because of a
    submission; raises GraderError for bad options, rubrics or dataset folders. `compat` ('keras2', or
    'none' for plain Keras 3) overrides the rubric's ``limits.compat``; a compat run is stored apart.
    `python` (an interpreter, a virtual environment folder or an environments-file name) and `runtime`
    ('keras' or 'tf-keras') override the rubric's ``environment``; an interpreter that cannot work raises
    InterpreterError before anything runs, and runs under another environment are stored apart. `seed` (a
    number, or 'none' for unseeded runs) overrides the rubric's ``limits.seed``; runs are stored by seed.
    `repeat` K > 0 re-runs each borderline submission with K more seeds and decides its borderline metrics on the
    median (see grader.pipeline.repeats). `similarity` (on by default) adds the class page's section of similar
    submissions and ``similarity.html`` (see grader.similarity), with `similarity_template` (the starter code
    handed out) subtracted; it never changes a grade.
    """
    t_start = time.perf_counter()
    emit = progress or (lambda event: None)
    staging = Path(tempfile.mkdtemp(prefix="grader-class-"))
    try:
        plan = plan_class(folder, rubric=rubric, staging=staging, store=store, jobs=jobs, datasets=datasets, out=out,
                          formats=formats, quick=quick, cores=cores, gpus=gpus, audience=audience, compat=compat,
                          python=python, runtime=runtime, adapt=adapt, seed=seed)
        with _open_store(store, plan) as db:
            db.register_environment(dict(plan.environment))
            found = look_up(plan, db)
            done: dict[int, StudentResult] = {}
            for f in found.found:
                persist_regrade(db, plan, f)
                done[f.index] = _student_result(plan, f.index, f.submission, f.result, f.how, f.seconds)
            emit({"event": ClassEvent.PLAN.value, "students": len(plan.entries), "cached": found.count(How.CACHED),
                  "regraded": found.count(How.REGRADED), "to_run": len(found.to_run), "jobs": plan.jobs,
                  "cpus_per_job": plan.cpus_per_job, "gpus": list(plan.gpus)})
            for i in sorted(done):
                emit({"event": ClassEvent.DONE.value, "student": done[i].student.name, "how": done[i].how.value,
                      "result": done[i].result, "seconds": done[i].seconds})
            with closing(run_plan(plan, found.to_run, executor=executor, address=address, progress=emit)) as runs:
                for ran in runs:
                    persist_run(db, plan, ran)
                    for i in ran.todo.indexes:
                        done[i] = _student_result(plan, i, ran.todo.submission, ran.result, How.RAN, ran.seconds)
                        emit({"event": ClassEvent.DONE.value, "student": done[i].student.name, "how": How.RAN.value,
                              "result": done[i].result, "seconds": ran.seconds, "worker": ran.worker})
            results = [done[i] for i in range(len(plan.entries))]
            if repeat > 0:  # borderline verdicts re-decided on the median of `repeat` more seeded runs
                from grader.pipeline.repeats import repeat_borderline

                before = {r.key: r.result for r in results}
                results = repeat_borderline(plan, db, results, repeat, executor=executor, address=address)
                repeated = frozenset(r.key for r in results if r.result is not before[r.key])
            else:
                repeated = frozenset()
            results = persist_reviewed(db, plan, results, repeated)  # TA overrides applied, grade history kept
            written = write_reports(plan, results, similarity=similarity, template=similarity_template)
            return ClassResult(results, written, db.path, time.perf_counter() - t_start, plan.jobs, plan.cpus_per_job)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def _open_store(store: ResultsStore | str | Path | None, plan: ClassPlan) -> Iterator[ResultsStore]:
    """The caller's store (left open), or one opened for this class and closed after it."""
    if isinstance(store, ResultsStore):
        yield store
        return
    db = ResultsStore(plan.store_path or ":memory:")
    try:
        yield db
    finally:
        db.close()


def _student_result(plan: ClassPlan, index: int, submission: str, result: GradeResult, how: How,
                    seconds: float) -> StudentResult:
    student = plan.entries[index].student
    return StudentResult(student, submission, _relabel(result, student.label), how, seconds,
                         plan.figures_dir(submission))


def _relabel(result: GradeResult, label: str) -> GradeResult:
    """A stored result found by content may have come from another path: show this one's."""
    if result.submission.path == label:
        return result
    sub = result.submission.model_copy(update={"path": label})
    ev = result.evidence.evidence.model_copy(update={"submission": sub})
    return result.model_copy(update={"submission": sub, "evidence": result.evidence.model_copy(update={"evidence": ev})})


__all__ = ["ClassResult", "StudentResult", "course_environment", "grade_folder"]
