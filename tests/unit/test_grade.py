"""Grading end to end on evidence built in Python: scores, statuses, quick mode, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import evidence_factory as f
import pytest
from click.testing import CliRunner

import grader.api as api
import grader.cli.check as check_cli
import grader.cli.rubric as cli
from grader.checks.base import QUICK_MESSAGE, Outcome
from grader.evidence.model import RunStatus
from grader.grading.grade import grade
from grader.grading.result import GradeResult, GradeStatus
from grader.render.audience import for_audience
from grader.render.terminal import render_summary
from grader.rubric.loader import load_rubric, parse_rubric
from grader.verify.verified import VerificationStatus

ROOT = Path(__file__).resolve().parents[2]
KERAS = load_rubric(ROOT / "rubrics" / "nn-basics-keras.yaml")
TENSORFLOW = load_rubric(ROOT / "rubrics" / "nn-basics-tensorflow.yaml")
TRAINING_DEPENDENT = {"general.epochs", "three.best.validation", "three.best.test", "one.big.q.val_acc",
                      "one.big.q.seconds", "one.small.q.val_acc", "one.small.q.seconds"}


def outcomes(result: GradeResult) -> dict[str, Outcome]:
    return {c.id: c.outcome for c in result.criteria}


def test_a_good_submission_earns_full_marks() -> None:
    result = grade(f.nn_basics_evidence(), KERAS)
    assert set(outcomes(result).values()) == {Outcome.PASSED}
    assert (result.score, result.max_score, result.percent, result.status) == (100, 100, 100, GradeStatus.PASSED)
    assert result.exit_code == 0
    assert result.outcome_counts == {"passed": 29, "failed": 0, "error": 0, "skipped": 0}
    assert {s.slot: s.model_id for s in result.slots} == {
        "one.big": "m1", "one.small": "m2", "two.tiny": "m3", "two.narrow": "m4", "two.wide": "m5", "three.best": "m6"}
    assert result.rubric.sha256 == KERAS.sha256 and result.rubric.id == "nn-basics-keras"
    assert result.criterion("three.best.test").figure_status.value == "verified"
    assert [p.score for p in result.parts] == [30, 34, 24, 12]


def test_result_is_json_serialisable_and_round_trips() -> None:
    result = grade(f.nn_basics_evidence(), KERAS)
    data = json.loads(result.model_dump_json())
    assert data["schema_version"] == 1 and data["status"] == "passed"
    assert data["evidence"]["evidence"]["models"][0]["id"] == "m1"
    assert GradeResult.model_validate_json(result.model_dump_json()) == result


def test_quick_mode_skips_what_needs_full_training() -> None:
    result = grade(f.nn_basics_evidence(), KERAS, quick=True)
    skipped = {c.id for c in result.criteria if c.outcome == Outcome.SKIPPED}
    assert skipped == TRAINING_DEPENDENT
    assert all(c.message == QUICK_MESSAGE and c.points == 0 for c in result.criteria if c.id in skipped)
    assert result.status == GradeStatus.PASSED and result.max_score == 100 - result.skipped_points
    assert "quick mode: 7 criteria not checked" in render_summary(result)


def test_quick_mode_still_decides_structure() -> None:
    models = f.nn_basics_models()
    models[0] = f.dense_model("m1", [380], activation="relu", name="big", epochs=1)
    result = grade(f.verify(f.evidence(models, markdown=f.NN_BASICS_MARKDOWN)), KERAS, quick=True)
    assert outcomes(result)["general.sigmoid"] == Outcome.FAILED
    assert outcomes(result)["general.epochs"] == Outcome.SKIPPED


def test_crashed_run_fails_with_reasons_not_errors() -> None:
    models = f.nn_basics_models()[:2]
    ev = f.evidence(models, status=RunStatus.CRASHED, message="NameError: name 'x_val' is not defined")
    result = grade(f.verify(ev), KERAS)
    assert result.status == GradeStatus.FAILED and result.exit_code == 1
    assert result.outcome_counts["error"] == 0
    best = result.criterion("three.best.validation")
    assert best.outcome == Outcome.FAILED and "x_val" in best.message
    assert "no model fits this slot" in result.criterion("two.tiny").message


def test_verifier_failure_makes_the_grade_incomplete() -> None:
    ev = f.nn_basics_evidence()
    broken = f.verify(ev.evidence, status={"m6": VerificationStatus.ERROR}, message="worker died")
    result = grade(broken, KERAS)
    assert outcomes(result)["three.best.validation"] == Outcome.ERROR
    assert result.status == GradeStatus.ERROR and result.exit_code == 3


def test_a_grader_fault_is_an_error_everywhere_it_matters() -> None:
    result = grade(f.not_run("bubblewrap is not installed"), KERAS)
    assert result.status == GradeStatus.ERROR and result.exit_code == 3
    assert outcomes(result)["general.sgd"] == Outcome.ERROR


def test_feedback_only_on_failures_and_partial_credit() -> None:
    models = f.nn_basics_models()
    models[0] = f.dense_model("m1", [200], name="big")  # single hidden layer but too few parameters
    result = grade(f.verify(f.evidence(models, markdown=f.NN_BASICS_MARKDOWN)), KERAS)
    big = result.criterion("one.big")
    assert big.outcome == Outcome.FAILED and big.points == 4  # proportional: 1 of 2 constraints
    assert "trainable parameters (needs >= 300,000)" in big.message and "380 units" in big.feedback
    assert result.criterion("general.sgd").feedback == ""


def test_hidden_and_bonus_criteria() -> None:
    rubric = parse_rubric("""
