"""Reading a notebook's stored outputs: Keras's summaries and logs of every version, apart from the student's words.

The Keras 3 fixtures are real: a 2-epoch fit of a 784-32-10 network run in a Jupyter kernel with this
project's TensorFlow, outputs copied chunk by chunk as nbformat stored them (the HTML twins of the rich
displays left out). The Keras 2 fixtures follow the shapes those versions print, including the
backspaces and carriage returns of a progress bar in Jupyter.
"""

from __future__ import annotations

import pytest

from grader.evidence.comparison import Bar, compare_runs, stored_figures
from grader.evidence.model import ModelRecord, ParamCounts
from grader.evidence.reported import ModelTouch, ReportedRun
from grader.evidence.stored_outputs import (attach, final_state, notebook_record, owners, parse_notebook,
                                            parse_outputs, parse_text, student_text, touches_from_events)

ESC = "\x1b"
BS = "\x08"


def stdout(*chunks: str) -> dict:
    return {"name": "stdout", "output_type": "stream", "text": list(chunks)}


def stderr(*chunks: str) -> dict:
    return {"name": "stderr", "output_type": "stream", "text": list(chunks)}


def display(*lines: str, kind: str = "display_data") -> dict:
    return {"output_type": kind, "data": {"text/plain": list(lines)}, "metadata": {}}


def k3_bar(step: str, filled: int, total_time: str, per_step: str, logs: str) -> str:
    """A Keras 3 progress line as it reaches the notebook: bold step count, green/grey bar, bold time."""
    return (f"{ESC}[1m{step}{ESC}[0m {ESC}[32m{'━' * filled}{ESC}[0m{ESC}[37m{'━' * (20 - filled)}{ESC}[0m "
            f"{ESC}[1m{total_time}{ESC}[0m {per_step} - {logs}")


# Cell 0: `model.summary()` of Keras 3 in Jupyter: rich displays, the TF start-up notices on stderr.
K3_SUMMARY = [
    stderr("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
           "I0000 00:00:1796578605.448609   23744 port.cc:153] oneDNN custom operations are on. You may see "
           "slightly different numerical results due to floating-point round-off errors.\n"),
    display(f'{ESC}[1mModel: "small"{ESC}[0m\n'),
    display("┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓\n",
            f"┃{ESC}[1m {ESC}[0m{ESC}[1mLayer (type)                   {ESC}[0m{ESC}[1m {ESC}[0m┃{ESC}[1m {ESC}[0m"
            f"{ESC}[1mOutput Shape          {ESC}[0m{ESC}[1m {ESC}[0m┃{ESC}[1m {ESC}[0m{ESC}[1m      Param #{ESC}[0m"
            f"{ESC}[1m {ESC}[0m┃\n",
            "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩\n",
            f"│ dense ({ESC}[38;5;33mDense{ESC}[0m)                   │ ({ESC}[38;5;45mNone{ESC}[0m, "
            f"{ESC}[38;5;34m32{ESC}[0m)             │        {ESC}[38;5;34m25,120{ESC}[0m │\n",
            "├─────────────────────────────────┼────────────────────────┼───────────────┤\n",
            f"│ dense_1 ({ESC}[38;5;33mDense{ESC}[0m)                 │ ({ESC}[38;5;45mNone{ESC}[0m, "
            f"{ESC}[38;5;34m10{ESC}[0m)             │           {ESC}[38;5;34m330{ESC}[0m │\n",
            "└─────────────────────────────────┴────────────────────────┴───────────────┘\n"),
    display(f"{ESC}[1m Total params: {ESC}[0m{ESC}[38;5;34m25,450{ESC}[0m (99.41 KB)\n"),
    display(f"{ESC}[1m Trainable params: {ESC}[0m{ESC}[38;5;34m25,450{ESC}[0m (99.41 KB)\n"),
    display(f"{ESC}[1m Non-trainable params: {ESC}[0m{ESC}[38;5;34m0{ESC}[0m (0.00 B)\n"),
]

# Cell 1: `fit(epochs=2, validation_split=0.25)`; each bar update is its own chunk.
K3_FIT = [
    stdout("Epoch 1/2\n"),
    stdout("\r", k3_bar("1/3", 6, "1s", "845ms/step", "accuracy: 0.1562 - loss: 2.2934")),
    stdout(BS * 72 + "\r", k3_bar("3/3", 20, "1s", "233ms/step",
                                  "accuracy: 0.1042 - loss: 2.3924 - val_accuracy: 0.1042 - val_loss: 2.4727") + "\n"),
    stdout("Epoch 2/2\n"),
    stdout("\r", k3_bar("1/3", 6, "0s", "21ms/step", "accuracy: 0.1406 - loss: 2.2832")),
    stdout(BS * 71 + "\r", k3_bar("3/3", 20, "0s", "55ms/step",
                                  "accuracy: 0.0972 - loss: 2.3739 - val_accuracy: 0.1042 - val_loss: 2.4501") + "\n"),
]

