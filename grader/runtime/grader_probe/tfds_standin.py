"""A stand-in ``tensorflow_datasets``, importable only where the real one is absent (it is, here).

``tfds.load("mnist" | "fashion_mnist", split=..., as_supervised=..., with_info=..., batch_size=...)``
returns ``tf.data`` datasets (or, with ``batch_size=-1``, whole tensors) built from the grader's
served arrays, in tfds's element layout (``image`` uint8 of shape (28, 28, 1), ``label`` int64), with a
note. Any other name fails at once, named: the sandbox has no network to download it. Part of
adaptation (grader_probe.adapt); the finder sits before adapt's finder of last resort and after every
real finder, so an installed tensorflow_datasets always wins. Stdlib-only at import.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import re
import sys
import types
from typing import Any

from grader_probe import notes

TOPIC = "adaptation"
PACKAGE = "tensorflow_datasets"
SERVED = ("mnist", "fashion_mnist")
_FASHION_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                  "Ankle boot")
_SLICE = re.compile(r"^(?P<split>\w+)(?:\[(?P<start>-?\d+%?)?:(?P<stop>-?\d+%?)?\])?$")


class DatasetNotFoundError(ValueError):
    """tfds's own name for a dataset it cannot give."""


def _note(kind: str, detail: str, subjects: list[str]) -> None:
    notes.note(kind, TOPIC, detail, subjects, per_line=True)


def _bound(text: str | None, n: int, default: int) -> int:
    if text is None or text == "":
        return default
    if text.endswith("%"):
        value = int(round(n * int(text[:-1]) / 100))
    else:
        value = int(text)
    if value < 0:
        value += n
    return max(0, min(n, value))


def split_rows(spec: str, sizes: dict[str, int]) -> list[tuple[str, int, int]]:
    """``train[:80%]+test`` -> [(split, start, stop), ...] over the served splits' sizes."""
    out = []
    for piece in str(spec).replace(" ", "").split("+"):
        match = _SLICE.match(piece)
        if match is None or match.group("split") not in sizes:
            raise ValueError(f"unknown split {piece!r}; this dataset has {', '.join(sizes)}")
        name = match.group("split")
        n = sizes[name]
        out.append((name, _bound(match.group("start"), n, 0), _bound(match.group("stop"), n, n)))
    return out


class _Split:
    def __init__(self, name: str, num_examples: int):
        self.name, self.num_examples = name, num_examples

    def __repr__(self) -> str:
        return f"<SplitInfo num_examples={self.num_examples}>"


class ClassLabel:
    def __init__(self, names: list[str]):
        self.names = list(names)
        self.num_classes = len(names)

    def int2str(self, index: int) -> str:
        return self.names[int(index)]

    def str2int(self, name: str) -> int:
        return self.names.index(name)


class Image:
    def __init__(self, shape: tuple[int, ...]):
        self.shape, self.dtype = shape, "uint8"


class DatasetInfo:
    """The parts of tfds's DatasetInfo that notebooks read: features, splits, supervised keys."""

    def __init__(self, name: str, shape: tuple[int, ...], sizes: dict[str, int]):
        labels = list(_FASHION_NAMES) if name == "fashion_mnist" else [str(i) for i in range(10)]
        self.name = name
        self.features = {"image": Image(shape), "label": ClassLabel(labels)}
        self.splits = {k: _Split(k, v) for k, v in sizes.items()}
        self.supervised_keys = ("image", "label")
        self.description = f"{name}, served by the grader from its own copy"
        self.full_name = f"{name}/3.0.1"

    def __repr__(self) -> str:
        return f"tfds.core.DatasetInfo(name='{self.name}', served by the grader)"


def _served(name: str) -> dict[str, Any]:
    from grader_probe.datafiles import _arrays

    arrays = _arrays(name)
    if arrays is None:
        _note("failed", f"tfds.load({name!r}): the grader serves {name} from its own copy, but this exercise is not "
              f"given {name}", [name])
        raise DatasetNotFoundError(f"[grader] {name} is not provided for this exercise (no network to download it)")
    return arrays


