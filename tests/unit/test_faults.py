"""Faults: what broke while grading, with its phase and culprit, kept apart from what the student's run did."""

from __future__ import annotations

import json
import sqlite3
import sys
import types
from pathlib import Path

import evidence_factory as f
import pytest

from grader.checks.base import CheckResult, Outcome
from grader.checks.custom import load_function
from grader.evidence.model import RunStatus
from grader.faults import Culprit, Fault, Phase
from grader.grading.grade import grade
from grader.grading.result import GradeResult, GradeStatus
from grader.pipeline.store import Key, ResultsStore
from grader.rubric.loader import load_rubric, parse_rubric
from grader.verify.verified import VerificationStatus, VerifiedEvidence

ROOT = Path(__file__).resolve().parents[2]
KERAS = load_rubric(ROOT / "rubrics" / "nn-basics-keras.yaml")


def legacy(data: dict) -> dict:
    """What an older grader stored: the run status 'sandbox_error' and no fault fields at all."""
    def strip(node: object) -> object:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in ("faults", "fault", "not_judged", "true_value")}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    out = strip(data)
    text = json.dumps(out).replace('"status": "not_run"', '"status": "sandbox_error"')
    assert '"sandbox_error"' in text
    return json.loads(text)


def test_a_grader_that_could_not_run_it_is_a_fault_not_a_run_outcome() -> None:
    result = grade(f.not_run("bubblewrap is not installed"), KERAS)
    assert result.run.status == RunStatus.NOT_RUN
    assert result.status == GradeStatus.ERROR and result.exit_code == 3
    assert {c.outcome for c in result.criteria} == {Outcome.ERROR}  # never 'failed': the student missed nothing
    assert all(c.fault is not None and c.fault.culprit == Culprit.ENVIRONMENT for c in result.criteria)
    assert [(x.phase, x.culprit) for x in result.faults] == [(Phase.RUN, Culprit.ENVIRONMENT)]
    assert result.grader_faults == list(result.faults)


def test_a_verifier_that_broke_before_any_model_was_measured_blocks_every_criterion() -> None:
    from grader.errors import VerifierError

    fault = Fault.from_exception(VerifierError("verifier did not start"), phase=Phase.VERIFY)
    verified = f.not_run("hw.ipynb: the grader could not run it").model_copy(update={"faults": (fault,)})
    result = grade(verified, KERAS)
    assert {c.outcome for c in result.criteria} == {Outcome.ERROR}
    assert result.faults == (fault,) and fault.culprit == Culprit.GRADER and result.grader_faults == [fault]


def test_a_student_crash_has_no_fault() -> None:
    ev = f.evidence(f.nn_basics_models()[:2], status=RunStatus.CRASHED, message="NameError: x")
    result = grade(f.verify(ev), KERAS)
    assert result.faults == () and result.status == GradeStatus.FAILED
    assert Outcome.ERROR not in {c.outcome for c in result.criteria}


def test_old_sandbox_error_results_still_load_as_a_fault() -> None:
    result = grade(f.not_run("the host broke"), KERAS)
    old = legacy(result.model_dump(mode="json"))
    back = GradeResult.model_validate(old)
    assert back.run.status == RunStatus.NOT_RUN and back.evidence.evidence.run.status == RunStatus.NOT_RUN
    assert [(x.phase, x.culprit, x.message) for x in back.faults] == [(Phase.RUN, Culprit.GRADER, "the host broke")]
    assert back.evidence.faults == back.faults and back.grader_faults
    ve = VerifiedEvidence.model_validate_json(json.dumps(legacy(f.not_run("gone").model_dump(mode="json"))))
    assert ve.blocking_fault is not None and ve.blocking_fault.message == "gone"
    assert grade(ve, KERAS).status == GradeStatus.ERROR  # regraded from old evidence: still incomplete