# Cell 2: `print('Test accuracy:', round(model.evaluate(x, y)[1], 4))` then `model.evaluate(x, y)` displayed.
K3_EVALUATE = [
    stdout("\r", k3_bar("1/6", 3, "0s", "51ms/step", "accuracy: 0.0938 - loss: 2.3327")),
    stdout(BS * 71 + "\r", k3_bar("6/6", 20, "0s", "5ms/step", "accuracy: 0.0990 - loss: 2.3827 ") + "\n"),
    stdout("Test accuracy: 0.099\n", "\r", k3_bar("1/6", 3, "0s", "44ms/step", "accuracy: 0.0938 - loss: 2.3327")),
    stdout(BS * 71 + "\r", k3_bar("6/6", 20, "0s", "3ms/step", "accuracy: 0.0990 - loss: 2.3827 ") + "\n"),
    display("[2.3826825618743896, 0.0989583358168602]", kind="execute_result"),
]

# Keras 2.x (tf.keras <= 2.12) in Jupyter: summary, then a bar redrawn with backspaces and '\r'.
K2_SUMMARY = '''Model: "sequential"
_________________________________________________________________
 Layer (type)                Output Shape              Param #   
=================================================================
 flatten (Flatten)           (None, 784)               0         
                                                                 
 dense (Dense)               (None, 300)               235500    
                                                                 
 dense_1 (Dense)             (None, 100)               30100     
                                                                 
 dense_2 (Dense)             (None, 10)                1010      
                                                                 
=================================================================
Total params: 266,610
Trainable params: 266,610
Non-trainable params: 0
_________________________________________________________________
'''


def k2_epoch(n: int, of: int, final: str) -> list[str]:
    start = "   1/1688 [..............................] - ETA: 10:21 - loss: 2.4079 - accuracy: 0.0625"
    mid = "  845/1688 [==============>...............] - ETA: 2s - loss: 0.6012 - accuracy: 0.8311"
    return [f"Epoch {n}/{of}\n", start, BS * len(start) + "\r" + mid, BS * len(mid) + "\r" + final + "\n"]


K2_LOG = (k2_epoch(1, 2, "1688/1688 [==============================] - 6s 3ms/step - loss: 0.4012 - accuracy: 0.8870"
                            " - val_loss: 0.2120 - val_accuracy: 0.9405")
          + k2_epoch(2, 2, "1688/1688 [==============================] - 5s 3ms/step - loss: 0.1925 - accuracy: 0.9450"
                             " - val_loss: 0.1630 - val_accuracy: 0.9522"))


def test_final_state_applies_carriage_returns_and_backspaces() -> None:
    assert final_state("10%\r55%\r100%") == ["100%"]
    assert final_state("abc" + BS * 3 + "\rxy") == ["xyc"]  # a shorter redraw leaves the tail, as a screen does
    assert final_state(f"{ESC}[1m3/3{ESC}[0m done\nnext") == ["3/3 done", "next"]


