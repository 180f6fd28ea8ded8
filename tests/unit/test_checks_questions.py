"""Questions: numbers as students write them, compared with the true value from the evidence."""

from __future__ import annotations

import evidence_factory as f
import pytest

from grader.checks.base import QUICK_MESSAGE, Outcome
from grader.checks.context import GradeContext
from grader.checks.numbers import find_numbers, readings
from grader.checks.questions import check_question, truth_detail
from grader.rubric.criteria import QuestionCriterion


@pytest.mark.parametrize("text,value,percent", [
    ("238,510", 238510, False), ("238510", 238510, False), ("97.3%", 97.3, True), ("97.3 %", 97.3, True),
    ("0.973", 0.973, False), ("2.4e5", 240000, False), ("238_510", 238510, False),
    ("238\u202f510", 238510, False), ("97,3 %", 97.3, True), ("1,234.5", 1234.5, False), (".97", 0.97, False),
])
def test_number_spellings(text: str, value: float, percent: bool) -> None:
    [n] = find_numbers(f"answer: {text}.")
    assert n.value == pytest.approx(value) and n.percent == percent


def test_numbers_inside_words_and_lists() -> None:
    assert [n.value for n in find_numbers("conv2d m1 layer")] == []
    assert [n.value for n in find_numbers("sizes 1,2,3 and 10 300")] == [1, 2, 3, 10, 300]


def test_readings() -> None:
    [pct] = find_numbers("97.3%")
    [bare] = find_numbers("97.3")
    assert readings(pct, fraction=True) == [pytest.approx(0.973)]
    assert readings(bare, fraction=True) == [97.3, pytest.approx(0.973)]
    assert readings(pct, fraction=False) == []  # a percentage is never a count or a duration


def q(**kw) -> QuestionCriterion:
    return QuestionCriterion.model_validate({"id": "q", "slot": "s", "answer": "trainable_params", **kw})


def ask(question: QuestionCriterion, markdown: str = "", printed: str = "", *, quick: bool = False, **model_kw):
    m = f.dense_model("m1", [380], **model_kw)  # 302,110 params: 301,720 weights, 390 biases
    ctx = GradeContext.build(f.verify(f.evidence([m], markdown=markdown, printed=printed)), quick=quick)
    return check_question(question, ctx, ctx.model("m1"))


@pytest.mark.parametrize("answer,text", [
    ("trainable_params", "It has 302,110 trainable parameters."),
    ("trainable_params", "params: 302110"),
    ("weights", "weights = 301 720 is wrong, 301,720 is right"),
    ("biases", "and 390 biases"),
    ("total_params", "Total params: 302,110 (1.15 MB)"),
])
def test_counts(answer: str, text: str) -> None:
    assert ask(q(answer=answer), text).outcome == Outcome.PASSED


@pytest.mark.parametrize("text", ["validation accuracy 91.2%", "val acc 0.912", "validation: 91.2", "0.905"])
def test_accuracy_forms_within_tolerance(text: str) -> None:
    res = ask(q(answer="accuracy", split="validation"), text, val_acc=0.912)
    assert res.outcome == Outcome.PASSED


def test_wrong_answer_does_not_reveal_the_truth() -> None:
    res = ask(q(), "It has 300,000 parameters.")
    assert res.outcome == Outcome.FAILED
    assert "300,000" in res.message and "302,110" not in res.message


def test_near_words_restrict_where_to_look() -> None:
    text = "I used 390 units.\n\nThe biases: 12."  # 390 is on another line, before the word
    assert ask(q(answer="biases", near=["bias"]), text).outcome == Outcome.FAILED
    assert ask(q(answer="biases"), text).outcome == Outcome.PASSED
    assert ask(q(answer="biases", near=["bias"]), "How many biases?\n\n390").outcome == Outcome.PASSED


def test_sources() -> None:
    printed = "The network has 302,110 trainable parameters"
    assert ask(q(sources=["markdown"]), printed=printed).outcome == Outcome.FAILED
    res = ask(q(sources=["printed"]), printed=printed)
    assert res.outcome == Outcome.PASSED
    assert res.answer is not None and res.answer.source == "printed" and res.answer.text == "302,110"


def test_keras_output_is_not_an_answer() -> None:
    # model.summary() printed it, not the student: the same number in their own line passes.
    summary = "Total params: 302,110\nTrainable params: 302,110\nNon-trainable params: 0"
    assert ask(q(sources=["printed"]), printed=summary).outcome == Outcome.FAILED
    log = "Epoch 10/10\n1688/1688 [==============================] - 5s 3ms/step - loss: 0.29 - val_accuracy: 0.9120"
    assert ask(q(answer="accuracy", split="validation", near=["val"]), printed=log, val_acc=0.912).outcome \
        == Outcome.FAILED
    assert ask(q(answer="accuracy", split="validation", near=["val"]), printed="val accuracy 0.912",
               val_acc=0.912).outcome == Outcome.PASSED


def test_seconds_per_epoch_within_a_factor() -> None:
    qs = q(answer="seconds_per_epoch", near=["sec"])
    assert ask(qs, "about 3 seconds per epoch", seconds=1.5).outcome == Outcome.PASSED
    assert ask(qs, "about 30 seconds per epoch", seconds=1.5).outcome == Outcome.FAILED
    assert ask(qs, "91.2% after a sec", seconds=1.0).outcome == Outcome.FAILED  # 91.2% is not 0.912 s


def test_quick_mode_skips_training_dependent_answers_only() -> None:
    assert ask(q(answer="accuracy", split="validation"), "0.9", quick=True).message == QUICK_MESSAGE
    assert ask(q(answer="seconds_per_epoch"), "1.5", quick=True).outcome == Outcome.SKIPPED
    assert ask(q(), "302,110", quick=True).outcome == Outcome.PASSED


def test_empty_slot_and_untrained_model() -> None:
    ctx = GradeContext.build(f.verify(f.evidence([])))
    assert check_question(q(), ctx, None).outcome == Outcome.FAILED
    res = ask(q(answer="seconds_per_epoch"), "1.5 sec", trained=False, epochs=0)
    assert res.outcome == Outcome.FAILED and "no seconds per epoch" in res.message


def test_truth_detail_for_instructors() -> None:
    ctx = GradeContext.build(f.verify(f.evidence([f.dense_model("m1", [380])])))
    assert truth_detail(q(), ctx.model("m1")) == "true value 302,110"
