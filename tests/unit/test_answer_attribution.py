"""Answers come from the student's own words, in the part of the notebook about the model asked after.

The notebook below is laid out the way students write it: a large network built and summarised, a
question answered in markdown, the network trained; then a small network. Its stored outputs are the
student's own run (Keras 2 on their machine: 20 s epochs); the re-run's printed lines are the grader's.
"""

from __future__ import annotations

from typing import Any

import evidence_factory as f

from grader.checks.base import Outcome
from grader.checks.context import GradeContext
from grader.checks.noise import ReviewReason
from grader.checks.questions import check_question, true_values
from grader.evidence.stored_outputs import notebook_record
from grader.rubric.criteria import QuestionCriterion

BIG_SUMMARY = '''Model: "big"
_________________________________________________________________
 Layer (type)                Output Shape              Param #   
=================================================================
 dense (Dense)               (None, 512)               401920    
                                                                 
 dense_1 (Dense)             (None, 10)                5130      
                                                                 
=================================================================
Total params: 407,050
Trainable params: 407,050
Non-trainable params: 0
_________________________________________________________________
'''


def log(*val_acc: float, seconds: int) -> str:
    lines = []
    for i, v in enumerate(val_acc, 1):
        lines += [f"Epoch {i}/{len(val_acc)}",
                  f"1688/1688 [==============================] - {seconds}s 12ms/step - loss: 0.3000 - "
                  f"accuracy: {v + 0.01:.4f} - val_loss: 0.2000 - val_accuracy: {v:.4f}"]
    return "\n".join(lines) + "\n"


def out(text: str) -> list[dict[str, Any]]:
    return [{"output_type": "stream", "name": "stdout", "text": text}] if text else []


def notebook(answers: dict[int, str], stored: dict[int, str], *, rerun: dict[int, str] | None = None) -> dict:
    """Cells 1 (build + summary), 3 (train big), 5 (build and train small); markdown at 0, 2, 4, 6."""
    cells: list[dict[str, Any]] = []
    for i in range(7):
        if i % 2 == 0:
            cells.append({"cell_type": "markdown", "source": answers.get(i, "")})
        else:
            cells.append({"cell_type": "code", "source": "...",
                          "outputs": out((rerun if rerun is not None else stored).get(i, ""))})
    return {"cells": cells}


EVENTS = [{"event": "cell_start", "index": 1}, {"event": "cell_start", "index": 3},
          {"event": "compile", "model": {"id": "m1"}}, {"event": "fit", "model": {"id": "m1"}},
          {"event": "cell_start", "index": 5}, {"event": "compile", "model": {"id": "m2"}},
          {"event": "fit", "model": {"id": "m2"}}]
STORED = {1: BIG_SUMMARY, 3: log(0.9605, 0.9705, seconds=20), 5: log(0.9502, 0.9611, seconds=9)}
# The grader's re-run: same code, another draw of the training, on a faster machine.
RERUN = {1: BIG_SUMMARY, 3: log(0.93, 0.94, seconds=3), 5: log(0.95, 0.96, seconds=1)}


def context(answers: dict[int, str], *, stored: dict[int, str] | None = None, rerun: dict[int, str] | None = None,
            attributed: bool = True) -> GradeContext:
    big = f.dense_model("m1", [512], val_acc=0.94, seconds=1.5)      # 407,050 params
    small = f.dense_model("m2", [32], val_acc=0.96, seconds=0.5)     # 25,450 params
    ev = f.evidence([big, small], markdown="\n\n".join(answers.values()))
    if attributed:
        submitted = notebook(answers, STORED if stored is None else stored)
        executed = notebook(answers, {}, rerun=RERUN if rerun is None else rerun)
        ev = ev.model_copy(update={"notebook": notebook_record(EVENTS, ev.models, submitted=submitted,
                                                               executed=executed)})
    return GradeContext.build(f.verify(ev))


def ask(ctx: GradeContext, slot_model: str, **kw: Any):
    q = QuestionCriterion.model_validate({"id": "q", "slot": "s", **kw})
    return check_question(q, ctx, ctx.model(slot_model))


def test_a_number_about_the_big_network_does_not_answer_for_the_small_one() -> None:
    answers = {4: "The big network reached 96.05% validation accuracy."}
    question = {"answer": "accuracy", "split": "validation", "near": ["val"]}
    # Without a notebook layout (a script), the number is within 0.02 of the small network's 0.96 ...
    assert ask(context(answers, attributed=False), "m2", **question).outcome == Outcome.PASSED
    # ... but it sits after the big network's training and before the small one's: it is about the big one.
    res = ask(context(answers), "m2", **question)
    assert res.outcome == Outcome.FAILED and "in its part of the notebook" in res.message
    assert ask(context({6: "The small one: 96.05% on validation."}), "m2", **question).outcome == Outcome.PASSED
    # A rubric whose exercise collects the answers in one place says so.
    assert ask(context(answers), "m2", anywhere=True, **question).outcome == Outcome.PASSED