def test_keras3_jupyter_notebook() -> None:
    run = parse_notebook({"cells": [
        {"cell_type": "code", "source": "model.summary()", "outputs": K3_SUMMARY},
        {"cell_type": "code", "source": "model.fit(...)", "outputs": K3_FIT},
        {"cell_type": "markdown", "source": "The validation accuracy is 10.42%."},
        {"cell_type": "code", "source": "model.evaluate(...)", "outputs": K3_EVALUATE},
        {"cell_type": "code", "source": "x = 1", "outputs": []},
    ]})
    assert [c.cell_index for c in run.cells] == [0, 1, 3]
    [summary] = run.summaries
    assert (summary.name, summary.format, summary.total_params, summary.trainable_params,
            summary.non_trainable_params) == ("small", "keras3", 25450, 25450, 0)
    assert [(la.name, la.class_name, la.params) for la in summary.layers] == [("dense", "Dense", 25120),
                                                                           ("dense_1", "Dense", 330)]
    [fit] = run.fits
    assert (fit.cell_index, fit.format, fit.epochs_requested, [e.epoch for e in fit.epochs]) == (1, "keras3", 2, [1, 2])
    assert fit.final("val_accuracy") == 0.1042 and fit.final("loss") == 2.3739
    assert fit.epochs[0].metrics == {"accuracy": 0.1042, "loss": 2.3924, "val_accuracy": 0.1042, "val_loss": 2.4727}
    # '1s 233ms/step' over 3 steps: the rounded total is coarser than steps x time per step.
    assert fit.epoch_seconds == [pytest.approx(0.699), pytest.approx(0.165)]
    bars = [e.metrics for e in run.evaluations if e.metrics]
    assert bars == [{"accuracy": 0.099, "loss": 2.3827}] * 2
    assert [e.values for e in run.evaluations if e.values] == [[2.3826825618743896, 0.0989583358168602]]
    # Only what the student printed or chose to display is theirs.
    assert [c.student_lines for c in run.cells] == [
        [], [], ["Test accuracy: 0.099", "[2.3826825618743896, 0.0989583358168602]"]]
    assert run.cells[0].framework_lines > 10 and run.cells[1].framework_lines == 4


def test_keras3_script_output_without_a_terminal() -> None:
    # A real capture of the same fit's stdout outside Jupyter: every bar update ends in backspaces and a newline.
    text = ("Epoch 1/2\n\n" + f"{ESC}[1m1/3{ESC}[0m {ESC}[32m━━━━━━{ESC}[0m{ESC}[37m━━━━━━━━━━━━━━{ESC}[0m {ESC}[1m0s"
            f"{ESC}[0m 233ms/step - accuracy: 0.0625 - loss: 2.6306" + BS * 72 + "\n"
            + k3_bar("3/3", 20, "0s", "64ms/step", "accuracy: 0.1042 - loss: 2.4884 - val_accuracy: 0.1094 - "
                     "val_loss: 2.3843") + "\nEpoch 2/2\n\n"
            + k3_bar("3/3", 20, "0s", "16ms/step", "accuracy: 0.0938 - loss: 2.4679 - val_accuracy: 0.1406 - "
                     "val_loss: 2.3709") + "\n\n"
            + k3_bar("8/8", 20, "0s", "3ms/step", "accuracy: 0.1055 - loss: 2.4335 ") + "\n"
            + "[2.433535575866699, 0.10546875]\n")
    cell = parse_text(text)
    [fit] = cell.fits
    assert [e.metrics["val_accuracy"] for e in fit.epochs] == [0.1094, 0.1406]
    assert [e.metrics for e in cell.evaluations if e.metrics] == [{"accuracy": 0.1055, "loss": 2.4335}]
    assert cell.student_lines == ["[2.433535575866699, 0.10546875]"]


def test_keras2_summary_and_jupyter_progress_bar() -> None:
    cell = parse_outputs([
        stdout(K2_SUMMARY),
        stdout(*K2_LOG),
        stdout("313/313 [==============================] - 1s 2ms/step - loss: 0.1702 - accuracy: 0.9493\n"),
        stdout("Test accuracy: 0.9493\n"),
        display("<keras.callbacks.History at 0x7f3b2c1d5e50>", kind="execute_result"),
    ], cell_index=7)
    [s] = cell.summaries
    assert (s.format, s.name, s.total_params, s.trainable_params) == ("keras2", "sequential", 266610, 266610)
    assert [la.params for la in s.layers] == [0, 235500, 30100, 1010]
    [fit] = cell.fits
    assert fit.format == "keras2" and fit.cell_index == 7
    assert fit.final("val_accuracy") == 0.9522 and fit.final("accuracy") == 0.945
    assert fit.epoch_seconds == [6.0, 5.0]  # whole seconds are the finer figure for a 5 s epoch
    [ev] = cell.evaluations
    assert ev.metrics == {"loss": 0.1702, "accuracy": 0.9493}
    assert cell.student_lines == ["Test accuracy: 0.9493"]  # the History repr is not


