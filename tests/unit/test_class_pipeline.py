"""grade_folder's stages (plan, look up, run, persist) on the real SQLite store, with executors that
fake runs (no TensorFlow): what is retried after an ERROR grade, and names that stay distinct."""

from __future__ import annotations

import csv
import dataclasses
import json
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import evidence_factory as f
import pytest

from grader.evidence.model import RunStatus
from grader.faults import Culprit, Fault, Phase
from grader.grading.grade import grade
from grader.grading.result import GradeStatus
from grader.pipeline.classgrade import grade_folder
from grader.pipeline.executors.base import Job, JobOutcome, fault_evidence
from grader.pipeline.lookup import look_up
from grader.pipeline.persist import persist_regrade, persist_run
from grader.pipeline.plan import ClassPlan, plan_class
from grader.pipeline.run import run_plan
from grader.pipeline.store import ResultsStore
from grader.render.class_summary import class_summary
from grader.rubric.loader import parse_rubric
from grader.verify.verified import VerificationStatus, VerifiedEvidence

RUBRIC = """
id: tiny
title: Tiny
version: "1"
requirements:
  - {id: sgd, title: SGD, optimizer: sgd, points: 2}
"""
# A metric the verifier must re-measure: a model it could not re-measure leaves the grade incomplete.
MEASURED = RUBRIC + """slots:
  - id: net
    title: Network
    match: {trained: true}
    metrics:
      - {id: val, title: Validation accuracy, metric: accuracy, split: validation, expect: '>0.5', points: 1}
"""
CUSTOM = RUBRIC + """custom:
  - {id: extra, title: Extra, function: 'pipeline_test_checks:extra', points: 1}
"""


def good(job: Job) -> VerifiedEvidence:
    return f.verify(f.evidence([f.dense_model("m1", [10])]))


def unverified(culprit: Culprit | None) -> Callable[[Job], VerifiedEvidence]:
    """The verifier could not re-measure m1; `culprit` None: as an older version stored it (no fault)."""

    def make(job: Job) -> VerifiedEvidence:
        ve = f.verify(f.evidence([f.dense_model("m1", [10])]), status={"m1": VerificationStatus.ERROR},
                      message="could not re-measure")
        if culprit is None:
            return ve
        fault = Fault(phase=Phase.VERIFY, culprit=culprit, kind="load", message="could not re-measure", subject="m1")
        return ve.model_copy(update={"verifications": [v.model_copy(update={"fault": fault})
                                                       for v in ve.verifications]})

    return make


def not_run(job: Job) -> VerifiedEvidence:
    return fault_evidence(job, Fault(phase=Phase.RUN, culprit=Culprit.ENVIRONMENT, kind="bwrap",
                                     message="bubblewrap could not start"))


def crashed(job: Job) -> VerifiedEvidence:
    return f.verify(f.evidence([], status=RunStatus.CRASHED, message="NameError: name 'x' is not defined"))


class Scripted:
    """An executor whose runs give whatever `make` says, counting the runs."""

    slots = 1

    def __init__(self, make: Callable[[Job], VerifiedEvidence] = good):
        self.make = make
        self.ran: list[str] = []

    def run(self, jobs: Sequence[Job], on_event=None) -> Iterator[JobOutcome]:
        for job in jobs:
            self.ran.append(job.name)
            yield JobOutcome(job.key, self.make(job).model_dump_json(), 0.01, worker="w1")

    def close(self) -> None:
        pass


@pytest.fixture
def klass(tmp_path: Path) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("ann", "bob"):
        (folder / f"{name}.py").write_text(f"print('{name}')\n")
    return folder


def grade_class(folder: Path, tmp_path: Path, make: Callable[[Job], VerifiedEvidence] = good,
                rubric: str = RUBRIC, **kw):
    ex = Scripted(make)
    graded = grade_folder(folder, rubric=parse_rubric(rubric), executor=ex, store=tmp_path / "r.sqlite",
                          datasets=tmp_path, gpus=[], **kw)
    return graded, ex


def make_plan(folder: Path, tmp_path: Path, rubric: str = RUBRIC, **kw) -> ClassPlan:
    return plan_class(folder, rubric=parse_rubric(rubric), staging=tmp_path / "staging", datasets=tmp_path, gpus=[],
                      **kw)


# ------------------------------------------------------------------------------------------- plan


