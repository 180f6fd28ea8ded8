"""The fourth stage: results into the store the moment they exist, so an interrupted class resumes.

Each write is one transaction (see :class:`~grader.pipeline.store.ResultsStore`): a run killed at any point
leaves every finished result in place and no half-written one, and evidence stored twice (another process
got there first) is not logged as a second run. What is not final is not stored as such
(:mod:`grader.pipeline.retry`): the next run tries it again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

from grader.pipeline.how import How
from grader.pipeline.lookup import Found
from grader.pipeline.plan import ClassPlan
from grader.pipeline.retry import is_final, keeps_evidence
from grader.pipeline.run import Ran
from grader.pipeline.store import ResultsStore

if TYPE_CHECKING:
    from grader.pipeline.classgrade import StudentResult


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
    """Store a grade made from stored evidence, when it is new and final. True when stored. Evidence that
    was found under its older content-hash key is copied under its run key first."""
    if found.adopt is not None:
        store.adopt_evidence(found.adopt, plan.key(found.submission))
    if found.how is not How.REGRADED or not is_final(found.result):
        return False
    store.put_grade(plan.key(found.submission), plan.rubric.sha256, found.result)
    return True


def persist_reviewed(store: ResultsStore, plan: ClassPlan, results: Sequence[StudentResult],
                     repeated: frozenset[str] = frozenset()) -> list[StudentResult]:
    """Record each student's grade as current (with a history entry when it changed) and return the results
    with the TA's overrides applied (grader.review): what the reports and exports show. `repeated` holds the
    submissions whose grade repeated runs re-decided."""
    from grader.review.apply import criterion_definitions
    from grader.review.record import record_grade

    definitions = criterion_definitions(plan.rubric)
    return [dataclasses.replace(r, result=record_grade(store, r.student.name, plan.key(r.key), plan.rubric.sha256,
                                                        definitions, r.result, repeated=r.key in repeated))
            for r in results]


__all__ = ["persist_regrade", "persist_reviewed", "persist_run"]
