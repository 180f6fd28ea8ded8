"""Verified means measured on data the model never trained on.

One real run (synthetic MNIST, 6,000 train / 1,000 test, tiny models, one epoch) trains five models the
ways a student gaming the bar would (one of them never evaluating on the test split), and one honestly; the verifier must count, from the probe's row
signatures, exactly how many test rows each one trained on, and must not verify those test figures.
"""

from __future__ import annotations

import textwrap

import pytest

from grader.evidence.model import RunStatus
from grader.verify.verified import FigureStatus, VerificationStatus

pytestmark = pytest.mark.tf

SCRIPT = textwrap.dedent("""
    import keras
    import numpy as np

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train, x_test = x_train.astype("float32") / 255.0, x_test.astype("float32") / 255.0
    rng = np.random.default_rng(0)

    def train(name, x, y, evaluate=True):
        model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                                  keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(10, activation="softmax")], name=name)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, epochs=1, batch_size=256, verbose=0)
        if evaluate:
            model.evaluate(x_test, y_test, verbose=0)

    def shuffled(x, y):
        order = rng.permutation(len(x))
        return x[order], y[order]

    train("honest", x_train, y_train)
    train("everything", *shuffled(np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test])))
    train("test_only", x_test, y_test)
    # No evaluate() on the test split: no sampled row lines up, the preprocessing comes from the value range.
    train("blind", *shuffled(np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test])), evaluate=False)
    train("slice", *shuffled(np.concatenate([x_train, x_test[:10]]), np.concatenate([y_train, y_test[:10]])))
    flipped, moved = x_test[:50, :, ::-1], np.zeros_like(x_test[50:150])
    moved[:, 1:] = x_test[50:150, :-1]  # shifted one pixel down, blank fill
    train("augmented", *shuffled(np.concatenate([x_train, flipped, moved]),
                                 np.concatenate([y_train, y_test[:50], y_test[50:150]])))
""")

# model name -> (test rows trained on, of which found only as flipped/shifted copies)
EXPECTED = {"honest": (0, 0), "everything": (1000, 0), "test_only": (1000, 0), "blind": (1000, 0),
            "slice": (10, 0), "augmented": (150, 150)}


@pytest.fixture(scope="module")
def verified(tmp_path_factory, writer, grade):
    path = writer(tmp_path_factory.mktemp("trained-on-test"), "gaming.py", SCRIPT)
    result = grade(path)
    ev = result.evidence
    assert ev.run.status is RunStatus.COMPLETED, (ev.run.message, ev.run.log_tail)
    return result


def _by_name(verified):
    out = {}
    for model in verified.evidence.models:
        ver = verified.verification(model.id)
        assert ver is not None and ver.status is VerificationStatus.VERIFIED, ver and ver.message
        out[model.name] = (model, ver)
    assert set(out) == set(EXPECTED)
    return out


def test_each_way_of_training_on_the_test_split_is_counted_exactly(verified) -> None:
    for name, (model, ver) in _by_name(verified).items():
        overlap, augmented = EXPECTED[name]
        assert (ver.test_overlap, ver.test_overlap_augmented, ver.test_rows) == (overlap, augmented, 1000), name
        assert ver.trained_on_test == (overlap > 0), name
        assert model.fits[-1].x is not None and model.fits[-1].x.signature_file, name


def test_a_test_figure_measured_on_trained_rows_is_not_verified(verified) -> None:
    for name, (_model, ver) in _by_name(verified).items():
        acc = ver.figure("accuracy", "test")
        assert acc is not None and acc.verified is not None, name
        if EXPECTED[name][0]:
            assert acc.status is FigureStatus.REPORTED and "trained on" in acc.note, name
        else:
            assert acc.status is not FigureStatus.REPORTED and acc.interval is not None, name
            assert acc.interval.n == 1000 and acc.interval.low <= acc.verified <= acc.interval.high
    warned = [w for w in verified.evidence.warnings if "rows of the test split" in w]
    assert len(warned) == 5


def acc_message(verified, model_id: str) -> str:
    """The test-accuracy criterion's message, as a rubric with verify_on: hidden grades this evidence."""
    from grader.checks.context import GradeContext
    from grader.checks.metrics import check_metric
    from grader.rubric.criteria import MetricCriterion

    c = MetricCriterion.model_validate({"id": "acc", "metric": "accuracy", "split": "test", "expect": ">0.5",
                                        "verify_on": "hidden"})
    ctx = GradeContext.build(verified, quick=False, reported_credit=0.0)
    return check_metric(c, ctx, ctx.model(model_id), "the slot").message


