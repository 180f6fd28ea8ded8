"""Serves keras.datasets.*.load_data() from the grader's dataset store, with no network.

Patching the loaders (not Keras's cache folder) sidesteps Keras's hash check, which would
delete a non-identical file and then fail offline.
"""

from __future__ import annotations

import os
from typing import Any

from grader_probe import events, importhook

# keras module suffix -> (file in the grader's data folder, label reshape for cifar)
_DATASETS = {
    "mnist": "mnist.npz",
    "fashion_mnist": "fashion_mnist.npz",
    "cifar10": "cifar10.npz",
    "cifar100": "cifar100.npz",
}


def data_dir() -> str | None:
    return os.environ.get("GRADER_DATA") or None


def _quick_fraction() -> float:
    try:
        return float(os.environ.get("GRADER_QUICK", "0") or 0)
    except ValueError:
        return 0.0


def hidden_spec() -> tuple[float, int] | None:
    """(fraction held back, seed) from GRADER_HIDDEN ('0.5:1234'), or None: serve the whole test split."""
    try:
        fraction, seed = os.environ.get("GRADER_HIDDEN", "").split(":")
        return (float(fraction), int(seed)) if 0 < float(fraction) < 1 else None
    except ValueError:
        return None


def hidden_split(n: int, fraction: float, seed: int):
    """(served rows, hidden rows) of a test split of ``n`` rows, each in the split's order.

    The verifier computes the same split from the same seed: the hidden rows are the ones the grader
    measures on, and the submission never receives them.
    """
    import numpy as np

    order = np.random.default_rng(seed).permutation(n)
    held = max(1, min(n - 1, int(round(n * fraction))))
    return np.sort(order[held:]), np.sort(order[:held])


def make_loader(name: str, filename: str, original: Any) -> Any:
    def load_data(*args: Any, **kwargs: Any):
        import numpy as np

        folder = data_dir()
        path = os.path.join(folder, filename) if folder else None
        if not path or not os.path.exists(path):
            events.emit("dataset_missing", name=name)
            raise RuntimeError(
                f"The grader does not provide the dataset '{name}' for this exercise, and the "
                "sandbox has no network. Ask your instructor, or use the dataset the exercise names."
            )
        with np.load(path, allow_pickle=False) as data:
            x_train, y_train, x_test, y_test = (data[k] for k in ("x_train", "y_train", "x_test", "y_test"))
        hidden = hidden_spec()
        held_back = 0
        if hidden is not None:  # verify_on: hidden: the rest of the test split stays with the grader
            served, held = hidden_split(len(x_test), *hidden)
            x_test, y_test, held_back = x_test[served], y_test[served], len(held)
        fraction = _quick_fraction()
        if 0 < fraction < 1:
            # Quick mode: keep the split's order (so the grader can still recognise it) but
            # only a leading fraction of it.
            n_train, n_test = max(1, int(len(x_train) * fraction)), max(1, int(len(x_test) * fraction))
            x_train, y_train, x_test, y_test = x_train[:n_train], y_train[:n_train], x_test[:n_test], y_test[:n_test]
        events.emit("dataset", name=name, train=list(x_train.shape), test=list(x_test.shape), quick=fraction or None,
                    hidden=held_back or None)
        return (x_train, y_train), (x_test, y_test)

    load_data.__doc__ = getattr(original, "__doc__", None)
    load_data._grader_probe = True  # type: ignore[attr-defined]
    return load_data


def _patch(name: str, filename: str):
    def hook(module: Any) -> None:
        original = getattr(module, "load_data", None)
        if original is not None and not getattr(original, "_grader_probe", False):
            module.load_data = make_loader(name, filename, original)

    return hook


def register() -> None:
    for name, filename in _DATASETS.items():
        importhook.when_imported(f"keras.src.datasets.{name}", _patch(name, filename))
        importhook.when_imported(f"tf_keras.src.datasets.{name}", _patch(name, filename))
        importhook.when_imported(f"keras.datasets.{name}", _patch(name, filename))
