"""Grading hand-written TensorFlow loops: judged where the evidence can tell, skipped with a reason otherwise."""

from __future__ import annotations

from pathlib import Path

import evidence_factory as f
from loop_factory import loop, var

from grader.checks.base import Outcome
from grader.checks.loopfacts import PREFIX
from grader.evidence.model import Evidence
from grader.grading.grade import grade
from grader.render.loops import loop_judgements
from grader.grading.result import GradeResult, GradeStatus
from grader.render.terminal import render_summary
from grader.render.html.report import render_report
from grader.rubric.loader import load_rubric, parse_rubric

ROOT = Path(__file__).resolve().parents[2]
KERAS = load_rubric(ROOT / "rubrics" / "nn-basics-keras.yaml")

RUBRIC = parse_rubric("""
id: low
title: Low-level
version: "1"
requirements:
  - {id: sigmoid, hidden_activation: sigmoid, points: 2}
  - {id: sgd, optimizer: sgd, points: 2}
  - {id: loss, loss: categorical_crossentropy, points: 2}
slots:
  - id: big
    title: One hidden layer, 300,000+ parameters
    points: 4
    match: {hidden_layers: "==1", trainable_params: ">=300000"}
    require:
      - {id: big.trained, trained: true}
      - {id: big.lr, learning_rate: ">=0.01"}
      - {id: big.act, output_activation: softmax}
      - {id: big.arch, architecture: [{kind: Dense, units: ">=300"}, {kind: Dense, units: "==10"}]}
    metrics:
      - {id: big.val, metric: accuracy, split: validation, expect: ">0.9"}
  - id: deep
    title: Three hidden layers, relu
    points: 3
    match: {hidden_layers: ">=3", hidden_activation: relu}
artifacts:
  - {id: curves, artifact: training_curves, slot: big, require_history_match: true}
  - {id: saved, artifact: saved_model, slot: big}
questions:
  - {id: q.params, slot: big, answer: trainable_params}
  - {id: q.weights, slot: big, answer: weights, near: [weight]}
  - {id: q.acc, slot: big, answer: accuracy, split: validation}
  - {id: q.epochs, slot: big, answer: epochs}
""")


def graded(loops: list, models: list | None = None, markdown: str = "") -> GradeResult:
    ev = f.evidence(models or [], markdown=markdown)
    ev = Evidence(**{**ev.__dict__, "custom_training": loops})
    return grade(f.verify(ev), RUBRIC)


def by_id(result: GradeResult) -> dict:
    return {c.id: c for c in result.criteria}


def test_a_loop_fills_a_slot_on_what_its_shapes_show() -> None:
    big = loop("t1", [784, 380, 10])
    result = graded([big], markdown="It has 302,110 trainable parameters and 301,720 weights.")
    c = by_id(result)
    assert {s.slot: s.model_id for s in result.slots}["big"] == "t1"
    for judged in ("big", "big.trained", "big.lr", "big.arch", "sgd", "q.params", "q.weights"):
        assert c[judged].outcome == Outcome.PASSED, (judged, c[judged].message)
    assert "1 hidden layer" in c["big"].message and "302,110 trainable parameters" in c["big"].message


def test_what_a_loop_cannot_show_is_skipped_with_a_plain_reason_never_passed() -> None:
    result = graded([loop("t1", [784, 380, 10])])
    c = by_id(result)
    reasons = {
        "sigmoid": "activations are not recorded", "loss": "the loss function is not recorded",
        "big.act": "activations are not recorded", "big.val": "no verified forward pass",
        "curves": "no fit history", "saved": "no Keras model to save", "q.acc": "no verified forward pass",
        "q.epochs": "epochs are not recorded",
    }
    for cid, words in reasons.items():
        assert c[cid].outcome == Outcome.SKIPPED, (cid, c[cid].outcome, c[cid].message)
        assert PREFIX in c[cid].message and words in c[cid].message, c[cid].message
        assert c[cid].points == 0
    assert result.status == GradeStatus.FAILED  # the deep slot stays empty: a real failure, judged
    assert result.skipped_points == sum(c[cid].max_points for cid in reasons)  # they leave the maximum
    assert result.max_score == RUBRIC.max_score - result.skipped_points