def test_old_sandbox_error_rows_in_the_store_still_load(tmp_path: Path) -> None:
    verified = f.not_run("no sandbox here")
    result = grade(verified, KERAS)
    key = Key("a" * 64, "env", False)
    with ResultsStore(tmp_path / "r.sqlite") as db:
        db.put_run(key, "ann", verified, 1.0, KERAS.sha256, result)
    con = sqlite3.connect(tmp_path / "r.sqlite")
    with con:
        con.execute("UPDATE evidence SET verified=?", (json.dumps(legacy(verified.model_dump(mode="json"))),))
        con.execute("UPDATE grades SET result=?", (json.dumps(legacy(result.model_dump(mode="json"))),))
    con.close()
    with ResultsStore(tmp_path / "r.sqlite") as db:
        ve, res = db.evidence(key), db.grade(key, KERAS.sha256)
    assert ve is not None and ve.evidence.run.status == RunStatus.NOT_RUN and ve.faults[0].culprit == Culprit.GRADER
    assert res is not None and res.run.status == RunStatus.NOT_RUN and res.faults[0].message == "no sandbox here"


def test_a_model_that_does_not_load_is_the_students_fault_and_an_error() -> None:
    ev = f.nn_basics_evidence()
    fault = Fault(phase=Phase.VERIFY, culprit=Culprit.STUDENT, kind="ValueError", subject="m6",
                  message="ValueError: Could not deserialize layer 'MyLayer'")
    broken = ev.model_copy(update={"verifications": [
        v.model_copy(update={"status": VerificationStatus.ERROR, "fault": fault, "figures": []})
        if v.model_id == "m6" else v for v in ev.verifications]})
    result = grade(broken, KERAS)
    best = result.criterion("three.best.validation")
    assert best.outcome == Outcome.ERROR and best.fault == fault
    assert result.status == GradeStatus.ERROR and result.faults == (fault,)
    assert result.grader_faults == []  # not retried: grading the same files again gives the same fault


def test_an_old_verification_error_without_a_fault_is_the_graders() -> None:
    ev = f.nn_basics_evidence()
    broken = f.verify(ev.evidence, status={"m6": VerificationStatus.ERROR}, message="worker died")
    best = grade(broken, KERAS).criterion("three.best.validation")
    assert best.outcome == Outcome.ERROR and best.fault is not None
    assert (best.fault.phase, best.fault.culprit, best.fault.subject) == (Phase.VERIFY, Culprit.GRADER, "m6")


CUSTOM = """
id: c
title: C
version: "1"
custom:
  - {{id: own, function: "course_faults:{name}"}}
requirements:
  - {{id: sgd, optimizer: sgd}}
"""


@pytest.fixture()
def course(monkeypatch: pytest.MonkeyPatch) -> None:
    mod = types.ModuleType("course_faults")
    mod.boom = lambda ev, params, slots: 1 / 0
    mod.odd = lambda ev, params, slots: "yes"
    monkeypatch.setitem(sys.modules, "course_faults", mod)
    load_function.cache_clear()


@pytest.mark.parametrize("name,kind", [("boom", "ZeroDivisionError"), ("odd", "bad-return"),
                                       ("missing", "AttributeError")])
def test_a_custom_check_that_breaks_is_the_rubrics_fault(course: None, name: str, kind: str) -> None:
    result = grade(f.nn_basics_evidence(), parse_rubric(CUSTOM.format(name=name)))
    own = result.criterion("own")
    assert own.outcome == Outcome.ERROR and own.fault is not None
    assert (own.fault.phase, own.fault.culprit, own.fault.kind, own.fault.subject) == (
        Phase.CHECK, Culprit.RUBRIC, kind, "own")
    assert result.criterion("sgd").outcome == Outcome.PASSED  # the other criteria are decided as usual
    assert result.status == GradeStatus.ERROR and result.grader_faults == []