HIDDEN_SCRIPT = textwrap.dedent("""
    import os

    import keras
    import numpy as np

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    np.save(os.path.join(os.environ["GRADER_OUT"], "served_test.npy"), x_test)  # what the run received
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(8, activation="relu"), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train / 255.0, y_train, epochs=1, batch_size=256, verbose=0)
    model.evaluate(x_test / 255.0, y_test, verbose=0)
""")


def test_verify_on_hidden_measures_on_images_the_run_never_received(tmp_path, writer, grade, dataset_files) -> None:
    import numpy as np

    kept = tmp_path / "kept"
    verified = grade(writer(tmp_path / "src", "hidden.py", HIDDEN_SCRIPT), hidden_test=True, keep_files=kept)
    assert verified.evidence.run.status is RunStatus.COMPLETED, verified.evidence.run.message
    with np.load(dataset_files["mnist.npz"], allow_pickle=False) as data:
        x_test, y_test = data["x_test"], data["y_test"]
    served = np.load(kept / "served_test.npy", allow_pickle=False)
    assert len(served) == len(x_test) // 2
    served_rows = {row.tobytes() for row in served}
    held = np.array([row.tobytes() not in served_rows for row in x_test])
    assert held.sum() == len(x_test) - len(served)  # every served image is a test image, none served twice

    (model,) = verified.evidence.models
    ver = verified.verification(model.id)
    acc = ver.figure("accuracy", "test")
    assert acc.status is FigureStatus.VERIFIED and acc.reported is None  # its evaluate() saw other rows
    assert acc.interval is not None and acc.interval.n == held.sum() == ver.test_rows
    assert ver.measured_on and "held back from the run" in ver.measured_on
    assert f"over {held.sum():,} test images held back from the run" in acc_message(verified, model.id)

    import keras  # the saved model, re-measured here on the held-back rows: the grader's figure is theirs

    saved = keras.saving.load_model(kept / model.fits[-1].saved_model, safe_mode=True)
    pred = saved.predict(x_test[held] / 255.0, verbose=0).argmax(axis=1)
    assert float((pred == y_test[held]).mean()) == pytest.approx(acc.verified, abs=1e-6)


HOUSING_SCRIPT = textwrap.dedent("""
    import pandas as pd
    import tensorflow as tf
    from sklearn.model_selection import train_test_split

    df = pd.read_csv("USA_Housing.csv").drop(columns=["Address"])
    train, test = train_test_split(df, test_size=0.25, random_state=42)
    scale = train.drop(columns=["Price"]).max()
    x_train, x_test = train.drop(columns=["Price"]) / scale, test.drop(columns=["Price"]) / scale
    model = tf.keras.Sequential([tf.keras.Input((5,)), tf.keras.layers.Dense(8, activation="relu"),
                                 tf.keras.layers.Dense(1)])
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-2), loss="mse", metrics=["mae"])
    model.fit(x_train, train["Price"] / 1e6, epochs=3, batch_size=64, verbose=0)
    model.evaluate(x_test, test["Price"] / 1e6, verbose=0)
""")


def test_a_regression_error_carries_a_bootstrap_interval_over_the_held_out_rows(tmp_path, writer) -> None:
    from grader.api import run_submission
    from grader.datasets.store import DatasetStore

    store = DatasetStore.synthetic(tmp_path / "store", names=("usa_housing",))
    verified = run_submission(writer(tmp_path / "src", "housing.py", HOUSING_SCRIPT), datasets=store, cpus=2)
    assert verified.evidence.run.status is RunStatus.COMPLETED, verified.evidence.run.message
    (model,) = verified.evidence.models
    ver = verified.verification(model.id)
    import math

    import pandas as pd

    held_out = math.ceil(0.25 * len(pd.read_csv(store.find("usa_housing"))))  # train_test_split's test_size rule
    assert ver.test_rows == held_out
    for name in ("mae", "mse", "relative_error"):
        fig = ver.figure(name, "test")
        assert fig is not None and fig.status is FigureStatus.VERIFIED and fig.interval is not None, name
        assert fig.interval.method == "bootstrap" and fig.interval.n == held_out, name
        assert fig.interval.low < fig.verified < fig.interval.high, name
