"""The third stage: run what the store could not answer, and grade each run as it comes back.

Submissions become :class:`~grader.pipeline.executors.base.Job` values (plain, picklable data) and go to
an executor; a refused upload needs no worker and becomes its result here. Outcomes arrive in any order,
each graded at once (grading is pure and takes milliseconds) so it can be stored before the next arrives.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from grader.datasets.served import hidden_split
from grader.grading.result import GradeResult
from grader.pipeline.executors.base import Executor, Job, JobOutcome, run_job
from grader.pipeline.lookup import ToRun
from grader.pipeline.plan import ClassPlan
from grader.verify.verified import VerifiedEvidence

ProgressSink = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Ran:
    """One submission's run, graded."""

    todo: ToRun
    verified: VerifiedEvidence
    result: GradeResult
    seconds: float
    worker: str = ""


def jobs_for(plan: ClassPlan, to_run: Sequence[ToRun]) -> list[Job]:
    """One job per submission to run, named after the first student who handed it in."""
    jobs = []
    for todo in to_run:
        st = plan.entries[todo.indexes[0]].student
        keep = plan.keep_dir(todo.submission)
        jobs.append(Job(
            key=todo.submission, name=st.name, label=st.label, root=str(st.root.resolve()), entries=st.entries,
            folder_source=st.folder_source, limits=plan.limits, datasets=plan.datasets,
            continue_on_error=plan.rubric.continue_on_error, quick=plan.quick,
            keep_dir=str(keep.resolve()) if keep is not None else None, problem=st.problem, size=st.size(),
            kind=st.kind, compat=plan.compat, python=plan.course.python if plan.course else None,
            runtime=plan.course.runtime if plan.course else None, adapt=plan.adapt,
            hidden_test=hidden_split(plan.rubric) is not None))
    return jobs


def run_plan(plan: ClassPlan, to_run: Sequence[ToRun], *, executor: str | Executor = "local",
             address: str | None = None, progress: ProgressSink | None = None) -> Iterator[Ran]:
    """Run `to_run` and yield each graded run as soon as it is done (any order). Closing the iterator
    (or Ctrl-C) stops the workers at once."""
    from grader.grading.grade import grade

    todo = {t.submission: t for t in to_run}
    jobs = jobs_for(plan, to_run)
    names = {j.key: j.name for j in jobs}
    emit = progress or (lambda event: None)

    def outcomes() -> Iterator[JobOutcome]:
        runnable = [j for j in jobs if j.problem is None]
        for job in jobs:
            if job.problem is not None:  # nothing to run: no worker needed
                yield JobOutcome(job.key, run_job(job).model_dump_json(), 0.0)
        if not runnable:
            return
        runner, own = _executor(executor, jobs=plan.jobs, cpus_per_job=plan.cpus_per_job, datasets=plan.datasets,
                                gpus=list(plan.gpus), address=address)
        try:
            yield from runner.run(runnable, lambda key, ev: emit({**ev, "student": names.get(key, key)}))
        finally:
            if own:
                runner.close()

    with closing(outcomes()) as stream:  # closed at once, even on Ctrl-C: the workers stop with it
        for outcome in stream:
            for part, verified in by_content(plan, todo[outcome.key], outcome.verified()):
                yield Ran(part, verified, grade(verified, plan.rubric, quick=plan.quick), outcome.seconds,
                          outcome.worker)


def by_content(plan: ClassPlan, todo: ToRun, verified: VerifiedEvidence) -> list[tuple[ToRun, VerifiedEvidence]]:
    """One run's evidence for each distinct submission that shares it (one run key, other answers), the files
    that ran first: the others get their own notebook's words (grader.pipeline.lookup.answers_of) and never
    replace the stored run."""
    from grader.pipeline.lookup import answers_of

    groups: dict[str, list[int]] = {}
    for i in todo.indexes:
        groups.setdefault(plan.entries[i].submission, []).append(i)
    out = []
    for submission, indexes in groups.items():
        if submission == todo.submission:
            out.insert(0, (dataclasses.replace(todo, indexes=tuple(indexes)), verified))
        else:
            out.append((ToRun(submission, tuple(indexes)), answers_of(plan.entries[indexes[0]], verified)[0]))
    return out


def _executor(executor: str | Executor, **kwargs: Any) -> tuple[Executor, bool]:
    """The executor to use and whether this stage owns it (and closes it)."""
    if not isinstance(executor, str):
        return executor, False
    from grader.pipeline.executors import make_executor

    return make_executor(executor, **kwargs), True


__all__ = ["ProgressSink", "Ran", "by_content", "jobs_for", "run_plan"]
