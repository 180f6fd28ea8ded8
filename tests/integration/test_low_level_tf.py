"""Hand-written TensorFlow training loops (tf.Variable + GradientTape, no Model.fit) in the real sandbox.

Each submission prints one LOOP_TRUTH line with what it knows about its own loops (steps, shapes);
the evidence must hold the same, the inferred network must match the shapes, and a grade must skip
what a loop cannot show (activations, loss) with the reason, never pass it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from grader.checks.base import Outcome
from grader.checks.loopfacts import PREFIX
from grader.evidence.model import RunStatus
from grader.grading.grade import grade as grade_rubric
from grader.rubric.loader import parse_rubric

pytestmark = pytest.mark.tf

LOOPS = """
import json
import numpy as np
import tensorflow as tf

(x_train, y_train), _ = tf.keras.datasets.mnist.load_data()
x = (x_train[:512].reshape(-1, 784) / 255.0).astype("float32")
y = tf.one_hot(y_train[:512], 10)
batches = [(x[i:i + 64], y[i:i + 64]) for i in range(0, 512, 64)]

# 1. eager loop, a Keras optimizer object: 784 -> 64 -> 10, sigmoid hidden layer
W1 = tf.Variable(tf.random.normal([784, 64], stddev=0.05), name="W1")
b1 = tf.Variable(tf.zeros([64]), name="b1")
W2 = tf.Variable(tf.random.normal([64, 10], stddev=0.05), name="W2")
b2 = tf.Variable(tf.zeros([10]), name="b2")
params = [W1, b1, W2, b2]
opt = tf.keras.optimizers.SGD(learning_rate=0.5)
losses = []
for epoch in range(25):
    for xb, yb in batches:
        with tf.GradientTape() as tape:
            logits = tf.sigmoid(xb @ W1 + b1) @ W2 + b2
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(yb, logits))
        grads = tape.gradient(loss, params)
        opt.apply_gradients(zip(grads, params))
        losses.append(float(loss))

# 2. no optimizer at all: w.assign_sub(lr * grad), a softmax regression 784 -> 10
W = tf.Variable(tf.zeros([784, 10]), name="W")
b = tf.Variable(tf.zeros([10]), name="b")
for step in range(120):
    xb, yb = batches[step % len(batches)]
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(yb, xb @ W + b))
    dW, db = tape.gradient(loss, [W, b])
    W.assign_sub(0.5 * dW)
    b.assign_sub(0.5 * db)

# 3. the step inside tf.function with Adam: Python sees only the trace, the optimizer counts steps
V1 = tf.Variable(tf.random.normal([784, 32], stddev=0.05))
c1 = tf.Variable(tf.zeros([32]))
V2 = tf.Variable(tf.random.normal([32, 16], stddev=0.05))
c2 = tf.Variable(tf.zeros([16]))
V3 = tf.Variable(tf.random.normal([16, 10], stddev=0.05))
c3 = tf.Variable(tf.zeros([10]))
deep = [V1, c1, V2, c2, V3, c3]
adam = tf.keras.optimizers.Adam(learning_rate=0.01)

@tf.function
def train_step(xb, yb):
    with tf.GradientTape() as tape:
        h = tf.nn.relu(tf.nn.relu(xb @ V1 + c1) @ V2 + c2)
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(yb, h @ V3 + c3))
    adam.apply_gradients(zip(tape.gradient(loss, deep), deep))
    return loss

for step in range(150):
    train_step(*batches[step % len(batches)])

# A gradient with respect to the input (a saliency map) is not a training step.
xv = tf.constant(x[:4])
with tf.GradientTape() as tape:
    tape.watch(xv)
    out = tf.reduce_sum(xv @ W1)
tape.gradient(out, xv)