def test_keras_2_13_summary_with_sizes_and_functional_rows() -> None:
    text = '''Model: "model"
__________________________________________________________________________________________________
 Layer (type)                Output Shape                 Param #   Connected to                  
==================================================================================================
 input_1 (InputLayer)        [(None, 784)]                0         []                            
                                                                                                  
 dense (Dense)               (None, 128)                  100480    ['input_1[0][0]']             
                                                                                                  
 dense_1 (Dense)             (None, 10)                   1290      ['dense[0][0]']               
                                                                                                  
==================================================================================================
Total params: 101770 (397.54 KB)
Trainable params: 101770 (397.54 KB)
Non-trainable params: 0 (0.00 Byte)
__________________________________________________________________________________________________
The model has 101770 parameters
'''
    cell = parse_text(text)
    [s] = cell.summaries
    assert (s.format, s.total_params) == ("keras2.13", 101770)
    assert [(la.name, la.params) for la in s.layers] == [("input_1", 0), ("dense", 100480), ("dense_1", 1290)]
    assert cell.student_lines == ["The model has 101770 parameters"]


def test_tf1_era_samples_log() -> None:
    text = ("Using TensorFlow backend.\n"
            "Train on 54000 samples, validate on 6000 samples\n"
            "Epoch 1/2\n"
            "54000/54000 [==============================] - 3s 56us/sample - loss: 0.2900 - acc: 0.9100 - "
            "val_loss: 0.1500 - val_acc: 0.9550\n"
            "Epoch 2/2\n"
            "54000/54000 [==============================] - 3s 50us/sample - loss: 0.1400 - acc: 0.9580 - "
            "val_loss: 0.1200 - val_acc: 0.9650\n"
            "10000/10000 [==============================] - 0s 21us/sample - loss: 0.1300 - acc: 0.9610\n"
            "Test accuracy: 0.961\n")
    cell = parse_text(text)
    [fit] = cell.fits
    assert (fit.format, fit.train_samples, fit.validation_samples) == ("keras2-samples", 54000, 6000)
    # 'acc'/'val_acc' read as accuracy, like the later spelling; 56 us x 54,000 samples.
    assert fit.final("val_accuracy") == 0.965 and fit.final("accuracy") == 0.958
    assert fit.epoch_seconds == [pytest.approx(3.024), pytest.approx(2.7)]
    assert cell.evaluations[0].metrics == {"loss": 0.13, "accuracy": 0.961}
    assert cell.student_lines == ["Test accuracy: 0.961"]


@pytest.mark.parametrize("line,seconds", [
    ("1875/1875 - 5s - loss: 0.2900 - accuracy: 0.9100 - val_loss: 0.1500 - val_accuracy: 0.9550 - 5s/epoch"
     " - 3ms/step", 5.0),
    (" - 3s - loss: 0.2900 - acc: 0.9100 - val_loss: 0.1500 - val_acc: 0.9550", 3.0),  # Keras 2.2, verbose=2
])
def test_verbose_2_logs(line: str, seconds: float) -> None:
    cell = parse_text(f"Epoch 1/1\n{line}\n")
    [fit] = cell.fits
    assert fit.format == "keras2-verbose2" and fit.final("val_accuracy") == 0.955
    assert fit.epoch_seconds == [pytest.approx(seconds)]
    assert cell.student_lines == []


def test_two_fits_in_one_cell_and_callback_lines() -> None:
    text = ("Epoch 1/3\n100/100 [==============================] - 1s 5ms/step - loss: 0.5 - val_loss: 0.4\n"
            "Epoch 1: val_loss improved from inf to 0.40000, saving model to best.h5\n"
            "Epoch 2/3\n100/100 [==============================] - 1s 5ms/step - loss: 0.4 - val_loss: 0.45\n"
            "Epoch 2: early stopping\nRestoring model weights from the end of the best epoch: 1.\n"
            "Epoch 1/2\n100/100 [==============================] - 1s 5ms/step - loss: 0.3 - val_loss: 0.35\n")
    cell = parse_text(text)
    assert [len(f.epochs) for f in cell.fits] == [2, 1]
    assert [f.epochs_requested for f in cell.fits] == [3, 2]
    assert cell.student_lines == []


def test_framework_lines_are_not_the_students() -> None:
    printed = "\n".join([
        "WARNING:tensorflow:From train.py:3: The name tf.Session is deprecated.",
        "/usr/lib/python3/site-packages/keras/src/layers/core/dense.py:87: UserWarning: Do not pass an "
        "`input_shape`/`input_dim` argument to a layer.",
        "  super().__init__(**kwargs)",
        "2024-03-01 10:12:13.123456: I tensorflow/core/platform/cpu_feature_guard.cc:182] This TensorFlow binary",
        "Downloading data from https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
        "11490434/11490434 [==============================] - 1s 0us/step",
        "[grader] pip install skipped: the grader provides the course's packages",
        "<Figure size 640x480 with 1 Axes>",
        "Validation accuracy of the big network: 97.1%",
        "Model: big, 407,050 parameters",
        "[0.29, 0.91]",
    ])
    assert student_text(printed).splitlines() == ["Validation accuracy of the big network: 97.1%",
                                                  "Model: big, 407,050 parameters", "[0.29, 0.91]"]


