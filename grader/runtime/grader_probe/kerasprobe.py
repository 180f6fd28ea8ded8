"""Wraps Model.compile/fit/evaluate so every model a submission trains is recorded.

Hooks the model base class itself (Keras 3's `keras.src.models.model.Model`, legacy
`tf_keras.src.engine.training.Model`), so tf.keras, standalone keras, Sequential,
functional and subclassed models are all caught without touching student source.
"""

from __future__ import annotations

import inspect
import itertools
import os
from json import load as _load
import threading
import time
from typing import Any, Callable

from grader_probe import events, importhook
from grader_probe.fingerprint import fingerprint
from grader_probe.modelinfo import metric_names, snapshot

_ids = itertools.count(1)
_fit_index = itertools.count(0)
_eval_index = itertools.count(0)
_state = threading.local()
_ID_ATTR = "_grader_probe_id"
_CALLBACK_FIELDS = ("monitor", "patience", "min_delta", "mode", "restore_best_weights", "baseline",
                    "start_from_epoch", "filepath", "save_best_only", "factor", "min_lr", "stopped_epoch", "best")


def _depth() -> int:
    return getattr(_state, "depth", 0)


def model_id(model: Any) -> str:
    mid = model.__dict__.get(_ID_ATTR)
    if mid is None:
        mid = f"m{next(_ids)}"
        object.__setattr__(model, _ID_ATTR, mid)  # bypass Keras attribute tracking
    return mid


def _bind(fn: Callable, model: Any, args: tuple, kwargs: dict) -> dict[str, Any]:
    try:
        bound = inspect.signature(fn).bind_partial(model, *args, **kwargs)
        values = dict(bound.arguments)
        values.pop("self", None)
        for name, param in inspect.signature(fn).parameters.items():
            if param.kind is inspect.Parameter.VAR_KEYWORD and name in values:
                values.update(values.pop(name))
        return values
    except TypeError:
        return dict(kwargs)


def _callback_info(cb: Any) -> dict[str, Any]:
    config = {}
    for field in _CALLBACK_FIELDS:
        value = getattr(cb, field, None)
        if field == "min_delta" and isinstance(value, (int, float)):
            value = abs(value)  # Keras keeps it negated when it monitors a quantity to minimise
        if isinstance(value, (int, float, str, bool)):
            config[field] = value
    return {"class_name": type(cb).__name__, "config": config}


def _make_callback(base: type, record: dict[str, Any], mid: str) -> Any:
    class GraderProbeCallback(base):  # type: ignore[misc, valid-type]
        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - getattr(self, "_t0", time.perf_counter())
            logs = {k: float(v) for k, v in (logs or {}).items() if _floatable(v)}
            for key, value in logs.items():
                record["history"].setdefault(key, []).append(value)
            record["epoch_seconds"].append(round(seconds, 4))
            record["epochs_run"] += 1
            events.emit("epoch", model=mid, fit=record["index"], epoch=epoch + 1,
                        epochs=record.get("epochs_requested"), logs=logs, seconds=round(seconds, 4))
            if record["epochs_run"] == ESTIMATE_AFTER:
                estimate(mid, record)

    return GraderProbeCallback()


ESTIMATE_AFTER = 2  # epochs: the first one also pays for tracing the graph, the second shows the pace


def estimate(mid: str, record: dict[str, Any]) -> None:
    """Will this fit finish before the limit that stops its cell? Said early, as a progress event.

    The driver writes when the running cell will be stopped (DEADLINE_FILE); the remaining epochs are
    priced at the last epoch's seconds. Display only: nothing is graded on it.
    """
    base, requested = events.out_dir(), record.get("epochs_requested")
    if not base or not isinstance(requested, int):
        return
    try:
        with open(os.path.join(base, "deadline.json"), encoding="utf-8") as fh:
            info = _load(fh)
        deadline = float(info["deadline"])
    except Exception:  # no limit published (a run without one), or a file the submission spoiled
        return
    done = int(record["epochs_run"])
    remaining = requested - int(record.get("initial_epoch") or 0) - done
    if remaining <= 0 or not record["epoch_seconds"]:
        return
    per_epoch = float(record["epoch_seconds"][-1])
    needed, left = remaining * per_epoch, deadline - time.time()
    events.emit("fit_estimate", model=mid, fit=record["index"], epoch=done, epochs=requested,
                seconds_per_epoch=round(per_epoch, 3), needed_s=round(needed, 1), left_s=round(left, 1),
                will_finish=needed <= left, limit=info.get("limit"), limit_s=info.get("seconds"))