def test_a_check_that_raises_is_a_grader_fault_on_that_criterion_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kw: object) -> CheckResult:
        raise KeyError("oops")

    monkeypatch.setattr(sys.modules["grader.grading.grade"], "check_metric", broken)
    result = grade(f.nn_basics_evidence(), KERAS)
    best = result.criterion("three.best.validation")
    assert best.outcome == Outcome.ERROR and best.check == "metrics.threshold" and best.points == 0
    assert (best.fault.phase, best.fault.culprit, best.fault.kind) == (Phase.CHECK, Culprit.GRADER, "KeyError")
    assert "KeyError" in best.fault.detail  # the traceback's tail, for whoever fixes it
    assert result.criterion("general.sgd").outcome == Outcome.PASSED
    assert result.status == GradeStatus.ERROR and result.grader_faults


def test_an_error_outcome_always_carries_its_fault() -> None:
    with pytest.raises(ValueError):
        CheckResult(Outcome.ERROR, 0.0, "broke")
    fault = Fault(phase=Phase.CHECK, culprit=Culprit.GRADER, kind="x", message="y")
    with pytest.raises(ValueError):
        CheckResult(Outcome.FAILED, 0.0, "missed", fault=fault)


def test_fault_from_exception_blames_the_host_for_a_missing_sandbox() -> None:
    from grader.errors import SandboxError, VerifierError

    assert Fault.from_exception(SandboxError("no bwrap"), phase=Phase.RUN).culprit == Culprit.ENVIRONMENT
    assert Fault.from_exception(VerifierError("died"), phase=Phase.VERIFY).culprit == Culprit.GRADER
    assert Fault(phase=Phase.RUN, culprit=Culprit.STUDENT, kind="k", message="m").ours is False


def test_verifier_responses_become_faults_with_the_right_culprit() -> None:
    from grader.verify.verifier import verify_fault

    load = verify_fault("m1", {"ok": False, "kind": "error", "stage": "load"}, "ValueError: bad file")
    crash = verify_fault("m1", {"ok": False, "kind": "error", "stage": "crash"}, "the verifier crashed on this model")
    measure = verify_fault("m1", {"ok": False, "kind": "error", "trace": "Traceback ..."}, "IndexError: out of range")
    assert (load.phase, load.culprit, load.kind) == (Phase.VERIFY, Culprit.STUDENT, "ValueError")
    assert crash.culprit == Culprit.STUDENT
    assert (measure.culprit, measure.kind, measure.detail) == (Culprit.GRADER, "IndexError", "Traceback ...")


@pytest.mark.parametrize("exc,phase,culprit", [
    ("SandboxError", Phase.RUN, Culprit.ENVIRONMENT),  # the host cannot make a sandbox: retry elsewhere
    ("VerifierError", Phase.VERIFY, Culprit.GRADER),  # the grader's own verifier broke
])
def test_run_job_turns_a_grader_error_into_a_not_run_with_its_fault(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                     exc: str, phase: Phase, culprit: Culprit) -> None:
    import grader.api
    import grader.errors
    from grader.evidence.model import Limits
    from grader.pipeline.executors.base import Job, run_job

    def broken(*args: object, **kw: object) -> VerifiedEvidence:
        raise getattr(grader.errors, exc)("it broke")

    monkeypatch.setattr(grader.api, "run_submission", broken)
    (tmp_path / "hw.py").write_text("print(1)\n")
    job = Job(key="b" * 64, name="ann", label="ann/hw.py", root=str(tmp_path), entries=("hw.py",),
              folder_source=False, limits=Limits(), kind="script")
    verified = run_job(job)
    assert verified.evidence.run.status == RunStatus.NOT_RUN and verified.evidence.submission.kind == "script"
    [fault] = verified.faults
    assert (fault.phase, fault.culprit, fault.kind, fault.subject) == (phase, culprit, exc, "hw.py")
    result = grade(verified, KERAS)
    assert result.status == GradeStatus.ERROR and result.grader_faults == [fault]
