"""The verifier's housing re-measurement: recovering the scaling and the held-out rows from fingerprints."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "grader" / "runtime"))

import grader_tabular  # noqa: E402
from grader_probe.fingerprint import fingerprint  # noqa: E402

from grader.datasets.synthetic import make_housing  # noqa: E402


class LinearModel:
    """A least-squares fit standing in for a trained regressor: predict() is all the verifier calls."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        design = np.c_[x, np.ones(len(x))]
        self.coef = np.linalg.lstsq(design, y, rcond=None)[0]

    def predict(self, x: np.ndarray, **_: object) -> np.ndarray:
        return (np.c_[x, np.ones(len(x))] @ self.coef)[:, None]


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, np.ndarray, np.ndarray]:
    folder = tmp_path_factory.mktemp("housing")
    frame = make_housing(1000, seed=3)
    frame.to_csv(folder / grader_tabular.HOUSING_FILE, index=False)
    x = frame[list(grader_tabular.FEATURES)].to_numpy()
    return str(folder), x, frame["Price"].to_numpy()


def _split(kind: str, n: int, n_train: int) -> tuple[np.ndarray, np.ndarray]:
    if kind == "sklearn":  # train_test_split(X, y, test_size=n - n_train, random_state=42)
        perm = np.random.RandomState(42).permutation(n)
        return perm[n - n_train:], perm[: n - n_train]
    if kind == "permutation":
        np.random.seed(7)
        perm = np.random.permutation(n)
        return perm[:n_train], perm[n_train:]
    return np.arange(n_train), np.arange(n_train, n)


@pytest.mark.parametrize("kind", ["sklearn", "permutation", "head"])
@pytest.mark.parametrize("scaling", ["none", "standard", "minmax"])
def test_held_out_rows_and_scaling_are_recovered(table, kind: str, scaling: str) -> None:
    folder, x, price = table
    train, test = _split(kind, len(x), 800)
    if scaling == "standard":
        lo, span = x[train].mean(0), x[train].std(0)
    elif scaling == "minmax":
        lo, span = x[train].min(0), x[train].max(0) - x[train].min(0)
    else:
        lo, span = np.zeros(x.shape[1]), np.ones(x.shape[1])
    x_train, x_test = (x[train] - lo) / span, (x[test] - lo) / span
    y_train = price[train] / 1e5
    model = LinearModel(x_train, y_train)
    fit = {"x": fingerprint(x_train), "y": fingerprint(y_train)}
    got = grader_tabular.verify(model, folder, fit, [None, fingerprint(x_test)])
    assert got is not None and got["eval_matches_test"] == [False, True], got
    test_metrics = got["metrics"]["test"]
    want = np.abs(model.predict(x_test)[:, 0] * 1e5 - price[test]).mean() / price[test].mean()
    assert test_metrics["relative_error"] == pytest.approx(want, rel=1e-6)
    scaled_mae = np.abs(model.predict(x_test)[:, 0] - price[test] / 1e5).mean()
    assert test_metrics["mae"] == pytest.approx(scaled_mae, rel=1e-6)


def test_an_unknown_split_is_said_not_guessed(table) -> None:
    folder, x, price = table
    perm = np.random.default_rng(5).permutation(len(x))  # a generator the grader does not try
    train, test = perm[:800], perm[800:]
    model = LinearModel(x[train], price[train])
    fit = {"x": fingerprint(x[train]), "y": fingerprint(price[train])}
    got = grader_tabular.verify(model, folder, fit, [fingerprint(x[test])])
    assert got is not None and "metrics" not in got
    assert "could not tell which rows were held out" in got["notes"][0]


def test_other_data_is_not_claimed(table) -> None:
    folder, x, _ = table
    noise = np.random.default_rng(1).normal(size=(800, 5))
    fit = {"x": fingerprint(noise), "y": fingerprint(noise[:, 0])}
    assert grader_tabular.verify(LinearModel(noise, noise[:, 0]), folder, fit, []) is None


def test_a_column_subset_is_matched(table) -> None:
    folder, x, price = table
    train, test = _split("sklearn", len(x), 800)
    cols = [0, 1, 2, 4]  # bedrooms dropped
    model = LinearModel(x[train][:, cols], price[train])
    fit = {"x": fingerprint(x[train][:, cols]), "y": fingerprint(price[train])}
    got = grader_tabular.verify(model, folder, fit, [fingerprint(x[test][:, cols])])
    assert got is not None and "metrics" in got, got
