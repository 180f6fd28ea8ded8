"""What the probe captures from real Keras training runs, checked against Keras's own figures.

Every submission prints one KERAS_TRUTH line with what Keras itself reports (count_params,
History.history, evaluate, the optimizer's learning rate); the evidence must hold the same
numbers. The verifier then re-measures the saved model outside the sandbox.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from grader.evidence.model import ModelRecord, RunStatus
from grader.verify.verified import FigureStatus, VerificationStatus, VerifiedEvidence

pytestmark = pytest.mark.tf

SUBMISSIONS = Path(__file__).resolve().parents[1] / "fixtures" / "submissions"

NOTEBOOK = [
    ("markdown", "# Exercise 1\nTrain a dense network on the digits and plot its loss."),
    """
    import json
    import matplotlib.pyplot as plt
    import tensorflow as tf

    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
    x_train, y_train = x_train[:600] / 255.0, y_train[:600]
    x_test = x_test / 255.0
    """,
    """
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(28, 28)),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(32, activation="sigmoid"),
        tf.keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.003),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    """,
    """
    stop = tf.keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=3, restore_best_weights=False)
    history = model.fit(x_train, y_train, epochs=3, batch_size=40, validation_split=0.1,
                        callbacks=[stop], verbose=2)
    """,
    """
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy {accuracy:.4f}")
    """,
    """
    plt.figure()
    plt.plot(history.history["loss"], label="train loss")
    plt.plot(history.history["val_loss"], label="validation loss")
    plt.xlabel("epoch")
    plt.ylabel("loss")
    plt.legend()
    plt.show()
    """,
    """
    print("KERAS_TRUTH " + json.dumps({
        "params": model.count_params(),
        "trainable": sum(int(w.numpy().size) for w in model.trainable_weights),
        "non_trainable": sum(int(w.numpy().size) for w in model.non_trainable_weights),
        "learning_rate": float(model.optimizer.learning_rate.numpy()),
        "history": history.history,
        "epochs_run": len(history.epoch),
        "stopped_epoch": stop.stopped_epoch,
        "eval": [loss, accuracy],
    }))
    """,
]


class Run:
    """One real run, kept for the tests of a module: the verified evidence, Keras's own
    figures as the submission printed them, and the files the run handed back."""

    def __init__(self, verified: VerifiedEvidence, truth: dict[str, Any], files: Path):
        self.verified = verified
        self.evidence = verified.evidence
        self.truth = truth
        self.files = files

    @property
    def model(self) -> ModelRecord:
        assert len(self.evidence.models) == 1, [m.id for m in self.evidence.models]
        return self.evidence.models[0]

    def figure(self, name: str, split: str | None = None):
        ver = self.verified.verification(self.model.id)
        assert ver is not None
        fig = ver.figure(name, split)
        assert fig is not None, f"no {name}/{split} figure in {[(f.name, f.split) for f in ver.figures]}"
        return fig


def _run(grade, truth, path: Path, keep: Path) -> Run:
    verified = grade(path, keep_files=keep)
    ev = verified.evidence
    assert ev.run.status is RunStatus.COMPLETED, (ev.run.message, ev.run.log_tail)
    return Run(verified, truth(ev.printed), keep)


@pytest.fixture(scope="module")
def tfkeras_run(grade, truth, tmp_path_factory) -> Run:
    return _run(grade, truth, SUBMISSIONS / "tfkeras_sequential.py", tmp_path_factory.mktemp("tfkeras") / "out")


@pytest.fixture(scope="module")
def standalone_run(grade, truth, tmp_path_factory) -> Run:
    return _run(grade, truth, SUBMISSIONS / "keras_standalone.py", tmp_path_factory.mktemp("standalone") / "out")


@pytest.fixture(scope="module")
def functional_run(grade, truth, tmp_path_factory) -> Run:
    return _run(grade, truth, SUBMISSIONS / "keras_functional.py", tmp_path_factory.mktemp("functional") / "out")


@pytest.fixture(scope="module")
def subclassed_run(grade, truth, tmp_path_factory) -> Run:
    return _run(grade, truth, SUBMISSIONS / "keras_subclassed.py", tmp_path_factory.mktemp("subclassed") / "out")


@pytest.fixture(scope="module")
def notebook_run(grade, truth, writer, tmp_path_factory) -> Run:
    folder = tmp_path_factory.mktemp("notebook")
    return _run(grade, truth, writer(folder, "exercise.ipynb", NOTEBOOK), folder / "out")


ALL_RUNS = ["tfkeras_run", "standalone_run", "functional_run", "subclassed_run", "notebook_run"]


def _layers(model: ModelRecord) -> list[tuple[str, int | None, str | None]]:
    return [(layer.class_name, layer.units, layer.activation) for layer in model.layers]


def _dense_counts(*sizes: int) -> tuple[int, int]:
    """(connection weights, biases) of a stack of Dense layers with these widths."""
    weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
    return weights, sum(sizes[1:])


# -- the probe's numbers are Keras's numbers ---------------------------------------------------


@pytest.mark.parametrize("run_name", ALL_RUNS)
def test_params_equal_keras_count_params(run_name: str, request: pytest.FixtureRequest) -> None:
    run: Run = request.getfixturevalue(run_name)
    params = run.model.params
    assert params is not None
    assert params.total == run.truth["params"]
    assert params.trainable == run.truth["trainable"]
    assert params.non_trainable == run.truth["non_trainable"]
    # Weights are connection kernels only; what else trains (batch norm's gamma and beta) is neither.
    kernels = sum(w.count for layer in run.model.layers for w in layer.weights if w.name == "kernel" and w.trainable)
    others = sum(w.count for layer in run.model.layers for w in layer.weights
                 if w.trainable and w.name not in ("kernel", "bias"))
    assert params.weights == kernels
    assert params.weights + params.biases + others == params.trainable
    assert sum(layer.params for layer in run.model.layers) == params.total


@pytest.mark.parametrize("run_name", ALL_RUNS)
def test_history_and_epochs_equal_keras_history(run_name: str, request: pytest.FixtureRequest) -> None:
    run: Run = request.getfixturevalue(run_name)
    (fit,) = run.model.fits
    assert fit.history == run.truth["history"]
    assert fit.epochs_run == run.truth["epochs_run"] == len(fit.epoch_seconds)
    assert all(s > 0 for s in fit.epoch_seconds)
    assert fit.finished and fit.saved_model and (run.files / fit.saved_model).is_file()


@pytest.mark.parametrize("run_name", ALL_RUNS)
def test_evaluate_results_equal_keras_evaluate(run_name: str, request: pytest.FixtureRequest) -> None:
    run: Run = request.getfixturevalue(run_name)
    (evaluation,) = run.model.evaluations
    truth = run.truth["eval"]
    if isinstance(truth, dict):
        assert evaluation.results == truth
    else:  # evaluate() returned [loss, metric, ...] in compile order
        assert list(evaluation.results.values()) == truth
        assert list(evaluation.results)[:2] == ["loss", "accuracy"]
    assert evaluation.x is not None and evaluation.x.shape is not None and evaluation.x.shape[0] == 1000


@pytest.mark.parametrize("run_name", ALL_RUNS)
def test_optimizer_learning_rate_equals_keras(run_name: str, request: pytest.FixtureRequest) -> None:
    run: Run = request.getfixturevalue(run_name)
    assert run.model.optimizer is not None
    assert run.model.optimizer.learning_rate == run.truth["learning_rate"]


# -- each kind of model, in detail -------------------------------------------------------------


def test_tf_keras_sequential_script(tfkeras_run: Run, host_isolation) -> None:
    ev, model = tfkeras_run.evidence, tfkeras_run.model
    assert ev.run.isolation is host_isolation.level
    assert ev.datasets == ["mnist"]
    assert (model.framework, model.kind, model.class_name) == ("keras", "sequential", "Sequential")
    assert _layers(model) == [("Dense", 32, "relu"), ("BatchNormalization", None, None), ("Dense", 10, "softmax")]
    # Batch norm: gamma/beta train, the moving statistics do not.
    bn = model.layers[1]
    assert (bn.params, bn.trainable_params) == (4 * 32, 2 * 32)
    weights, biases = _dense_counts(784, 32, 10)
    assert model.params is not None
    assert (model.params.biases, model.params.non_trainable) == (biases, 64)
    assert model.params.weights == weights == model.params.trainable - biases - 2 * 32
    assert model.input_shape == [None, 784]
    assert model.optimizer is not None and model.optimizer.class_name == "SGD"
    assert model.loss == "categorical_crossentropy" and model.metrics == ["accuracy"]

    (fit,) = model.fits
    assert (fit.epochs_requested, fit.batch_size, fit.validation_split, fit.has_validation_data) == (6, 64, 0.25, False)
    (callback,) = fit.callbacks
    assert callback.class_name == "EarlyStopping"
    assert callback.config["monitor"] == "val_loss" and callback.config["patience"] == 1
    assert callback.config["min_delta"] == 10.0  # as written, not Keras's sign-flipped internal copy
    assert callback.config["stopped_epoch"] == tfkeras_run.truth["stopped_epoch"] == 1
    assert fit.epochs_run == 2 < fit.epochs_requested
    assert fit.x is not None and fit.x.shape == [801, 784]
    assert fit.y is not None and fit.y.shape == [801, 10]


def test_tf_keras_figure_saved_with_labels(tfkeras_run: Run) -> None:
    (figure,) = tfkeras_run.evidence.figures
    assert figure.file and (tfkeras_run.files / figure.file).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (axes,) = figure.axes
    assert (axes.title, axes.xlabel, axes.ylabel) == ("learning curves", "epoch", "accuracy")
    assert [line.label for line in axes.lines] == ["training", "validation"]
    assert axes.legend == ["training", "validation"]
    history = tfkeras_run.truth["history"]
    assert [line.y for line in axes.lines] == [history["accuracy"], history["val_accuracy"]]


def test_standalone_keras_script(standalone_run: Run) -> None:
    model = standalone_run.model
    assert (model.framework, model.kind) == ("keras", "sequential")
    assert _layers(model) == [("Flatten", None, None), ("Dense", 24, "tanh"), ("Dense", 10, "softmax")]
    weights, biases = _dense_counts(784, 24, 10)
    assert model.params is not None and (model.params.weights, model.params.biases) == (weights, biases)
    assert model.optimizer is not None and model.optimizer.class_name == "Adam"
    assert model.loss == "sparse_categorical_crossentropy"
    (fit,) = model.fits
    assert (fit.epochs_requested, fit.epochs_run, fit.batch_size) == (3, 3, 50)
    assert fit.has_validation_data and fit.validation_split is None
    assert fit.validation_x is not None and fit.validation_x.shape == [1000, 28, 28]
    assert fit.callbacks == []
    assert standalone_run.evidence.figures == []


def test_functional_model(functional_run: Run) -> None:
    model = functional_run.model
    assert (model.framework, model.kind, model.name) == ("keras", "functional", "functional_mlp")
    assert _layers(model) == [("Dense", 16, "relu"), ("Dropout", None, None), ("Dense", 10, "softmax")]
    assert [layer.name for layer in model.layers] == ["hidden", "dropout", "digits"]
    assert model.layers[1].rate == pytest.approx(0.2)
    assert model.input_shape == [None, 784]
    assert model.optimizer is not None and model.optimizer.class_name == "RMSprop"
    assert model.metrics == ["accuracy", "top3"]
    (fit,) = model.fits
    assert (fit.epochs_requested, fit.epochs_run, fit.batch_size, fit.validation_split) == (2, 2, 32, 0.2)
    assert [cb.class_name for cb in fit.callbacks] == ["ReduceLROnPlateau"]
    (evaluation,) = model.evaluations
    assert set(evaluation.results) == {"loss", "accuracy", "top3"}


def test_subclassed_model(subclassed_run: Run) -> None:
    model = subclassed_run.model
    assert (model.kind, model.class_name, model.built) == ("subclassed", "MyModel", True)
    assert _layers(model) == [("Flatten", None, None), ("Dense", 20, "relu"), ("Dense", 10, "softmax")]
    weights, biases = _dense_counts(784, 20, 10)
    assert model.params is not None and (model.params.weights, model.params.biases) == (weights, biases)
    assert model.optimizer is not None and model.optimizer.class_name == "SGD"
    assert model.optimizer.config["momentum"] == pytest.approx(0.9)
    (fit,) = model.fits
    assert (fit.epochs_requested, fit.epochs_run, fit.batch_size, fit.validation_split) == (2, 2, 100, None)
    # Its class lives only in the student's code, so the verifier refuses to load it (safe_mode)
    # and says so; every figure stays "reported by the submission".
    ver = subclassed_run.verified.verification(model.id)
    assert ver is not None and ver.status is VerificationStatus.UNSAFE
    assert "MyModel" in ver.message
    assert all(f.status is FigureStatus.REPORTED for f in ver.figures)


def test_notebook_through_nbclient(notebook_run: Run) -> None:
    ev, model = notebook_run.evidence, notebook_run.model
    assert ev.submission.kind == "notebook"
    assert (ev.run.cells_total, ev.run.cells_run, ev.run.cell_errors) == (6, 6, [])
    assert "Train a dense network" in ev.markdown
    assert "test accuracy" in ev.printed
    assert (model.framework, model.kind) == ("keras", "sequential")
    assert _layers(model) == [("Flatten", None, None), ("Dense", 32, "sigmoid"), ("Dense", 10, "softmax")]
    assert model.optimizer is not None and model.optimizer.class_name == "Adam"
    (fit,) = model.fits
    assert (fit.epochs_requested, fit.batch_size, fit.validation_split) == (3, 40, 0.1)
    (callback,) = fit.callbacks
    assert callback.class_name == "EarlyStopping"
    assert callback.config["stopped_epoch"] == notebook_run.truth["stopped_epoch"] == 0
    (figure,) = ev.figures  # shown inline by plt.show()
    assert figure.file and (notebook_run.files / figure.file).read_bytes()[:4] == b"\x89PNG"
    (axes,) = figure.axes
    assert (axes.xlabel, axes.ylabel) == ("epoch", "loss")
    assert [line.label for line in axes.lines] == ["train loss", "validation loss"]
    assert (notebook_run.files / "executed.ipynb").is_file()


# -- verification: the grader's own measurements -----------------------------------------------


@pytest.mark.parametrize("run_name", ["tfkeras_run", "standalone_run", "functional_run", "notebook_run"])
def test_verified_params_equal_reported(run_name: str, request: pytest.FixtureRequest) -> None:
    run: Run = request.getfixturevalue(run_name)
    ver = run.verified.verification(run.model.id)
    assert ver is not None and ver.status is VerificationStatus.VERIFIED, ver and ver.message
    assert ver.params == run.model.params
    for key in ("total", "trainable", "non_trainable", "weights", "biases"):
        fig = run.figure(f"params.{key}")
        assert fig.status is FigureStatus.VERIFIED and fig.gap == 0
    assert [(layer.class_name, layer.units, layer.activation) for layer in ver.layers] == _layers(run.model)


@pytest.mark.parametrize("run_name", ["tfkeras_run", "standalone_run", "functional_run", "notebook_run"])
def test_verified_test_accuracy_equals_keras_evaluate(run_name: str, request: pytest.FixtureRequest) -> None:
    run: Run = request.getfixturevalue(run_name)
    truth = run.truth["eval"]
    keras_accuracy = truth["accuracy"] if isinstance(truth, dict) else truth[1]
    keras_loss = truth["loss"] if isinstance(truth, dict) else truth[0]
    accuracy, loss = run.figure("accuracy", "test"), run.figure("loss", "test")
    assert accuracy.status is FigureStatus.VERIFIED and loss.status is FigureStatus.VERIFIED
    assert accuracy.verified == pytest.approx(keras_accuracy, abs=1e-3)
    assert loss.verified == pytest.approx(keras_loss, rel=1e-3)
    ver = run.verified.verification(run.model.id)
    assert ver is not None and ver.dataset == "mnist" and ver.preprocessing


@pytest.mark.parametrize("run_name", ["tfkeras_run", "functional_run", "notebook_run"])
def test_validation_split_verified(run_name: str, request: pytest.FixtureRequest) -> None:
    """The grader rebuilds the held-out rows exactly as Keras does (801 rows at 0.25 keeps 201)."""
    run: Run = request.getfixturevalue(run_name)
    history = run.truth["history"]
    accuracy, loss = run.figure("accuracy", "validation"), run.figure("loss", "validation")
    assert accuracy.status is FigureStatus.VERIFIED and "validation_split" in accuracy.note
    assert accuracy.verified == pytest.approx(history["val_accuracy"][-1], abs=1e-6)
    assert loss.verified == pytest.approx(history["val_loss"][-1], rel=1e-4)


def test_validation_data_verified(standalone_run: Run) -> None:
    history = standalone_run.truth["history"]
    accuracy, loss = standalone_run.figure("accuracy", "validation"), standalone_run.figure("loss", "validation")
    assert accuracy.status is FigureStatus.VERIFIED and "test split" in accuracy.note
    assert accuracy.verified == pytest.approx(history["val_accuracy"][-1], abs=1e-6)
    assert loss.verified == pytest.approx(history["val_loss"][-1], rel=1e-4)


def test_kept_files_are_the_run_outputs(tfkeras_run: Run) -> None:
    names = {p.relative_to(tfkeras_run.files).as_posix() for p in tfkeras_run.files.rglob("*") if p.is_file()}
    assert {"events.jsonl", "models/m1_fit0.keras", "figures/fig0.png"} <= names