def test_answer_between_summary_and_training_belongs_to_the_summarised_model() -> None:
    answers = {2: "How many trainable parameters? The big network has 407,050.", 6: "The small one has 25,450."}
    res = ask(context(answers), "m1", answer="trainable_params", near=["param"])
    assert res.outcome == Outcome.PASSED
    assert res.answer is not None
    assert (res.answer.cell_index, res.answer.source, res.answer.text) == (2, "markdown", "407,050")
    assert res.answer.excerpt == "How many trainable parameters? The big network has 407,050."
    assert ask(context(answers), "m2", answer="trainable_params").outcome == Outcome.PASSED
    # The small network's count is not looked for in the big network's part.
    assert ask(context({2: "The small one has 25,450 parameters."}), "m2",
               answer="trainable_params").outcome == Outcome.FAILED


def test_a_notebook_whose_only_numbers_are_keras_output_answers_nothing() -> None:
    ctx = context({0: "# Homework 1", 2: "Here is the big network.", 4: "", 6: "Done."})
    for mid, kw in [("m1", {"answer": "trainable_params", "near": ["param"]}),
                    ("m1", {"answer": "total_params"}),
                    ("m1", {"answer": "accuracy", "split": "validation", "near": ["val"]}),
                    ("m2", {"answer": "accuracy", "split": "validation"}),
                    ("m1", {"answer": "epochs"}),
                    ("m1", {"answer": "seconds_per_epoch"})]:
        res = ask(ctx, mid, **kw)
        assert res.outcome == Outcome.FAILED, (mid, kw, res.message)
        assert res.answer is None


def test_printed_lines_of_the_students_code_answer_in_their_cell() -> None:
    rerun = dict(RERUN)
    rerun[5] = RERUN[5] + "small network: validation accuracy 0.9600\n"
    res = ask(context({}, rerun=rerun), "m2", answer="accuracy", split="validation", sources=["printed"])
    assert res.outcome == Outcome.PASSED
    assert (res.answer.cell_index, res.answer.source, res.answer.run) == (5, "printed", "rerun")
    assert res.answer.where() == "what cell 5 printed in the grader's run"
    assert res.message.startswith("stated 0.9600 in what cell 5 printed in the grader's run; it matches")
    # The same line in the big network's cell says nothing about the small one.
    rerun = dict(RERUN)
    rerun[3] = RERUN[3] + "small network: validation accuracy 0.9600\n"
    assert ask(context({}, rerun=rerun), "m2", answer="accuracy", split="validation",
               sources=["printed"]).outcome == Outcome.FAILED


def test_the_students_own_run_counts_for_accuracy_and_time() -> None:
    ctx = context({4: "Validation accuracy 97.05%, about 20 seconds per epoch on Colab."})
    # 97.05% is what the student's run showed (the re-run reached 0.94): a fair answer about their model.
    assert ask(ctx, "m1", answer="accuracy", split="validation", near=["val"]).outcome == Outcome.PASSED
    # Time is judged against the student's machine: their log shows 20 s epochs, the re-run 1.5 s.
    assert ask(ctx, "m1", answer="seconds_per_epoch", near=["sec"]).outcome == Outcome.PASSED
    q = QuestionCriterion.model_validate({"id": "q", "slot": "s", "answer": "seconds_per_epoch"})
    stored = ctx.evidence.notebook.stored
    assert true_values(q, ctx.model("m1"), stored) == [20.0, 20.0]
    assert true_values(q, ctx.model("m1")) == [1.5, 1.5]
    fast = context({4: "Each epoch took 1.5 seconds."})
    assert ask(fast, "m1", answer="seconds_per_epoch", near=["sec"]).outcome == Outcome.FAILED


def test_stored_answer_lines_are_the_students_and_keep_their_place() -> None:
    stored = dict(STORED)
    stored[3] = STORED[3] + "Big network, final validation accuracy: 0.9705\n"
    res = ask(context({}, stored=stored), "m1", answer="accuracy", split="validation", sources=["printed"])
    assert res.outcome == Outcome.PASSED
    assert (res.answer.cell_index, res.answer.run, res.answer.text) == (3, "stored", "0.9705")
    assert res.answer.where() == "the stored output of cell 3"


