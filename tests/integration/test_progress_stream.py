"""Live progress: epoch events reach the grader while the sandboxed run is still going."""

import pytest

pytestmark = pytest.mark.tf

SOURCE = """
import time
from tensorflow import keras
(x, y), _ = keras.datasets.mnist.load_data()
x = x[:600].reshape(-1, 784) / 255.0
m = keras.Sequential([keras.Input((784,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(10, activation="softmax")])
m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
m.fit(x, y[:600], epochs=3, verbose=0)
time.sleep(1.0)
"""


def test_epoch_events_stream_in_order_before_the_run_ends(grade, submission):
    seen = []
    verified = grade(submission("live.py", SOURCE), progress=seen.append)
    kinds = [e["event"] for e in seen]
    assert kinds.index("fit_start") < kinds.index("epoch")
    epochs = [e["epoch"] for e in seen if e["event"] == "epoch"]
    assert epochs == [1, 2, 3] and all(e["epochs"] == 3 for e in seen if e["event"] == "epoch")
    assert "loss" in next(e for e in seen if e["event"] == "epoch")["logs"]
    # The last epoch event arrived before the run's end (the script sleeps after fit).
    assert seen[-1]["event"] in ("fit", "run_end") and verified.evidence.run.status.value == "completed"