def load(name: str, *, split: Any = None, as_supervised: bool = False, with_info: bool = False,
         batch_size: int | None = None, shuffle_files: bool = False, **_: Any) -> Any:
    key = str(name).split(":")[0].split("/")[0].strip().lower()
    if key not in SERVED:
        _note("failed", f"tfds.load({name!r}): tensorflow_datasets is not in the grader's environment, and its "
              f"stand-in serves only {' and '.join(SERVED)} (the sandbox has no network to download {name})", [str(name)])
        raise DatasetNotFoundError(f"[grader] tfds.load({name!r}): only {', '.join(SERVED)} are served; "
                                   "the sandbox has no network")
    import numpy as np
    import tensorflow as tf

    arrays = _served(key)
    sizes = {"train": len(arrays["x_train"]), "test": len(arrays["x_test"])}
    shape = tuple(arrays["x_train"].shape[1:]) + ((1,) if arrays["x_train"].ndim == 3 else ())

    def one(spec: Any) -> Any:
        xs, ys = [], []
        for part, start, stop in split_rows(str(spec), sizes):
            xs.append(arrays[f"x_{part}"][start:stop])
            ys.append(arrays[f"y_{part}"][start:stop])
        x = np.concatenate(xs).reshape((-1, *shape)).astype(np.uint8)
        y = np.concatenate(ys).reshape(-1).astype(np.int64)
        if batch_size == -1:
            tx, ty = tf.constant(x), tf.constant(y)
            return (tx, ty) if as_supervised else {"image": tx, "label": ty}
        ds = tf.data.Dataset.from_tensor_slices((x, y) if as_supervised else {"image": x, "label": y})
        return ds.batch(batch_size) if batch_size else ds

    if split is None:
        result: Any = {k: one(k) for k in sizes}
    elif isinstance(split, (list, tuple)):
        result = [one(s) for s in split]
    else:
        result = one(split)
    what = "whole tensors" if batch_size == -1 else "tf.data datasets"
    _note("provided", f"tfds.load({name!r}) returned {what} of the grader's {key} copy "
          f"({sizes['train']} train / {sizes['test']} test examples): tensorflow_datasets is not in the grader's "
          "environment and the sandbox has no network", [str(name)])
    return (result, DatasetInfo(key, shape, sizes)) if with_info else result


def as_numpy(data: Any) -> Any:
    if hasattr(data, "as_numpy_iterator"):
        return data.as_numpy_iterator()
    if isinstance(data, dict):
        return {k: as_numpy(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(as_numpy(v) for v in data)
    return data.numpy() if hasattr(data, "numpy") else data


def _not_served(what: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        _note("failed", f"tfds.{what}: the grader's tensorflow_datasets stand-in has only load() and as_numpy()",
              [f"tfds.{what}"])
        raise NotImplementedError(f"[grader] tfds.{what} is not available in the grader (only tfds.load of "
                                  f"{', '.join(SERVED)})")

    return call


def _module(name: str) -> types.ModuleType:
    module = types.ModuleType(name, "A stand-in for tensorflow_datasets, served by the grader (mnist, "
                                    "fashion_mnist).")
    module.load = load  # type: ignore[attr-defined]
    module.as_numpy = as_numpy  # type: ignore[attr-defined]
    module.disable_progress_bar = lambda: None  # type: ignore[attr-defined]
    module.enable_progress_bar = lambda: None  # type: ignore[attr-defined]
    module.Split = types.SimpleNamespace(  # type: ignore[attr-defined]
        TRAIN="train", TEST="test", VALIDATION="validation", ALL="train+test")
    module.list_builders = lambda *a, **k: list(SERVED)  # type: ignore[attr-defined]
    for what in ("builder", "show_examples", "as_dataframe", "benchmark"):
        setattr(module, what, _not_served(what))
    module.core = types.SimpleNamespace(  # type: ignore[attr-defined]
        DatasetInfo=DatasetInfo, DatasetNotFoundError=DatasetNotFoundError)
    module.features = types.SimpleNamespace(ClassLabel=ClassLabel, Image=Image)  # type: ignore[attr-defined]
    module.__dict__["_grader_stub"] = True
    return module


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):  # type: ignore[override]
        return _module(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        pass


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):  # type: ignore[override]
        from grader_probe import adapt

        if fullname != PACKAGE or not adapt.active() or not adapt._importer_is_student():
            return None
        notes.note("provided", TOPIC, "import tensorflow_datasets: not in the grader's environment; a stand-in whose "
                   "load() serves mnist and fashion_mnist from the grader's copy was imported instead", [PACKAGE],
                   echo=False, per_line=True)
        return importlib.machinery.ModuleSpec(fullname, _Loader())


_finder = _Finder()


def register() -> None:
    """Appended to sys.meta_path: after every real finder, before adapt's finder of last resort
    (grader_probe.adapt registers this first)."""
    if _finder not in sys.meta_path:
        sys.meta_path.append(_finder)