def test_assembly_reads_the_notebook_by_cell(tmp_path) -> None:
    import json

    from grader.evidence.assembly import assemble
    from grader.evidence.model import Isolation, Limits
    from grader.intake.submission import Submission
    from grader.sandbox.runner import SandboxResult

    out = tmp_path / "out"
    out.mkdir()
    answers = {2: "It has 407,050 trainable parameters."}
    (tmp_path / "hw.ipynb").write_text(json.dumps(notebook(answers, STORED)))
    (out / "executed.ipynb").write_text(json.dumps(notebook(answers, {}, rerun=RERUN)))
    snap = {"id": "m1", "name": "big", "class_name": "Sequential", "framework": "keras", "kind": "sequential",
            "params": {"total": 407050, "trainable": 407050, "non_trainable": 0, "weights": 406528, "biases": 522}}
    events = [{"event": "cell_start", "index": 1}, {"event": "cell_start", "index": 3},
              {"event": "compile", "model": snap}, {"event": "fit", "model": snap, "fit": {"index": 0}},
              {"event": "run_end", "status": "ok"}]
    (out / "events.jsonl").write_text("\n".join(json.dumps(e) for e in events))
    res = SandboxResult(run_dir=tmp_path, out_dir=out, isolation=Isolation.BWRAP, notes=[], returncode=0,
                        timed_out=False, output_exceeded=False, disk_exceeded=False, oom_killed=False, duration_s=1.0,
                        stdout_head="", log_tail="", output_bytes=0, peak_memory_mb=None, leftover_processes=0)
    ev = assemble(Submission(tmp_path / "hw.ipynb", "notebook", "0" * 64, 10), res, Limits())
    nb = ev.notebook
    assert nb is not None
    assert [(t.cell_index, t.action) for t in nb.touches] == [(1, "summary"), (3, "compile"), (3, "fit")]
    assert [(p.cell_index, p.source) for p in nb.passages] == [(2, "markdown")]  # Keras output is nobody's words
    # Cell 5's log stays unattached: the re-run never trained a model there, and guessing could hand the
    # small network's figures to the big one.
    assert nb.stored is not None and [f.model_id for f in nb.stored.fits] == ["m1", None]
    assert nb.stored.fits[0].epoch_seconds == [20.0, 20.0]
    # A script has no cells: its evidence has no notebook record.
    script = assemble(Submission(tmp_path / "a.py", "script", "0" * 64, 10), res, Limits())
    assert script.notebook is None or script.notebook.stored is None


RUBRIC = """
id: stored-run
title: One network
version: "1"
slots:
  - id: net
    title: The network
    match: {hidden_layers: "==1"}
    metrics:
      - {id: net.val, metric: accuracy, split: validation, expect: ">0.92", points: 3}
questions:
  - {id: net.q.params, slot: net, answer: trainable_params, near: [param], points: 2}
"""


def graded(stored_val: float, rerun_val: float, answers: dict[int, str]):
    from grader.grading.grade import grade
    from grader.rubric.loader import parse_rubric

    m = f.dense_model("m1", [512], val_acc=rerun_val)
    ev = f.evidence([m])
    submitted = notebook(answers, {1: BIG_SUMMARY, 3: log(stored_val - 0.01, stored_val, seconds=20)})
    executed = notebook(answers, {}, rerun=RERUN)
    events = [e for e in EVENTS if e.get("model", {}).get("id") != "m2"]
    ev = ev.model_copy(update={"notebook": notebook_record(events, [m], submitted=submitted, executed=executed)})
    return grade(f.verify(ev), parse_rubric(RUBRIC))


def test_graded_result_shows_the_stored_run_and_where_the_answer_was() -> None:
    result = graded(0.9205, 0.9187, {4: "The network has 407,050 trainable parameters."})
    metric = result.criterion("net.val")
    assert metric is not None and metric.run_comparison is not None
    # The verdict is the re-run's (0.9187 misses '> 0.92'); the student's 0.9205 is shown beside it, flagged.
    assert metric.outcome == Outcome.FAILED and metric.run_comparison.crosses_bar
    assert ReviewReason.STORED_RUN in metric.review_reasons
    assert ("your notebook showed validation accuracy 0.9205; the grader's re-run reached 0.9187; the bar (> 0.92)"
            in metric.message)
    question = result.criterion("net.q.params")
    assert question is not None and question.outcome == Outcome.PASSED
    assert question.answer_source is not None and question.answer_source.cell_index == 4
    assert "the markdown of cell 4" in question.message
    # Both runs clear the bar: shown, not flagged.
    calm = graded(0.9505, 0.9487, {}).criterion("net.val")
    assert calm is not None and calm.outcome == Outcome.PASSED
    assert calm.run_comparison is not None and not calm.run_comparison.crosses_bar
    assert ReviewReason.STORED_RUN not in calm.review_reasons