def _floatable(value: Any) -> bool:
    try:
        float(value)
        return True
    except Exception:
        return False


def _save(model: Any, name: str) -> tuple[str | None, str | None]:
    base = events.out_dir()
    if not base:
        return None, "no output folder"
    rel = os.path.join("models", name)
    try:
        os.makedirs(os.path.join(base, "models"), exist_ok=True)
        model.save(os.path.join(base, rel))
        return rel, None
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]


def patch_model_class(cls: type, framework: str, callback_base: Callable[[], type]) -> None:
    if getattr(cls, "_grader_probe_patched", False):
        return
    orig_compile, orig_fit, orig_evaluate = cls.compile, cls.fit, cls.evaluate

    def compile(self, *args, **kwargs):
        result = orig_compile(self, *args, **kwargs)
        if _depth() == 0:
            bound = _bind(orig_compile, self, args, kwargs)
            snap = snapshot(self, model_id(self), framework)
            snap["metrics"] = metric_names(bound.get("metrics"))
            events.emit("compile", model=snap)
        return result

    def fit(self, *args, **kwargs):
        if _depth() > 0:
            return orig_fit(self, *args, **kwargs)
        mid = model_id(self)
        bound = _bind(orig_fit, self, args, kwargs)
        x = bound.get("x")
        val = bound.get("validation_data")
        record: dict[str, Any] = {
            "index": next(_fit_index),
            "epochs_requested": bound.get("epochs", 1) if isinstance(bound.get("epochs", 1), int) else None,
            "initial_epoch": bound.get("initial_epoch", 0) or 0,
            "batch_size": bound.get("batch_size") or (32 if hasattr(x, "shape") else None),
            "shuffle": bound.get("shuffle", True) if isinstance(bound.get("shuffle", True), bool) else None,
            "validation_split": float(bound.get("validation_split") or 0.0) or None,
            "has_validation_data": val is not None,
            "history": {}, "epoch_seconds": [], "epochs_run": 0, "finished": False,
        }
        user_callbacks = list(bound.get("callbacks") or [])
        try:
            record["x"] = fingerprint(x, signatures=f"{mid}_fit{record['index']}_x")
            record["y"] = fingerprint(bound.get("y"))
            if isinstance(val, (tuple, list)) and len(val) >= 2:
                record["validation_x"] = fingerprint(val[0])
                record["validation_y"] = fingerprint(val[1])
            bound["callbacks"] = user_callbacks + [_make_callback(callback_base(), record, mid)]
        except Exception as exc:  # fall back to an unobserved fit rather than break it
            events.emit("probe_warning", message=f"fit not fully observed: {exc!r}")
        quick = os.environ.get("GRADER_QUICK")
        if quick and isinstance(record["epochs_requested"], int):
            # Quick mode: one epoch shows the structure; the requested count stays on record.
            bound["epochs"] = min(record["epochs_requested"], int(record["initial_epoch"]) + 1)
            record["quick"] = True
        if (record.get("x") or {}).get("signature_file"):
            # The fit's rows are known now: the host can count test rows among them while it trains.
            events.emit("fit_data", model=mid, fit=record["index"], x=record["x"],
                        validation_split=record["validation_split"])
        events.emit("fit_start", model=mid, fit=record["index"], epochs=record["epochs_requested"])
        _state.depth = _depth() + 1
        try:
            result = orig_fit(self, **bound)
            record["finished"] = True
            return result
        except BaseException as exc:
            record["error"] = f"{type(exc).__name__}: {exc}"[:500]
            raise
        finally:
            _state.depth = _depth() - 1
            record["callbacks"] = [_callback_info(cb) for cb in user_callbacks]
            record["saved_model"], record["save_error"] = _save(self, f"{mid}_fit{record['index']}.keras")
            events.emit("fit", model=snapshot(self, mid, framework), fit=record)

    def evaluate(self, *args, **kwargs):
        if _depth() > 0:
            return orig_evaluate(self, *args, **kwargs)
        mid = model_id(self)
        bound = _bind(orig_evaluate, self, args, kwargs)
        _state.depth = _depth() + 1
        try:
            result = orig_evaluate(self, *args, **kwargs)
        finally:
            _state.depth = _depth() - 1
        try:
            results = _results(self, result)
            record = {"index": next(_eval_index), "results": results,
                      "x": fingerprint(bound.get("x")), "y": fingerprint(bound.get("y"))}
            events.emit("evaluate", model=snapshot(self, mid, framework), evaluate=record)
        except Exception as exc:
            events.emit("probe_warning", message=f"evaluate not recorded: {exc!r}")
        return result

    compile._grader_probe = True  # type: ignore[attr-defined]  (no override of the student's: _keep_compile_on_load)
    cls.compile, cls.fit, cls.evaluate = compile, fit, evaluate
    cls._grader_probe_patched = True


