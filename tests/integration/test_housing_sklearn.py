"""A housing regression written the way the course's reference tutorial writes it (pandas, scikit-learn's
train_test_split and MinMaxScaler, a price scaled by its maximum) is re-measured by the grader on the very
rows the student held out: the split is rebuilt, not guessed, and the verified error matches the student's."""

from __future__ import annotations

from pathlib import Path

import pytest
from submission_files import write_submission

pytestmark = pytest.mark.tf

SCRIPT = """
    import numpy as np
    import pandas as pd
    import tensorflow as tf
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import MinMaxScaler

    tf.keras.utils.set_random_seed(1)
    df = pd.read_csv("USA_Housing.csv").drop(columns=["Address"])
    train, test = train_test_split(df, test_size=0.25, random_state=42)
    max_price = train["Price"].max()
    scaler = MinMaxScaler().fit(train.drop(columns=["Price"]))
    x_train = scaler.transform(train.drop(columns=["Price"]))
    x_test = scaler.transform(test.drop(columns=["Price"]))
    y_train, y_test = train["Price"] / max_price, test["Price"] / max_price

    model = tf.keras.Sequential([
        tf.keras.Input((5,)),
        tf.keras.layers.Dense(8, activation="relu"),
        tf.keras.layers.Dense(4, activation="relu"),
        tf.keras.layers.Dense(1, activation="linear"),
    ])
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-2), loss="mean_squared_error", metrics=["mae"])
    model.fit(x_train, y_train, validation_data=(x_test, y_test), epochs=15, batch_size=32, verbose=0)
    loss, mae = model.evaluate(x_test, y_test, verbose=0)
    mine = np.abs(model.predict(x_test, verbose=0)[:, 0] * max_price - test["Price"]).mean() / test["Price"].mean()
    print(f"MY_RELATIVE_ERROR {mine:.6f}")
"""


def test_sklearn_split_and_scaling_are_rebuilt_and_the_error_verified(tmp_path: Path) -> None:
    from grader.api import run_submission
    from grader.datasets.store import DatasetStore
    from grader.verify.verified import FigureStatus, VerificationStatus

    script = write_submission(tmp_path / "sub", "housing.py", SCRIPT)
    store = DatasetStore.synthetic(tmp_path / "store", names=("usa_housing",))
    verified = run_submission(script, datasets=store, cpus=2)
    run = verified.evidence.run
    assert run.status.value == "completed", (run.message, run.log_tail)
    (model,) = verified.evidence.models
    check = verified.verification(model.id)
    assert check is not None and check.status is VerificationStatus.VERIFIED, check
    rel = check.figure("relative_error", "test")
    assert rel is not None and rel.status is FigureStatus.VERIFIED and rel.verified is not None, check.figures
    printed = float(run.log_tail.split("MY_RELATIVE_ERROR ")[1].split()[0])
    assert rel.verified == pytest.approx(printed, rel=1e-3)
