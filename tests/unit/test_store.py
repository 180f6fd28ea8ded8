"""The results store and grade_folder's use of it, with an executor that fakes runs (no TensorFlow)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import evidence_factory as f
import pytest

from grader.pipeline.classgrade import grade_folder
from grader.evidence.model import RunStatus, SubmissionInfo
from grader.faults import Culprit, Fault, Phase
from grader.pipeline.executors.base import Job, JobOutcome
from grader.grading.grade import grade
from grader.evidence.merge import merge_verified
from grader.rubric.loader import parse_rubric
from grader.pipeline.store import Key, ResultsStore, environment, environment_key

RUBRIC = """
id: tiny
title: Tiny
version: "1"
requirements:
  - {id: sgd, title: SGD, optimizer: sgd, points: 2}
"""
RUBRIC_V2 = RUBRIC + "  - {id: loss, title: Loss, loss: categorical_crossentropy, points: 3}\n"


class FakeExecutor:
    """Returns canned evidence for each job and counts how many jobs it 'ran'."""

    slots = 2

    def __init__(self, fail_after: int | None = None):
        self.ran: list[str] = []
        self.fail_after = fail_after

    def run(self, jobs: Sequence[Job], on_event=None) -> Iterator[JobOutcome]:
        for job in jobs:
            if self.fail_after is not None and len(self.ran) >= self.fail_after:
                raise KeyboardInterrupt  # the grader is interrupted mid-class
            self.ran.append(job.name)
            if on_event:
                on_event(job.key, {"event": "job_start", "worker": "w1"})
            opt = "RMSprop" if "adam" in job.name else "SGD"
            ve = f.verify(f.evidence([f.dense_model("m1", [10], optimizer=opt)]))
            yield JobOutcome(job.key, ve.model_dump_json(), 0.01, worker="w1")

    def close(self) -> None:
        pass


@pytest.fixture
def klass(tmp_path: Path) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("ann", "bob", "cy_adam"):
        (folder / f"{name}.py").write_text(f"print('{name}')\n")
    return folder


def run(folder: Path, tmp_path: Path, rubric: str = RUBRIC, executor: FakeExecutor | None = None, **kw):
    ex = executor or FakeExecutor()
    graded = grade_folder(folder, rubric=parse_rubric(rubric), executor=ex, store=tmp_path / "r.sqlite",
                          datasets=tmp_path, out=tmp_path / "out", formats=("csv", "json"), gpus=[], **kw)
    return graded, ex


def test_first_run_runs_everything_then_cache_hits_run_nothing(klass: Path, tmp_path: Path) -> None:
    graded, ex = run(klass, tmp_path)
    assert sorted(ex.ran) == ["ann", "bob", "cy_adam"]
    assert [r.how for r in graded.results] == ["ran"] * 3 and graded.exit_code == 0
    assert {r.student.name: r.result.score for r in graded.results} == {"ann": 2, "bob": 2, "cy_adam": 0}
    assert (tmp_path / "out" / "gradebook.csv").is_file() and (tmp_path / "out" / "results" / "ann.json").is_file()
    again, ex2 = run(klass, tmp_path)
    assert ex2.ran == [] and [r.how for r in again.results] == ["cached"] * 3
    assert [r.result for r in again.results] == [r.result for r in graded.results]
    with ResultsStore(tmp_path / "r.sqlite") as db:
        assert db.run_count() == 3 and db.counts() == {"evidence": 3, "grades": 3, "runs": 3}


def test_a_changed_rubric_regrades_from_evidence_without_running(klass: Path, tmp_path: Path) -> None:
    run(klass, tmp_path)
    graded, ex = run(klass, tmp_path, rubric=RUBRIC_V2)
    assert ex.ran == [] and [r.how for r in graded.results] == ["regraded"] * 3
    assert graded.results[0].result.max_score == 5
    with ResultsStore(tmp_path / "r.sqlite") as db:
        assert db.run_count() == 3 and db.counts()["grades"] == 6  # one grade per rubric, runs unchanged
    again, ex = run(klass, tmp_path, rubric=RUBRIC_V2)
    assert ex.ran == [] and {r.how for r in again.results} == {"cached"}


def test_a_changed_file_or_environment_runs_again(klass: Path, tmp_path: Path, monkeypatch) -> None:
    run(klass, tmp_path)
    (klass / "bob.py").write_text("print('bob v2')\n")
    graded, ex = run(klass, tmp_path)
    assert ex.ran == ["bob"]
    assert {r.student.name: r.how for r in graded.results} == {"ann": "cached", "bob": "ran", "cy_adam": "cached"}
    monkeypatch.setattr("grader.pipeline.plan.environment", lambda files, **kw: {**environment(files, **kw), "keras": "99.0"})
    _, ex = run(klass, tmp_path)
    assert sorted(ex.ran) == ["ann", "bob", "cy_adam"]
    _, ex = run(klass, tmp_path, quick=True)  # quick runs are other evidence
    assert len(ex.ran) == 3


def test_an_interrupted_class_resumes_with_nothing_lost_and_nothing_twice(klass: Path, tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        run(klass, tmp_path, executor=FakeExecutor(fail_after=2))
    with ResultsStore(tmp_path / "r.sqlite") as db:
        assert db.run_count() == 2
    graded, ex = run(klass, tmp_path)
    assert len(ex.ran) == 1 and sorted(r.how for r in graded.results) == ["cached", "cached", "ran"]
    with ResultsStore(tmp_path / "r.sqlite") as db:
        assert db.run_count() == 3 and len({s for s, _, _ in db.runs()}) == 3


def test_identical_submissions_run_once(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    for name in ("x", "y"):
        (folder / name).mkdir(parents=True)
        (folder / name / "hw.py").write_text("print(1)\n")
    graded, ex = run(folder, tmp_path)
    assert len(ex.ran) == 1 and [r.student.name for r in graded.results] == ["x", "y"]
    assert graded.results[0].key == graded.results[1].key


def test_refused_archives_and_grader_failures_are_results(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ann.py").write_text("print(1)\n")
    (folder / "bad.zip").write_bytes(b"not a zip")

    class Failing(FakeExecutor):
        def run(self, jobs, on_event=None):
            for job in jobs:
                from grader.pipeline.executors.base import fault_evidence, run_job

                if job.problem:
                    ve = run_job(job)  # what workers do for a refused upload: no run at all
                else:
                    ve = fault_evidence(job, Fault(phase=Phase.RUN, culprit=Culprit.ENVIRONMENT, kind="SandboxError",
                                                        message="the host broke"))
                yield JobOutcome(job.key, ve.model_dump_json(), 0.0)

    graded, _ = run(folder, tmp_path, executor=Failing())
    res = {r.student.name: r.result for r in graded.results}
    assert res["bad"].run.status == RunStatus.INVALID and "could not read the archive" in res["bad"].run.message
    assert res["ann"].run.status == RunStatus.NOT_RUN and res["ann"].status.value == "error"
    assert [f.culprit for f in res["ann"].faults] == [Culprit.ENVIRONMENT]
    assert graded.exit_code == 3  # the grader could not grade ann
    with ResultsStore(tmp_path / "r.sqlite") as db:
        assert db.run_count() == 1  # the refused upload is stored; the grader failure is retried next time


def test_writes_are_atomic_transactions(tmp_path: Path) -> None:
    rubric = parse_rubric(RUBRIC)
    ve = f.verify(f.evidence([f.dense_model("m1", [10])]))
    result = grade(ve, rubric)
    key = Key("abc", environment_key(environment()), False)
    with ResultsStore(tmp_path / "r.sqlite") as db:
        assert db.put_run(key, "ann", ve, 1.0, rubric.sha256, result)
        assert not db.put_run(key, "ann", ve, 1.0, rubric.sha256, result)  # stored already: not logged twice
        assert db.run_count("abc") == 1
        assert db.evidence(key) == ve and db.grade(key, rubric.sha256) == result
        # A failure half-way through a write leaves nothing behind.
        bad = Key("def", key.env, False)

        class Boom(Exception):
            pass

        class Exploding:
            def model_dump_json(self) -> str:
                raise Boom

        with pytest.raises(Boom):
            db.put_run(bad, "bob", ve, 1.0, rubric.sha256, Exploding())  # type: ignore[arg-type]
        assert db.evidence(bad) is None and db.run_count("def") == 0
    raw = sqlite3.connect(tmp_path / "r.sqlite")
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_merge_renumbers_models_and_keeps_the_worst_status() -> None:
    a = f.verify(f.evidence([f.dense_model("m1", [10]), f.dense_model("m2", [20])], markdown="A"))
    b_ev = f.evidence([f.dense_model("m1", [30])], markdown="B")
    b = f.verify(b_ev.model_copy(update={"run": b_ev.run.model_copy(update={
        "status": RunStatus.CRASHED, "message": "NameError in cell 3"})}))
    info = SubmissionInfo(path="ann", kind="notebook", sha256="h", size=1)
    merged = merge_verified([("part1.ipynb", a), ("part2.ipynb", b)], submission=info, file_dirs=["part1", "part2"])
    ev = merged.evidence
    assert [m.id for m in ev.models] == ["m1", "m2", "m3"]
    assert [v.model_id for v in merged.verifications] == ["m1", "m2", "m3"]
    assert ev.models[2].layers == b.evidence.models[0].layers
    assert ev.models[2].fits[0].saved_model.startswith("part2/")
    assert ev.run.status == RunStatus.CRASHED and ev.run.message == "part2.ipynb: NameError in cell 3"
    assert ev.markdown == "A\n\nB" and ev.submission == info


def test_a_run_that_hit_a_limit_the_rubric_then_raises_runs_again(klass: Path, tmp_path: Path) -> None:
    class TimingOut(FakeExecutor):
        def run(self, jobs, on_event=None):
            for job in jobs:
                self.ran.append(job.name)
                ev = f.evidence([], status=RunStatus.TIMEOUT, message="ran past 60 s")
                ev = ev.model_copy(update={"run": ev.run.model_copy(update={"limits": job.limits})})
                yield JobOutcome(job.key, f.verify(ev).model_dump_json(), 60.0)

    short = RUBRIC + "limits: {timeout_s: 60}\n"
    run(klass, tmp_path, rubric=short, executor=TimingOut())
    _, ex = run(klass, tmp_path, rubric=short + "# same limits, other text\n")
    assert ex.ran == []  # same limits: the timeout stands, re-graded from evidence
    graded, ex = run(klass, tmp_path, rubric=RUBRIC + "limits: {timeout_s: 600}\n")
    assert sorted(ex.ran) == ["ann", "bob", "cy_adam"] and {r.how for r in graded.results} == {"ran"}
    with ResultsStore(tmp_path / "r.sqlite") as db:
        assert db.run_count() == 6 and db.counts()["evidence"] == 3
