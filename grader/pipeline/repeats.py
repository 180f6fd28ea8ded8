"""Repeats where they matter (``grader grade --repeat K``): a borderline verdict is re-measured with K more seeds.

A figure within noise of a bar may land on either side of it when the training is run with another seed.
So each borderline submission runs K more times, each with its own seed, through the same stages as any
run (looked up in the results store first, stored once run: a second ``--repeat`` costs lookups). Each
borderline figure's values go into the first run's verification as a :class:`RepeatedFigure`, and the
metric check decides on their median; the report shows the median and the spread.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from grader.evidence.model import DEFAULT_SEED
from grader.grading.result import GradeResult
from grader.pipeline.lookup import look_up
from grader.pipeline.persist import persist_regrade, persist_run
from grader.pipeline.plan import ClassPlan
from grader.pipeline.run import run_plan
from grader.pipeline.store import ResultsStore
from grader.rubric import names
from grader.rubric.criteria import MetricCriterion
from grader.verify.verified import RepeatedFigure, VerifiedEvidence

if TYPE_CHECKING:
    from grader.pipeline.classgrade import StudentResult
    from grader.pipeline.executors.base import Executor

# Metrics the verifier does not measure itself, derived from one it does (as grader.checks.metrics does).
_DERIVED = {"rmse": ("mse", math.sqrt), "relative_error": ("mape", lambda v: v / 100.0)}


def is_borderline(result: GradeResult) -> bool:
    """True when some criterion's verified figure lies within noise of its bar (its 95% interval straddles it)."""
    return any(c.borderline is not None for c in result.criteria)


def repeat_seeds(seed: int | None, k: int) -> list[int]:
    """The K further seeds after the first run's (after the default seed for an unseeded first run)."""
    base = DEFAULT_SEED if seed is None else seed
    return [(base + i) % 2**32 for i in range(1, k + 1)]


def seeded_plan(plan: ClassPlan, seed: int, submissions: set[str]) -> ClassPlan:
    """The plan for one repeat: only the borderline submissions, this seed (and so this store key), no kept files
    (the reports show the first run's figures)."""
    env = dict(plan.environment)
    env["seed"] = str(seed)
    return dataclasses.replace(
        plan, entries=tuple(e for e in plan.entries if e.submission in submissions),
        limits=plan.limits.with_seed(seed), environment=tuple(sorted(env.items())), out=None)


def figure_value(verified: VerifiedEvidence, model_id: str | None, metric: str, split: str) -> float | None:
    """The verified figure of `metric` on `split` for one run's model; None when that run did not verify it."""
    ver = verified.verification(model_id) if model_id is not None else None
    if ver is None:
        return None
    for name, transform in ((metric, None), _DERIVED.get(metric, (None, None))):
        if name is None:
            continue
        fig = next((f for f in ver.figures if f.split == split and names.metric(f.name) == name
                    and f.verified is not None), None)
        if fig is not None and fig.verified is not None:
            return transform(fig.verified) if transform is not None else fig.verified
    return None


def _metric_criteria(result: GradeResult, plan: ClassPlan) -> dict[str, MetricCriterion]:
    """The borderline criteria of `result`, by id, as the rubric states them."""
    wanted = {c.id for c in result.criteria if c.borderline is not None}
    return {c.id: c for slot in plan.rubric.slots for c in slot.metrics if c.id in wanted}


def combine(first: GradeResult, repeats: Sequence[tuple[int, GradeResult]], plan: ClassPlan) -> GradeResult:
    """The first run's evidence with each borderline figure's repeated values, graded again (the median decides)."""
    from grader.grading.grade import grade

    found: dict[str, list[RepeatedFigure]] = {}
    for cid, crit in _metric_criteria(first, plan).items():
        ours = next(c for c in first.criteria if c.id == cid)
        value = figure_value(first.evidence, ours.model_id, crit.metric, crit.split)
        if value is None or ours.model_id is None:
            continue
        seeds, values = [first.evidence.evidence.run.limits.seed], [value]
        for seed, result in repeats:
            theirs = next((c for c in result.criteria if c.id == cid), None)
            again = figure_value(result.evidence, theirs.model_id if theirs else None, crit.metric, crit.split)
            if again is not None:  # a repeat that did not produce the figure (it crashed) adds nothing
                seeds.append(seed)
                values.append(again)
        if len(values) > 1:
            found.setdefault(ours.model_id, []).append(
                RepeatedFigure(metric=crit.metric, split=crit.split, seeds=tuple(seeds), values=tuple(values)))
    if not found:
        return first
    verifications = [v.model_copy(update={"repeats": tuple(found.get(v.model_id, ()))}) if v.model_id in found else v
                     for v in first.evidence.verifications]
    verified = first.evidence.model_copy(update={"verifications": verifications})
    return grade(verified, plan.rubric, quick=plan.quick).model_copy(update={"submission": first.submission})


def repeat_borderline(plan: ClassPlan, store: ResultsStore, results: list[StudentResult], k: int, *,
                      executor: str | Executor = "local", address: str | None = None) -> list[StudentResult]:
    """`results` with each borderline one re-decided on K more seeded runs (run, or found in the store)."""
    chosen = {r.key for r in results if is_borderline(r.result)}
    if k <= 0 or not chosen:
        return results
    from grader.pipeline.executors import make_executor

    runner: Any = executor
    own = isinstance(executor, str)
    if own:
        runner = make_executor(str(executor), jobs=plan.jobs, cpus_per_job=plan.cpus_per_job, datasets=plan.datasets,
                               gpus=list(plan.gpus), address=address)
    measured: dict[str, list[tuple[int, GradeResult]]] = {key: [] for key in chosen}
    try:
        for seed in repeat_seeds(plan.limits.seed, k):
            again = seeded_plan(plan, seed, chosen)
            store.register_environment(dict(again.environment))
            found = look_up(again, store)
            for f in found.found:
                persist_regrade(store, again, f)
                measured[f.submission].append((seed, f.result))
            for ran in run_plan(again, found.to_run, executor=runner):
                persist_run(store, again, ran)
                measured[ran.todo.submission].append((seed, ran.result))
    finally:
        if own:
            runner.close()
    return [dataclasses.replace(r, result=combine(r.result, measured[r.key], plan)) if r.key in measured else r
            for r in results]


__all__ = ["combine", "figure_value", "is_borderline", "repeat_borderline", "repeat_seeds",
           "seeded_plan"]
