"""Finds the Keras models, fit histories and matplotlib figures alive in a kernel's namespace, and
describes them as the probe's events (plain data, the wire format of ``events.jsonl``).

Nothing here imports TensorFlow or Keras: objects are recognised by their classes' names and modules,
so a kernel that never imported Keras costs nothing, and tf.keras, standalone keras and tf_keras
models are all found.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import Any

from grader.kernelcheck.probe import probe_module

MAX_MODELS = 200
_MODEL_BASES = {("keras.src.models.model", "Model"), ("tf_keras.src.engine.training", "Model")}


def _framework(obj: Any) -> str | None:
    """'keras' or 'tf_keras' for a Keras model, else None."""
    for cls in type(obj).__mro__:
        if (cls.__module__, cls.__name__) in _MODEL_BASES:
            return "tf_keras" if cls.__module__.startswith("tf_keras") else "keras"
    return None


def _is_history(obj: Any) -> bool:
    return any(cls.__name__ == "History" and cls.__module__.startswith(("keras", "tf_keras"))
               for cls in type(obj).__mro__) and isinstance(getattr(obj, "history", None), dict)


def _candidates(namespace: Mapping[str, Any]) -> Iterable[Any]:
    """The namespace's values, and the items of its dicts, lists and tuples (one level: a dict of
    histories from a loop, a list of models)."""
    for name, value in list(namespace.items()):
        if name.startswith("_"):  # IPython's _, __, _i1, _oh...: output caches repeat what is named elsewhere
            continue
        yield value
        if isinstance(value, Mapping):
            yield from list(value.values())[:1000]
        elif isinstance(value, (list, tuple)):
            yield from list(value)[:1000]


class KernelObjects:
    """The models (in order of first sight) and each one's fit histories."""

    def __init__(self) -> None:
        self.models: dict[int, tuple[Any, str]] = {}
        self.histories: dict[int, list[Any]] = {}

    def add_model(self, model: Any, framework: str) -> None:
        if id(model) not in self.models and len(self.models) < MAX_MODELS:
            self.models[id(model)] = (model, framework)
            self.histories.setdefault(id(model), [])

    def add_history(self, history: Any) -> None:
        model = getattr(history, "model", None)
        framework = _framework(model) if model is not None else None
        if framework is None:
            return  # a History whose model is gone: nothing to attach it to
        self.add_model(model, framework)
        mine = self.histories.setdefault(id(model), [])
        if all(h is not history for h in mine):
            mine.append(history)


def find_objects(namespace: Mapping[str, Any]) -> KernelObjects:
    found = KernelObjects()
    if not any(m in sys.modules for m in ("keras", "tf_keras", "tensorflow")):
        return found  # no Keras loaded: there can be no model
    for value in _candidates(namespace):
        try:
            if (framework := _framework(value)) is not None:
                found.add_model(value, framework)
                if _is_history(getattr(value, "history", None)):
                    found.add_history(value.history)  # the last fit's History, kept on the model by Keras
            elif _is_history(value):
                found.add_history(value)
        except Exception:  # noqa: BLE001 - a student's object with a property that raises is simply not ours
            continue
    return found


def _fit_record(history: Any, index: int) -> dict[str, Any]:
    """A History as the probe's fit record: what Keras kept of the fit (not its data or batch size)."""
    logs = {str(k): [float(v) for v in series] for k, series in history.history.items()
            if isinstance(series, (list, tuple))}
    params = getattr(history, "params", None) or {}
    requested = params.get("epochs") if isinstance(params.get("epochs"), int) else None
    epochs_run = len(getattr(history, "epoch", []) or []) or max((len(s) for s in logs.values()), default=0)
    return {"index": index, "epochs_requested": requested, "epochs_run": epochs_run, "history": logs,
            "has_validation_data": any(k.startswith("val_") for k in logs), "finished": True}


def model_events(found: KernelObjects) -> list[dict[str, Any]]:
    """One 'compile' event per model and one 'fit' event per history, as the probe writes them."""
    modelinfo = probe_module("modelinfo")
    events: list[dict[str, Any]] = []
    fit_index = 0
    for n, (key, (model, framework)) in enumerate(found.models.items(), start=1):
        snap = modelinfo.snapshot(model, f"m{n}", framework)
        config = getattr(model, "_compile_config", None)
        compiled = getattr(config, "config", None) if config is not None else None
        metrics = modelinfo.metric_names(compiled.get("metrics")) if isinstance(compiled, dict) else []
        events.append({"event": "compile", "model": {**snap, "metrics": metrics}})
        for history in found.histories.get(key, []):
            events.append({"event": "fit", "model": snap, "fit": _fit_record(history, fit_index)})
            fit_index += 1
    return events