def _results(model: Any, result: Any) -> dict[str, float]:
    if isinstance(result, dict):
        return {str(k): float(v) for k, v in result.items() if _floatable(v)}
    getter = getattr(model, "get_metrics_result", None)
    if getter is not None:
        try:
            return {str(k): float(v) for k, v in getter().items() if _floatable(v)}
        except Exception:
            pass
    values = result if isinstance(result, (list, tuple)) else [result]
    names = list(getattr(model, "metrics_names", []) or [])
    return {str(n): float(v) for n, v in zip(names, values) if _floatable(v)}


def _patch_loaders(module: Any, names: tuple[str, ...]) -> None:
    for name in names:
        orig = getattr(module, name, None)
        if orig is None or getattr(orig, "_grader_probe", False):
            continue

        def wrapper(*args, _orig=orig, _name=name, **kwargs):
            source = args[0] if args else kwargs.get("filepath") or kwargs.get("filename")
            events.emit("weights_loaded", via=_name, source=str(source)[:300])
            return _orig(*args, **kwargs)

        wrapper._grader_probe = True  # type: ignore[attr-defined]
        setattr(module, name, wrapper)


def _on_keras_model(module: Any) -> None:
    def base() -> type:
        from keras.src.callbacks.callback import Callback

        return Callback

    patch_model_class(module.Model, "keras", base)
    orig_load_weights = module.Model.load_weights

    def load_weights(self, *args, **kwargs):
        events.emit("weights_loaded", via="Model.load_weights", model=model_id(self),
                    source=str(args[0] if args else kwargs.get("filepath"))[:300])
        return orig_load_weights(self, *args, **kwargs)

    module.Model.load_weights = load_weights
    _keep_compile_on_load()


def _keep_compile_on_load() -> None:
    """Keras compiles a reloaded model only when its class's compile is Trainer.compile (a subclass's own
    compile is respected); the probe's and compat's wrappers are no override, so a model the student
    saves and loads back stays compiled, as it does outside the grader."""
    from keras.src.trainers.trainer import Trainer

    orig = Trainer.compile_from_config
    if getattr(orig, "_grader_probe", False):
        return

    def compile_from_config(self, config):
        compile_fn = type(self).compile
        if not (getattr(compile_fn, "_grader_probe", False) or getattr(compile_fn, "_grader_compat", False)):
            return orig(self, config)
        from keras.src.saving import serialization_lib

        self.compile(**serialization_lib.deserialize_keras_object(config))
        if hasattr(self, "optimizer") and self.built:
            self.optimizer.build(self.trainable_variables)

    compile_from_config._grader_probe = True  # type: ignore[attr-defined]
    Trainer.compile_from_config = compile_from_config


def _on_tf_keras_training(module: Any) -> None:
    def base() -> type:
        from tf_keras.src.callbacks import Callback

        return Callback

    patch_model_class(module.Model, "tf_keras", base)


def register() -> None:
    importhook.when_imported("keras.src.models.model", _on_keras_model)
    importhook.when_imported("tf_keras.src.engine.training", _on_tf_keras_training)
    importhook.when_imported("keras.src.saving.saving_api", lambda m: _patch_loaders(m, ("load_model",)))
    importhook.when_imported("tf_keras.src.saving.saving_api", lambda m: _patch_loaders(m, ("load_model",)))
    importhook.when_imported("tensorflow", _on_tensorflow)


def _on_tensorflow(module: Any) -> None:
    # Belt and braces with the TF_NUM_*_THREADS variables: honour the CPU budget even
    # when a course image's TensorFlow ignores them.
    threads = int(os.environ.get("GRADER_CPUS", "0") or 0)
    if threads > 0:
        try:
            module.config.threading.set_intra_op_parallelism_threads(threads)
            module.config.threading.set_inter_op_parallelism_threads(min(2, threads))
        except Exception:
            pass
    events.emit("versions", tensorflow=str(getattr(module, "__version__", "")))