print("LOOP_TRUTH " + json.dumps({
    "steps": [int(opt.iterations.numpy()), 120, int(adam.iterations.numpy())],
    "first_loss": losses[0], "last_loss": losses[-1], "W1_sum": float(tf.reduce_sum(W1)),
}))
"""

NOTEBOOK = [
    ("markdown", "# A network from scratch\nVariables, a tape and a hand-written update."),
    """
    import tensorflow as tf
    (x_train, y_train), _ = tf.keras.datasets.mnist.load_data()
    x = tf.constant(x_train[:256].reshape(-1, 784) / 255.0, dtype=tf.float32)
    y = tf.one_hot(y_train[:256], 10)
    W1 = tf.Variable(tf.random.normal([784, 20], stddev=0.05), name="hidden_kernel")
    b1 = tf.Variable(tf.zeros([20]), name="hidden_bias")
    W2 = tf.Variable(tf.random.normal([20, 10], stddev=0.05), name="out_kernel")
    b2 = tf.Variable(tf.zeros([10]), name="out_bias")
    """,
    """
    for step in range(100):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(y, tf.nn.relu(x @ W1 + b1) @ W2 + b2))
        grads = tape.gradient(loss, [W1, b1, W2, b2])
        for v, g in zip([W1, b1, W2, b2], grads):
            v.assign_sub(0.1 * g)
    print("final loss", float(loss))
    """,
]

FIT = """
import tensorflow as tf
(x_train, y_train), _ = tf.keras.datasets.mnist.load_data()
x, y = x_train[:600] / 255.0, y_train[:600]
model = tf.keras.Sequential([tf.keras.Input((28, 28)), tf.keras.layers.Flatten(),
                             tf.keras.layers.Dense(16, activation="sigmoid"), tf.keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=2, batch_size=60, validation_split=0.1, verbose=0)
model.train_on_batch(x[:32], y[:32])
model.evaluate(x, y, verbose=0)
"""

RUBRIC = parse_rubric("""
id: low-level
title: Low-level networks
version: "1"
requirements:
  - {id: sigmoid, hidden_activation: sigmoid}
  - {id: loss, loss: categorical_crossentropy}
slots:
  - id: one
    title: One hidden layer of 64 units
    match: {hidden_layers: "==1", units: "==64"}
    require:
      - {id: one.sgd, optimizer: sgd}
      - {id: one.epochs, epochs: ">=10"}
    metrics:
      - {id: one.val, metric: accuracy, split: validation, expect: ">0.5"}
  - id: deep
    title: Two hidden layers
    match: {hidden_layers: "==2", trainable_params: ">=25000"}
""")


@pytest.fixture(scope="module")
def loops_run(grade, writer, tmp_path_factory):
    folder = tmp_path_factory.mktemp("loops")
    verified = grade(writer(folder, "loops.py", LOOPS), keep_files=folder / "out")
    ev = verified.evidence
    assert ev.run.status is RunStatus.COMPLETED, (ev.run.message, ev.run.log_tail)
    lines = [line for line in ev.printed.splitlines() if line.startswith("LOOP_TRUTH ")]
    assert lines, ev.printed[-2000:]
    return verified, json.loads(lines[-1][len("LOOP_TRUTH "):]), folder / "out"


def test_each_loop_is_recorded_with_its_steps_and_variables(loops_run) -> None:
    verified, truth, _ = loops_run
    loops = verified.evidence.custom_training
    assert [t.id for t in loops] == ["t1", "t2", "t3"]  # the saliency gradient made no training
    sgd, manual, graph = loops
    assert [t.steps for t in loops] == truth["steps"] == [200, 120, 150]
    assert sgd.steps_source == "optimizer.iterations" and sgd.gradient_calls == 200
    assert sgd.optimizer.class_name == "SGD" and sgd.optimizer.learning_rate == pytest.approx(0.5)
    assert [(v.name, v.shape, v.dtype, v.trainable) for v in sgd.variables] == [
        ("W1:0", [784, 64], "float32", True), ("b1:0", [64], "float32", True),
        ("W2:0", [64, 10], "float32", True), ("b2:0", [10], "float32", True)]
    assert manual.optimizer is None and manual.update == "assign" and manual.steps_source == "gradient calls"
    assert manual.manual_updates == 240
    assert graph.optimizer.class_name == "Adam" and graph.steps_source == "optimizer.iterations"
    assert graph.gradient_calls == 0 and graph.traced_gradient_calls >= 1 and graph.losses == []


def test_the_sampled_losses_are_the_loops_own(loops_run) -> None:
    verified, truth, _ = loops_run
    sgd = verified.evidence.custom_training[0]
    assert sgd.losses[0].step == 0 and sgd.losses[0].value == pytest.approx(truth["first_loss"], rel=1e-5)
    assert sgd.losses[-1].value == pytest.approx(truth["last_loss"], rel=1e-5)
    assert sgd.losses[-1].value < sgd.losses[0].value


def test_the_final_weights_are_saved(loops_run) -> None:
    verified, truth, out = loops_run
    sgd = verified.evidence.custom_training[0]
    with np.load(out / sgd.weights_file) as saved:
        assert [saved[v.key].shape for v in sgd.variables] == [(784, 64), (64,), (64, 10), (10,)]
        assert float(saved["v0"].sum()) == pytest.approx(truth["W1_sum"], rel=1e-4)


def test_the_architecture_is_inferred_from_the_shapes(loops_run) -> None:
    verified, _, _ = loops_run
    sgd, manual, graph = (t.network for t in verified.evidence.custom_training)
    assert (sgd.describe(), sgd.hidden_units, sgd.complete) == ("784 -> 64 -> 10", [64], True)
    assert (sgd.weights, sgd.biases, sgd.trainable_params) == (784 * 64 + 640, 74, 784 * 64 + 64 + 650)
    assert (manual.describe(), manual.hidden_units) == ("784 -> 10", [])
    assert (graph.describe(), graph.hidden_units) == ("784 -> 32 -> 16 -> 10", [32, 16])


def test_a_grade_judges_what_it_can_and_skips_the_rest_with_reasons(loops_run) -> None:
    verified, _, _ = loops_run
    result = grade_rubric(verified, RUBRIC)
    assert {s.slot: s.model_id for s in result.slots} == {"one": "t1", "deep": "t3"}
    c = {x.id: x for x in result.criteria}
    assert c["one"].outcome == c["one.sgd"].outcome == Outcome.PASSED
    assert c["deep"].outcome == Outcome.PASSED
    for cid, words in (("sigmoid", "activations are not recorded"), ("loss", "loss function is not recorded"),
                       ("one.epochs", "epochs are not recorded"), ("one.val", "no verified forward pass")):
        assert c[cid].outcome == Outcome.SKIPPED and PREFIX in c[cid].message and words in c[cid].message
    assert result.status.value == "passed" and result.score == result.max_score


def test_a_notebook_loop_is_recorded_after_its_cell(grade, writer, tmp_path) -> None:
    verified = grade(writer(tmp_path, "scratch.ipynb", NOTEBOOK))
    ev = verified.evidence
    assert ev.run.status is RunStatus.COMPLETED, (ev.run.message, ev.run.log_tail)
    [t] = ev.custom_training
    assert (t.steps, t.update, t.manual_updates) == (100, "assign", 400)
    assert [v.name for v in t.variables] == ["hidden_kernel:0", "hidden_bias:0", "out_kernel:0", "out_bias:0"]
    assert t.network.describe() == "784 -> 20 -> 10" and t.weights_file == "custom/t1.npz"
    assert ev.models == []


def test_model_fit_records_no_custom_training(grade, writer, tmp_path) -> None:
    verified = grade(writer(tmp_path, "fit.py", FIT))
    ev = verified.evidence
    assert ev.run.status is RunStatus.COMPLETED, (ev.run.message, ev.run.log_tail)
    assert [m.id for m in ev.models] == ["m1"] and ev.models[0].fits[0].epochs_run == 2
    assert ev.custom_training == []
    assert not (Path(ev.submission.path).parent / "custom").exists()
