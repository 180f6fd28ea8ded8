"""The fourth stage: results into the store the moment they exist, so an interrupted class resumes.

Each write is one transaction (see :class:`~grader.pipeline.store.ResultsStore`): a run killed at any point
leaves every finished result in place and no half-written one, and evidence stored twice (another process
got there first) is not logged as a second run. What is not final is not stored as such
(:mod:`grader.pipeline.retry`): the next run tries it again.
"""

from __future__ import annotations

from grader.pipeline.lookup import Found
from grader.pipeline.plan import ClassPlan
from grader.pipeline.retry import is_final, keeps_evidence
from grader.pipeline.run import Ran
from grader.pipeline.store import ResultsStore


def persist_run(store: ResultsStore, plan: ClassPlan, ran: Ran) -> bool:
    """Store a run's evidence and, when final, its grade. True when the evidence was stored now."""
    if not keeps_evidence(ran.result):
        return False  # the grader broke on it: the next run runs it again
    name = plan.entries[ran.todo.indexes[0]].student.name
    final = is_final(ran.result)
    return store.put_run(plan.key(ran.todo.submission), name, ran.verified, ran.seconds,
                         plan.rubric.sha256 if final else None, ran.result if final else None, worker=ran.worker,
                         replace=ran.todo.replace)


def persist_regrade(store: ResultsStore, plan: ClassPlan, found: Found) -> bool:
    """Store a grade made from stored evidence, when it is new and final. True when stored."""
    if found.how != "regraded" or not is_final(found.result):
        return False
    store.put_grade(plan.key(found.submission), plan.rubric.sha256, found.result)
    return True


__all__ = ["persist_regrade", "persist_run"]