def test_a_slot_matched_on_an_unknown_activation_is_filled_but_its_criterion_skipped() -> None:
    deep = loop("t2", [784, 64, 64, 64, 10])
    result = graded([deep])
    slot = by_id(result)["deep"]
    assert {s.slot: s.model_id for s in result.slots}["deep"] == "t2"
    assert slot.outcome == Outcome.SKIPPED and "activations are not recorded" in slot.message
    assert "judged and met: 3 hidden layers" in slot.message


def test_a_judged_constraint_that_fails_still_fails() -> None:
    shallow = loop("t2", [784, 64, 10])  # one hidden layer where the slot needs three; activation unknown
    rubric_result = graded([shallow])
    assert {s.slot: s.model_id for s in rubric_result.slots}["deep"] is None  # no judged constraint is met
    wrong_opt = loop("t1", [784, 380, 10], optimizer="Adam")
    c = by_id(graded([wrong_opt]))
    assert c["sgd"].outcome == Outcome.FAILED and "adam" in c["sgd"].message


def test_a_hand_written_update_has_no_optimizer_to_judge() -> None:
    manual = loop("t1", [784, 380, 10], optimizer=None)
    c = by_id(graded([manual]))
    assert c["sgd"].outcome == Outcome.SKIPPED and "no optimizer object was used" in c["sgd"].message
    assert c["big.lr"].outcome == Outcome.SKIPPED
    assert c["big"].outcome == Outcome.PASSED  # layers and parameters are still judged


def test_a_keras_model_that_meets_a_slot_is_preferred_over_an_equal_loop() -> None:
    keras = f.dense_model("m1", [64, 64, 64], activation="relu")
    result = graded([loop("t1", [784, 64, 64, 64, 10])], models=[keras])
    assert {s.slot: s.model_id for s in result.slots}["deep"] == "m1"
    assert by_id(result)["deep"].outcome == Outcome.PASSED


def test_requirements_are_skipped_only_when_nothing_judged_fails() -> None:
    keras_ok = f.dense_model("m1", [380])
    c = by_id(graded([loop("t1", [784, 380, 10])], models=[keras_ok]))
    assert c["sigmoid"].outcome == Outcome.SKIPPED and "for 1 of 2 model(s)" in c["sigmoid"].message
    assert "the other 1 comply" in c["sigmoid"].message
    keras_bad = f.dense_model("m1", [380], activation="relu")
    c = by_id(graded([loop("t1", [784, 380, 10])], models=[keras_bad]))
    assert c["sigmoid"].outcome == Outcome.FAILED and "m1" in c["sigmoid"].message


def test_layers_not_fully_inferred_are_not_judged() -> None:
    variables = [var(0, "conv", 3, 3, 1, 8), var(1, "cb", 8), var(2, "W", 1352, 10), var(3, "b", 10)]
    result = graded([loop("t1", [], variables=variables)])
    closest = by_id(result)["big"]
    assert closest.outcome == Outcome.FAILED  # no model met a judged constraint of the slot
    assert result.slots[0].model_id is None


def test_an_untrained_loop_is_not_a_model() -> None:
    idle = loop("t1", [784, 380, 10]).model_copy(update={"steps": 0, "gradient_calls": 0})
    result = graded([idle])
    assert all(s.model_id is None for s in result.slots)


