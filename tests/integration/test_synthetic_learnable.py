"""Synthetic digits separate good models from broken ones, as real MNIST does.

Grading thresholds are calibrated on that difference, so CI without the real data is only
meaningful if a sensible small network learns the stand-in and a degenerate one does not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from grader.datasets.synthetic import SplitArrays, make_dataset

pytestmark = pytest.mark.tf

keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def digits() -> SplitArrays:
    data = make_dataset("mnist", "small")
    assert isinstance(data, SplitArrays)
    return data


def _accuracy(data: SplitArrays, hidden: Callable[[], list[Any]], optimizer: Callable[[], Any], epochs: int) -> float:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((784,)), *hidden(), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizer(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x_train = data.x_train.reshape(-1, 784).astype("float32") / 255.0
    x_test = data.x_test.reshape(-1, 784).astype("float32") / 255.0
    model.fit(x_train, data.y_train, epochs=epochs, batch_size=32, verbose=0)
    return float(model.evaluate(x_test, data.y_test, verbose=0)[1])


@pytest.mark.parametrize(
    ("activation", "optimizer"),
    [("relu", lambda: keras.optimizers.Adam()), ("sigmoid", lambda: keras.optimizers.SGD(learning_rate=0.1))],
    ids=["relu-adam", "sigmoid-sgd0.1"],
)
def test_small_dense_network_learns_synthetic_digits(
    digits: SplitArrays, activation: str, optimizer: Callable[[], Any]
) -> None:
    accuracy = _accuracy(digits, lambda: [keras.layers.Dense(64, activation=activation)], optimizer, epochs=5)
    assert accuracy >= 0.9


def test_degenerate_network_stays_near_chance(digits: SplitArrays) -> None:
    # Ten 5-unit sigmoid layers: gradients vanish long before they reach the first layer.
    accuracy = _accuracy(
        digits,
        lambda: [keras.layers.Dense(5, activation="sigmoid") for _ in range(10)],
        lambda: keras.optimizers.SGD(learning_rate=0.01),
        epochs=3,
    )
    assert accuracy <= 0.25


def test_constant_prediction_is_chance(digits: SplitArrays) -> None:
    assert np.bincount(digits.y_test).max() / len(digits.y_test) <= 0.25