id: h
title: H
version: "1"
requirements:
  - {id: sgd, title: SGD, optimizer: sgd, points: 2, hidden: true, feedback: use SGD}
  - {id: adam, title: Adam, optimizer: adam, points: 3, bonus: true}
""")
    result = grade(f.verify(f.evidence([f.dense_model("m1", [10], optimizer="RMSprop")])), rubric)
    sgd, adam = result.criterion("sgd"), result.criterion("adam")
    assert sgd.hidden and sgd.outcome == Outcome.FAILED and adam.bonus
    assert result.max_score == 2
    text = render_summary(for_audience(result, "student"))
    assert "Hidden criterion" in text and "use SGD" not in text and "rmsprop" not in text.split("Adam")[0]
    ok = grade(f.verify(f.evidence([f.dense_model("m1", [10])])), rubric)
    assert ok.status == GradeStatus.PASSED and ok.score == 2  # a failed bonus fails nothing


def test_tensorflow_bonus() -> None:
    models = f.nn_basics_models() + [f.dense_model("m7", [64], epochs=50, name="simple50")]
    figures = [f.FigureRecord(index=9, axes=[f.AxesInfo(title="Confusion matrix", images=[[10, 10]])])]
    result = grade(f.verify(f.evidence(models, figures=figures, markdown=f.NN_BASICS_MARKDOWN)), TENSORFLOW)
    assert outcomes(result)["bonus.confusion"] == Outcome.PASSED
    assert outcomes(result)["bonus.simple50"] == Outcome.PASSED
    assert outcomes(result)["bonus.simple20"] == Outcome.FAILED
    assert result.status == GradeStatus.FAILED  # the curves: no figure with two lines here
    assert result.score > 100 - 10 and result.max_score == 100


def fake_api(monkeypatch: pytest.MonkeyPatch, verified, calls: list | None = None) -> None:
    def run_submission(path, **kw):
        if calls is not None:
            calls.append((Path(path), kw))
        return verified(Path(path)) if callable(verified) else verified

    monkeypatch.setattr(api, "run_submission", run_submission)  # the sandbox, faked; the rest is real
    monkeypatch.setattr(api, "default_cpus", lambda: 2)


def test_check_command_exit_codes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sub = tmp_path / "hw.ipynb"
    sub.write_text("{}")
    runner = CliRunner()
    calls: list = []
    fake_api(monkeypatch, f.nn_basics_evidence(), calls)
    res = runner.invoke(check_cli.check_command, [str(sub), "--rubric", "nn-basics-keras"])
    assert res.exit_code == 0, res.output
    assert "Score 100/100" in res.output and "Part one: a single hidden layer" in res.output
    assert calls[0][1]["limits"].timeout_s == 3600 and calls[0][1]["limits"].cpus == 2
    res = runner.invoke(check_cli.check_command, [str(sub), "--rubric", "nn-basics-keras", "--json", "--quick"])
    assert res.exit_code == 0 and json.loads(res.output)["quick"] is True and calls[-1][1]["quick"] is True

    fake_api(monkeypatch, f.verify(f.evidence([f.dense_model("m1", [10], optimizer="Adam")])))
    res = runner.invoke(check_cli.check_command, [str(sub), "--rubric", str(ROOT / "rubrics" / "nn-basics-keras.yaml")])
    assert res.exit_code == 1 and "-> Compile with optimizer='sgd'" in res.output

    fake_api(monkeypatch, f.not_run("no bwrap"))
    assert runner.invoke(check_cli.check_command, [str(sub), "--rubric", "nn-basics-keras"]).exit_code == 3

    res = runner.invoke(check_cli.check_command, [str(sub), "--rubric", "nn-basics-kears"])
    assert res.exit_code == 2 and "did you mean 'nn-basics-keras'?" in res.output


def test_rubric_test_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ref = tmp_path / "reference" / "nn-basics-keras"
    (ref / "variants" / "adam").mkdir(parents=True)
    (ref / "solution.ipynb").write_text("{}")
    (ref / "variants" / "adam" / "hw.py").write_text("")
    (ref / "variants" / "adam" / "expect.yaml").write_text("breaks: [general.sgd]\n")
    (ref / "variants" / "relu.py").write_text("")
    (ref / "variants" / "relu.expect.yaml").write_text("breaks: [general.sigmoid, general.sgd]\n")

    def run(path: Path):
        models = f.nn_basics_models()
        if path.parent.name == "adam":
            models[1] = f.dense_model("m2", [50], optimizer="Adam", val_acc=0.895, seconds=1.2, name="small")
        if path.name == "relu.py":
            models[5] = f.dense_model("m6", [256, 128, 64], activation="relu", epochs=40, val_acc=0.95, test_acc=0.95)
        return f.verify(f.evidence(models, figures=[f.curves(models[0])], markdown=f.NN_BASICS_MARKDOWN))

    fake_api(monkeypatch, run)
    runner = CliRunner()
    res = runner.invoke(cli.rubric_group, ["test", "nn-basics-keras", "--reference", str(ref)])
    assert res.exit_code == 1, res.output  # relu.py declares general.sgd but does not break it
    lines = {line.split()[0]: line for line in res.output.splitlines()[1:]}
    assert lines["reference"].endswith("ok") and lines["adam"].endswith("ok")
    assert "MISMATCH" in lines["relu"]
    (ref / "variants" / "relu.expect.yaml").write_text("breaks: [general.sigmoid]\n")
    assert runner.invoke(cli.rubric_group, ["test", "nn-basics-keras", "--reference", str(ref)]).exit_code == 0
    missing = runner.invoke(cli.rubric_group, ["test", "nn-basics-keras", "--reference", str(tmp_path / "none")])
    assert missing.exit_code == 2