def test_stderr_tracebacks_and_images() -> None:
    cell = parse_outputs([
        stderr("My own message on stderr with 42\n"),
        {"output_type": "error", "ename": "ValueError", "evalue": "bad 3", "traceback": ["Traceback 1", "line 2"]},
        {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure size 640x480>"}},
        {"output_type": "display_data", "data": {"image/svg+xml": "<svg/>"}},
        stdout("accuracy 0.97\n"),
    ], cell_index=4)
    assert cell.images == 2
    assert cell.student_lines == ["accuracy 0.97"]


def test_touches_attach_logs_and_summaries_to_models_by_cell() -> None:
    events = [
        {"event": "cell_start", "index": 1}, {"event": "compile", "model": {"id": "m1"}},
        {"event": "cell_start", "index": 2}, {"event": "fit", "model": {"id": "m1"}},
        {"event": "fit", "model": {"id": "m1"}},
        {"event": "cell_start", "index": 4}, {"event": "compile", "model": {"id": "m2"}},
        {"event": "fit", "model": {"id": "m2"}}, {"event": "evaluate", "model": {"id": "m2"}},
    ]
    touches = touches_from_events(events)
    assert [(t.cell_index, t.model_id, t.action) for t in touches] == [
        (1, "m1", "compile"), (2, "m1", "fit"), (4, "m2", "compile"), (4, "m2", "fit"), (4, "m2", "evaluate")]
    models = [_record("m1", 266610), _record("m2", 25450)]
    run = parse_notebook({"cells": [
        {"cell_type": "code", "source": "", "outputs": [stdout(K2_SUMMARY)]},  # summary a cell before compile
        {"cell_type": "code", "source": "", "outputs": []},
        {"cell_type": "code", "source": "", "outputs": [stdout(*K2_LOG)]},
        {"cell_type": "markdown", "source": "..."},
        {"cell_type": "code", "source": "", "outputs": K3_SUMMARY + K3_FIT},
    ]})
    attached = attach(run, touches, models)
    assert [(s.cell_index, s.model_id) for s in attached.summaries] == [(0, "m1"), (4, "m2")]
    assert [(f.cell_index, f.model_id) for f in attached.fits] == [(2, "m1"), (4, "m2")]
    assert attached.fits_of("m2")[0].final("val_accuracy") == 0.1042


def test_owners_follow_the_notebook_order() -> None:
    touches = [ModelTouch(cell_index=3, model_id="m1", action="fit"), ModelTouch(cell_index=7, model_id="m2",
                                                                                   action="compile"),
               ModelTouch(cell_index=9, model_id="m3", action="fit"), ModelTouch(cell_index=9, model_id="m4",
                                                                                   action="fit")]
    assert owners(touches, 1) == set()  # before any model: nobody's
    assert owners(touches, 3) == owners(touches, 6) == {"m1"}
    assert owners(touches, 8) == {"m2"}
    assert owners(touches, 12) == {"m3", "m4"}  # a loop over networks in one cell: all of them
    assert owners(touches, None) is None
    assert owners(touches[:1], 0) is None  # one model: everything is about it


def test_notebook_record_keeps_markdown_and_both_runs_printed_lines() -> None:
    submitted = {"cells": [
        {"cell_type": "markdown", "source": ["# Homework\n", "Answers below."]},
        {"cell_type": "code", "source": "", "outputs": [stdout("val accuracy 0.9205\n")]},
    ]}
    executed = {"cells": [submitted["cells"][0], {"cell_type": "code", "source": "",
                                                  "outputs": [stdout("val accuracy 0.9187\n")]}]}
    record = notebook_record([{"event": "cell_start", "index": 1}], [], submitted=submitted, executed=executed)
    assert [(p.cell_index, p.source, p.run, p.text) for p in record.passages] == [
        (0, "markdown", None, "# Homework\nAnswers below."),
        (1, "printed", "stored", "val accuracy 0.9205"), (1, "printed", "rerun", "val accuracy 0.9187")]
    assert record.stored is not None and record.stored.cells[0].student_lines == ["val accuracy 0.9205"]
    # A cell the re-run never started keeps the stored outputs in the executed copy: they are not the re-run's.
    unreached = notebook_record([], [], submitted=submitted, executed=submitted)
    assert [(p.cell_index, p.run) for p in unreached.passages] == [(0, None), (1, "stored")]


def test_stored_run_beside_the_rerun_flags_a_bar_between_them() -> None:
    stored = attach(parse_notebook({"cells": [{"cell_type": "code", "source": "", "outputs": [stdout(
        "Epoch 1/1\n1688/1688 [==============================] - 5s 3ms/step - loss: 0.2500 - accuracy: 0.9301"
        " - val_loss: 0.2700 - val_accuracy: 0.9205\n")]}]}), [ModelTouch(cell_index=0, model_id="m1", action="fit")],
        [])
    assert stored_figures(stored, "m1")[("accuracy", "validation")] == 0.9205
    bar = Bar(metric="accuracy", split="validation", text="> 0.92", holds=lambda v: v > 0.92, criterion_id="three.val")
    [acc] = [c for c in compare_runs(stored, "m1", {("accuracy", "validation"): 0.9187, ("loss", "test"): 0.3},
                                     [bar]) if c.metric == "accuracy"]
    assert acc.crosses_bar and acc.criterion_id == "three.val"
    assert acc.message().startswith("your notebook showed validation accuracy 0.9205; the grader's re-run reached "
                                    "0.9187; the bar (> 0.92) lies between them")
    [same_side] = compare_runs(stored, "m1", {("accuracy", "validation"): 0.9251}, [bar])
    assert not same_side.crosses_bar and "bar" not in same_side.message()
    assert compare_runs(None, "m1", {("accuracy", "validation"): 0.9}) == []
    assert compare_runs(ReportedRun(), "m1", {("accuracy", "validation"): 0.9}) == []


def _record(mid: str, total: int) -> ModelRecord:
    return ModelRecord(id=mid, name=mid, class_name="Sequential", framework="keras", kind="sequential",
                       params=ParamCounts(total=total, trainable=total, non_trainable=0, weights=0, biases=0))


def test_keras_2_2_summary_without_a_header_and_shell_tool_output() -> None:
    # Copied from tests/corpus/realworld/input_layer_models.ipynb (standalone Keras 2.2 on TF 1).
    summary = ("_________________________________________________________________\n"
               "Layer (type)                 Output Shape              Param #   \n"
               "=================================================================\n"
               "dense_1 (Dense)              (None, 128)               100480    \n"
               "_________________________________________________________________\n"
               "dense_2 (Dense)              (None, 10)                1290      \n"
               "=================================================================\n"
               "Total params: 101,770\nTrainable params: 101,770\nNon-trainable params: 0\n"
               "_________________________________________________________________\n")
    cell = parse_outputs([stdout("Collecting visualkeras\n  Downloading visualkeras-0.0.2-py3-none-any.whl (12 kB)\n"
                                 "Successfully installed aggdraw-1.3.12 visualkeras-0.0.2\n"),
                          stdout("+-----------------------------------------------------------------------------+\n"
                                 "| NVIDIA-SMI 460.32.03    Driver Version: 460.32.03    CUDA Version: 11.2     |\n"
                                 "|   0  Tesla T4            Off  | 00000000:00:04.0 Off |                    0 |\n"
                                 "+-----------------------------------------------------------------------------+\n"),
                          stdout(summary), stdout("I chose 128 units\n")])
    [s] = cell.summaries
    assert (s.name, s.format, s.total_params) == (None, "keras2", 101770)
    assert [la.params for la in s.layers] == [100480, 1290]
    assert cell.student_lines == ["I chose 128 units"]


def test_a_long_run_redrawn_in_place_is_read_to_its_last_epoch() -> None:
    # nbclient keeps every redraw of a Keras 2 bar: one stored line per epoch holds hundreds of them.
    chunks = []
    for epoch in range(1, 61):
        redraws = "".join(BS * 86 + "\r" + f"{k:4d}/1875 [=====>........................] - ETA: 2s - loss: 0.3000"
                          f" - accuracy: 0.9100" for k in range(1, 1876, 8))
        final = (f"1875/1875 [==============================] - 5s 3ms/step - loss: 0.2900 - accuracy: 0.9100 - "
                 f"val_loss: 0.1500 - val_accuracy: {0.9 + epoch / 1000:.4f}")
        chunks += [f"Epoch {epoch}/60\n", redraws + BS * 86 + "\r" + final + "\n"]
    [fit] = parse_outputs([stdout(*chunks)]).fits
    assert len(fit.epochs) == 60 and fit.final("val_accuracy") == 0.96