def test_the_plan_resolves_options_once_into_frozen_data(klass: Path, tmp_path: Path) -> None:
    (klass / "grades").mkdir()  # the output folder inside the class folder is not a student
    plan = make_plan(klass, tmp_path, out=klass / "grades", jobs=2, cores=4)
    assert [e.student.name for e in plan.entries] == ["ann", "bob"]
    assert plan.entries[0].submission == plan.entries[0].student.content_hash() != plan.entries[1].submission
    assert (plan.jobs, plan.cpus_per_job, plan.limits.cpus) == (2, 2, 2)
    assert plan.store_path == klass / "grades" / "results.sqlite"
    assert plan.keep_dir("ab" * 32) == klass / "grades" / "files" / ("ab" * 8)
    assert plan.key("h").env == plan.env_key and dict(plan.environment)["keras"] is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.jobs = 3  # type: ignore[misc]
    assert make_plan(klass, tmp_path).store_path is None  # no output folder: a store in memory


# ------------------------------------------------------------------------------- look up / persist


def test_look_up_only_reads_and_persist_stores_each_result_once(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    for name in ("x", "y"):  # identical files: one run for both
        (folder / name).mkdir(parents=True)
        (folder / name / "hw.py").write_text("print(1)\n")
    (folder / "z.py").write_text("print(2)\n")
    plan = make_plan(folder, tmp_path)
    with ResultsStore(tmp_path / "r.sqlite") as db:
        first = look_up(plan, db)
        assert first.found == () and [t.indexes for t in first.to_run] == [(0, 1), (2,)]
        assert not any(t.replace for t in first.to_run)
        ran = list(run_plan(plan, first.to_run, executor=Scripted()))
        assert [persist_run(db, plan, r) for r in ran] == [True, True]
        assert [persist_run(db, plan, r) for r in ran] == [False, False]  # stored already: not logged twice
        assert db.counts() == {"evidence": 2, "grades": 2, "runs": 2}
        assert sorted(name for _, name, _ in db.runs()) == ["x", "z"]

        again = look_up(plan, db)
        assert again.to_run == () and [(x.index, x.how) for x in again.found] == [(0, "cached"), (1, "cached"),
                                                                                  (2, "cached")]
        v2 = make_plan(folder, tmp_path, rubric=RUBRIC + "# another version\n")
        regraded = look_up(v2, db)
        assert {x.how for x in regraded.found} == {"regraded"} and regraded.to_run == ()
        assert db.counts()["grades"] == 2  # looking up wrote nothing
        assert all(persist_regrade(db, v2, x) for x in regraded.found)
        assert db.counts() == {"evidence": 2, "grades": 4, "runs": 2}  # one grade per submission and rubric


def test_stored_evidence_that_hit_a_limit_since_raised_is_replaced(klass: Path, tmp_path: Path) -> None:
    def timed_out(job: Job) -> VerifiedEvidence:
        ev = f.evidence([], status=RunStatus.TIMEOUT, message="ran past 60 s")
        return f.verify(ev.model_copy(update={"run": ev.run.model_copy(update={"limits": job.limits})}))

    grade_class(klass, tmp_path, timed_out, rubric=RUBRIC + "limits: {timeout_s: 60}\n")
    plan = make_plan(klass, tmp_path, rubric=RUBRIC + "limits: {timeout_s: 600}\n")
    with ResultsStore(tmp_path / "r.sqlite") as db:
        lookup = look_up(plan, db)
    assert lookup.found == () and all(t.replace for t in lookup.to_run)


# ------------------------------------------------------------------------------- ERROR grades


def test_an_error_grade_the_grader_caused_is_run_again_on_the_next_run(klass: Path, tmp_path: Path) -> None:
    graded, ex = grade_class(klass, tmp_path, unverified(Culprit.ENVIRONMENT), rubric=MEASURED)
    assert ex.ran == ["ann", "bob"] and {r.result.status for r in graded.results} == {GradeStatus.ERROR}
    assert graded.exit_code == 3 and graded.retried == graded.ungraded
    assert "could not grade 2 submission(s); they are retried on the next run" in class_summary(graded)
    again, ex = grade_class(klass, tmp_path, good, rubric=MEASURED)
    assert ex.ran == ["ann", "bob"] and [r.how for r in again.results] == ["ran", "ran"]
    assert again.exit_code == 0 and {r.result.status for r in again.results} == {GradeStatus.PASSED}
    third, ex = grade_class(klass, tmp_path, good, rubric=MEASURED)
    assert ex.ran == [] and [r.how for r in third.results] == ["cached", "cached"]
    with ResultsStore(tmp_path / "r.sqlite") as db:
        assert db.run_count() == 2  # the failed attempts were never stored as runs


def test_a_grader_that_could_not_run_it_runs_it_again(klass: Path, tmp_path: Path) -> None:
    graded, _ = grade_class(klass, tmp_path, not_run)
    assert {r.result.run.status for r in graded.results} == {RunStatus.NOT_RUN} and graded.exit_code == 3
    with ResultsStore(tmp_path / "r.sqlite") as db:
        assert db.counts() == {"evidence": 0, "grades": 0, "runs": 0}
    _, ex = grade_class(klass, tmp_path, good)
    assert ex.ran == ["ann", "bob"]


def test_an_error_grade_stored_by_an_older_version_is_not_served(klass: Path, tmp_path: Path) -> None:
    """Older versions stored a grade whose model the verifier could not re-measure, and served it again."""
    rubric = parse_rubric(MEASURED)
    plan = make_plan(klass, tmp_path, rubric=MEASURED)
    with ResultsStore(tmp_path / "r.sqlite") as db:
        db.register_environment(dict(plan.environment))
        for e in plan.entries:
            ve = unverified(None)(None)  # type: ignore[arg-type]
            result = grade(ve, rubric)
            assert result.status == GradeStatus.ERROR
            db.put_run(plan.key(e.submission), e.student.name, ve, 1.0, rubric.sha256, result)
    graded, ex = grade_class(klass, tmp_path, good, rubric=MEASURED)
    assert ex.ran == ["ann", "bob"] and graded.exit_code == 0
    with ResultsStore(tmp_path / "r.sqlite") as db:
        assert db.counts() == {"evidence": 2, "grades": 2, "runs": 4}  # replaced, each run logged


def test_what_the_student_did_is_final_and_cached(klass: Path, tmp_path: Path) -> None:
    graded, ex = grade_class(klass, tmp_path, crashed)
    assert {r.result.run.status for r in graded.results} == {RunStatus.CRASHED}
    assert {r.result.status for r in graded.results} == {GradeStatus.FAILED}
    again, ex = grade_class(klass, tmp_path, crashed)
    assert ex.ran == [] and [r.how for r in again.results] == ["cached", "cached"]


def test_a_model_file_only_the_student_can_fix_is_final_even_as_an_error(klass: Path, tmp_path: Path) -> None:
    graded, _ = grade_class(klass, tmp_path, unverified(Culprit.STUDENT), rubric=MEASURED)
    assert {r.result.status for r in graded.results} == {GradeStatus.ERROR}
    assert len(graded.ungraded) == 2 and graded.retried == []
    assert "could not grade 2 submission(s); 0 are retried on the next run, 2 kept as they are" in \
        class_summary(graded)
    again, ex = grade_class(klass, tmp_path, good, rubric=MEASURED)
    assert ex.ran == [] and [r.how for r in again.results] == ["cached", "cached"]


def test_a_broken_custom_check_is_graded_again_from_the_stored_run(klass: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.checks.custom import load_function

    checks = types.ModuleType("pipeline_test_checks")
    checks.extra = lambda ev, params, slots: 1 / 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pipeline_test_checks", checks)
    load_function.cache_clear()
    graded, ex = grade_class(klass, tmp_path, good, rubric=CUSTOM)
    assert ex.ran == ["ann", "bob"] and {r.result.status for r in graded.results} == {GradeStatus.ERROR}
    checks.extra = lambda ev, params, slots: True  # type: ignore[attr-defined]  # fixed; the rubric is unchanged
    load_function.cache_clear()
    fixed, ex = grade_class(klass, tmp_path, good, rubric=CUSTOM)
    assert ex.ran == [] and [r.how for r in fixed.results] == ["regraded", "regraded"]
    assert {r.result.status for r in fixed.results} == {GradeStatus.PASSED}
    third, ex = grade_class(klass, tmp_path, good, rubric=CUSTOM)
    assert ex.ran == [] and [r.how for r in third.results] == ["cached", "cached"]
    load_function.cache_clear()


# ------------------------------------------------------------------------------------ names


def test_submissions_differing_only_by_extension_keep_distinct_names(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "hw.ipynb").write_text(json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {}, "outputs": [],
                   "source": "print(1)"}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    (folder / "hw.py").write_text("print(2)\n")
    (folder / "ann.py").write_text("print(3)\n")
    out = tmp_path / "out"
    graded, _ = grade_class(folder, tmp_path, out=out, formats=("csv", "json", "html"))
    assert [r.student.name for r in graded.results] == ["ann", "hw.ipynb", "hw.py"]
    with ResultsStore(tmp_path / "r.sqlite") as db:
        assert sorted(name for _, name, _ in db.runs()) == ["ann", "hw.ipynb", "hw.py"]
    with (out / "gradebook.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    students = [row[0] for row in rows[1:] if row[0] != "Points Possible"]
    assert students == ["ann", "hw.ipynb", "hw.py"]
    assert {p.name for p in (out / "results").iterdir()} == {"ann.json", "hw.ipynb.json", "hw.py.json"}
    assert (out / "hw.ipynb.html").is_file() and (out / "hw.py.html").is_file()