def test_the_keras_rubric_grades_a_loop_only_submission_honestly() -> None:
    ev = f.evidence([], markdown=f.NN_BASICS_MARKDOWN)
    loops = [loop("t1", [784, 380, 10]), loop("t2", [784, 50, 10]), loop("t3", [784] + [8] * 10 + [10]),
             loop("t4", [784] + [32] * 10 + [10]), loop("t5", [784] + [64] * 10 + [10]),
             loop("t6", [784, 256, 128, 64, 10])]
    result = grade(f.verify(Evidence(**{**ev.__dict__, "custom_training": loops})), KERAS)
    assert {s.slot: s.model_id for s in result.slots} == {
        "one.big": "t1", "one.small": "t2", "two.tiny": "t3", "two.narrow": "t4", "two.wide": "t5", "three.best": "t6"}
    outcomes = {c.id: c.outcome for c in result.criteria}
    assert Outcome.PASSED in outcomes.values() and Outcome.SKIPPED in outcomes.values()
    for c in result.criteria:
        if c.outcome == Outcome.SKIPPED:
            assert PREFIX in c.message, (c.id, c.message)
            assert c.not_judged is not None and c.not_judged.reasons, c.id  # the decision is typed, not in the words
            assert set(c.not_judged.model_ids) <= {t.id for t in loops}
    assert outcomes["general.sigmoid"] == outcomes["general.loss"] == Outcome.SKIPPED
    assert outcomes["general.sgd"] == Outcome.PASSED


def test_reports_say_what_was_and_was_not_judged_for_a_loop() -> None:
    result = graded([loop("t1", [784, 380, 10])])
    [j] = loop_judgements(result)
    assert "big" in j.slots
    assert {c.id for c in j.not_judged} >= {"big.act", "big.val", "sigmoid", "loss"}
    assert {c.id for c in j.judged} >= {"big", "big.trained", "big.lr"}
    # Renderers read the typed field: reworded messages change nothing.
    reworded = result.model_copy(update={"criteria": [c.model_copy(update={"message": "reworded"})
                                                      for c in result.criteria]})
    [again] = loop_judgements(reworded)
    assert [c.id for c in again.not_judged] == [c.id for c in j.not_judged]
    assert all("t1" in c.not_judged.model_ids for c in j.not_judged if c.not_judged is not None)
    text = render_summary(result)
    assert "Hand-written training loop t1 (fills big)" in text
    assert "not judged: big.act" in text and "784 -> 380 -> 10" in text
    html = render_report(result)
    assert "Hand-written training loops" in html and "Could not be judged for this loop" in html
    assert "activations are not recorded" in html and 'id="model-t1"' in html


def test_a_count_that_loops_could_make_up_is_skipped_and_one_they_cannot_fails() -> None:
    rubric = parse_rubric("""
id: count
title: Count
version: "1"
counts:
  - {id: deep3, count: ">=3", hidden_layers: ">=10", hidden_activation: sigmoid}
  - {id: wide2, count: ">=2", hidden_layers: ">=10", units: ">=50"}
""")
    loops = [loop(f"t{i}", [784] + [n] * 10 + [10]) for i, n in enumerate((8, 32, 64), start=1)]
    ev = f.evidence([f.dense_model("m1", [8] * 10)])
    result = grade(f.verify(Evidence(**{**ev.__dict__, "custom_training": loops})), rubric)
    deep3, wide2 = result.criterion("deep3"), result.criterion("wide2")
    assert deep3.outcome == Outcome.SKIPPED and "2 more could count" not in deep3.message
    assert "3 more could count" in deep3.message and "activations are not recorded" in deep3.message
    assert wide2.outcome == Outcome.FAILED and "1 models meet it (t3)" in wide2.message


def test_grader_run_lists_the_loops() -> None:
    from grader.render.run_summary import render_run

    ev = f.evidence([])
    text = render_run(f.verify(Evidence(**{**ev.__dict__, "custom_training": [loop("t1", [784, 380, 10])]})))
    assert "hand-written training loops: 1 (not verified: no forward pass)" in text
    assert "t1 784 -> 380 -> 10; SGD; 300 steps; weights custom/t1.npz" in text
