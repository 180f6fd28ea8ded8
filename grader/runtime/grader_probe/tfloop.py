"""Records hand-written TensorFlow training loops: tf.Variables, GradientTape and optimizer steps.

Students who write a network as plain variables and a ``tf.GradientTape`` loop never call
``Model.fit``, so :mod:`kerasprobe` sees nothing. This module wraps, cheaply:

* ``GradientTape.gradient`` -- when every source is a variable, the call defines a *training*
  keyed by that tuple of variables; its scalar target (the loss) is sampled when eager;
* the Keras 3 optimizer's ``apply`` (``apply_gradients`` funnels into it) and tf_keras's
  ``apply_gradients`` -- the optimizer, its learning rate, and its ``iterations`` counter,
  which counts steps even when the loop runs inside a ``tf.function`` (where Python wrappers
  only run while tracing);
* ``assign_sub``/``assign`` on variables that were gradient sources, outside any optimizer:
  the hand-written ``w.assign_sub(lr * g)`` update.

Calls made while ``Model.fit``/``evaluate`` (kerasprobe's depth) or ``train_on_batch`` run are
ignored: kerasprobe records those. Snapshots (one ``custom_training`` event per training and
an ``.npz`` of its variables) are written when the run ends, after each notebook cell, and at
most every ``FLUSH_EVERY_S`` seconds while a loop runs.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
import time
import weakref
from typing import Any

from grader_probe import events, importhook, kerasprobe

MAX_TRAININGS = 50
MAX_VARIABLES = 500
LOSS_CAP = 400  # samples kept per training; past it every other one is dropped and the stride doubles
MAX_SAVE_VALUES = 50_000_000  # variables larger than this in total are described, not saved
FLUSH_EVERY_S = 30.0

_lock = threading.RLock()
_local = threading.local()  # .busy: inside an optimizer step or a train_on_batch
_trainings: dict[tuple[int, ...], "_Training"] = {}
_by_var: dict[int, "_Training"] = {}  # id(variable) -> the first training that owns it
_state = {"dirty": False, "last_flush": time.monotonic(), "ipython": False}
_last: list[Any] = [None, -1, None, None, None]  # last gradient sources: object, length, training, ends
_monotonic = time.monotonic


def _busy() -> bool:
    return getattr(_local, "busy", 0) > 0 or kerasprobe._depth() > 0


class _Training:
    __slots__ = ("id", "variables", "gradient_calls", "traced_calls", "losses", "stride", "optimizer",
                 "opt_ref", "opt_start", "apply_calls", "manual_updates", "manual_calls", "saved", "save_error")

    def __init__(self, tid: str, variables: list[Any]) -> None:
        self.id = tid
        self.variables = variables  # strong refs: the student's weights, alive anyway while training
        self.gradient_calls = 0
        self.traced_calls = 0
        self.losses: list[tuple[int, float]] = []
        self.stride = 1
        self.optimizer: dict[str, Any] | None = None
        self.opt_ref: Any = None
        self.opt_start: int | None = None
        self.apply_calls = 0
        self.manual_updates = 0  # assign/assign_sub calls on the training's variables outside an optimizer
        self.manual_calls: dict[str, int] = {}
        self.saved: str | None = None
        self.save_error: str | None = None

    def sample_loss(self, step: int, target: Any) -> None:
        if step % self.stride:
            return
        try:
            value = float(target)  # a 0-d eager tensor: one small device-to-host copy
        except Exception:
            return
        self.losses.append((step, value))
        if len(self.losses) > LOSS_CAP:
            self.losses = self.losses[::2]
            self.stride *= 2


def _is_variable(v: Any) -> bool:
    # tf.Variable (ResourceVariable) and Keras 3 variables both have these; plain tensors lack assign_sub.
    return hasattr(v, "assign_sub") and hasattr(v, "shape") and hasattr(v, "dtype")


def _flat(sources: Any) -> list[Any] | None:
    if _is_variable(sources):
        return [sources]
    if isinstance(sources, dict):
        sources = list(sources.values())
    if not isinstance(sources, (list, tuple)):
        return None
    out: list[Any] = []
    for s in sources:
        if isinstance(s, (list, tuple, dict)):
            inner = _flat(s)
            if inner is None:
                return None
            out.extend(inner)
        elif _is_variable(s):
            out.append(s)
        else:
            return None  # a watched tensor (saliency, adversarial input): not a training step
    return out


def _training_for(variables: list[Any]) -> _Training | None:
    key = tuple(id(v) for v in variables)
    t = _trainings.get(key)
    if t is not None:
        return t
    with _lock:
        t = _trainings.get(key)
        if t is None and len(_trainings) < MAX_TRAININGS and variables and len(variables) <= MAX_VARIABLES:
            t = _Training(f"t{len(_trainings) + 1}", list(variables))
            _trainings[key] = t
            for v in variables:
                _by_var.setdefault(id(v), t)
            _watch_cells()
        return t


def _after_step() -> None:
    _state["dirty"] = True
    if _monotonic() - _state["last_flush"] > FLUSH_EVERY_S:
        flush()


# --- wrappers --------------------------------------------------------------------------------

def _wrap_gradient(orig: Any) -> Any:
    def gradient(self, target, sources, *args, **kwargs):
        result = orig(self, target, sources, *args, **kwargs)
        if _busy():
            return result
        try:
            # Loops pass the same list object every step: skip flattening it again (the ends are
            # compared too, so a list refilled with a new network's variables is not mistaken).
            if sources is _last[0] and len(sources) == _last[1] and sources[0] is _last[3] and sources[-1] is _last[4]:
                t = _last[2]
            else:
                variables = _flat(sources)
                t = _training_for(variables) if variables else None
                if isinstance(sources, list) and sources:
                    _last[:] = [sources, len(sources), t, sources[0], sources[-1]]
            if t is not None:
                if _executing_eagerly():
                    t.sample_loss(t.gradient_calls, target)
                    t.gradient_calls += 1
                else:
                    t.traced_calls += 1  # inside a tf.function: this is a trace, not a step
                _after_step()
        except Exception:
            pass  # recording is best effort; the student's gradient is already computed
        return result

    gradient._grader_probe = True  # type: ignore[attr-defined]
    return gradient


def _optimizer_variables(opt: Any, variables: Any) -> list[Any]:
    if variables is None:
        variables = getattr(opt, "_trainable_variables", None) or []
    if not isinstance(variables, (list, tuple)):
        return []  # never consume an iterator the optimizer itself still has to read
    return [v for v in variables if _is_variable(v)]


def _register_optimizer(opt: Any, variables: list[Any]) -> None:
    t = _training_for(variables)
    if t is None:
        return
    if t.opt_ref is None:
        from grader_probe.modelinfo import optimizer_info

        # The first step may come while a tf.function traces: read the optimizer's state eagerly.
        with _init_scope():
            t.optimizer = optimizer_info(opt)
            t.opt_start = _iterations(opt)
        try:
            t.opt_ref = weakref.ref(opt)
        except TypeError:
            t.opt_ref = lambda opt=opt: opt
    if _executing_eagerly() and t.opt_ref() is opt:
        t.apply_calls += 1
    _after_step()


def _wrap_apply(orig: Any, variables_arg: str) -> Any:
    def apply(self, *args, **kwargs):
        if _busy():
            return orig(self, *args, **kwargs)
        try:
            if variables_arg == "grads_and_vars":
                pairs = list(args[0] if args else kwargs.get("grads_and_vars"))
                args, kwargs = (pairs,) + tuple(args[1:]), {k: v for k, v in kwargs.items() if k != "grads_and_vars"}
                variables = [v for _, v in pairs]
            else:
                variables = args[1] if len(args) > 1 else kwargs.get("trainable_variables")
            _register_optimizer(self, _optimizer_variables(self, variables))
        except Exception:
            pass
        _local.busy = getattr(_local, "busy", 0) + 1
        try:
            return orig(self, *args, **kwargs)
        finally:
            _local.busy -= 1

    apply._grader_probe = True  # type: ignore[attr-defined]
    return apply


def _wrap_update(orig: Any, name: str) -> Any:
    def update(self, *args, **kwargs):
        t = _by_var.get(id(self))
        if t is not None and t.opt_ref is None and not _busy():
            t.manual_updates += 1
            t.manual_calls[name] = t.manual_calls.get(name, 0) + 1
        return orig(self, *args, **kwargs)

    update._grader_probe = True  # type: ignore[attr-defined]
    return update


def _wrap_busy(orig: Any) -> Any:
    def method(self, *args, **kwargs):
        _local.busy = getattr(_local, "busy", 0) + 1
        try:
            return orig(self, *args, **kwargs)
        finally:
            _local.busy -= 1

    method._grader_probe = True  # type: ignore[attr-defined]
    return method


def _patch(cls: Any, name: str, make: Any, *extra: Any) -> None:
    """Wrap ``name`` where ``cls``'s MRO defines it (TF copies some methods onto subclasses)."""
    owner = next((k for k in getattr(cls, "__mro__", (cls,)) if name in k.__dict__), None)
    orig = owner.__dict__.get(name) if owner is not None else None
    if orig is None or getattr(orig, "_grader_probe", False):
        return
    setattr(owner, name, make(orig, *extra))


_executing_eagerly: Any = lambda: True  # noqa: E731  (replaced by tf.executing_eagerly on import)
_init_scope: Any = contextlib.nullcontext  # replaced by tf.init_scope on import


def _iterations(opt: Any) -> int | None:
    try:
        return int(opt.iterations.numpy())
    except Exception:
        return None


# --- hooks -----------------------------------------------------------------------------------

def _on_tensorflow(tf: Any) -> None:
    global _executing_eagerly, _init_scope
    _executing_eagerly, _init_scope = tf.executing_eagerly, tf.init_scope
    _patch(tf.GradientTape, "gradient", _wrap_gradient)
    from tensorflow.python.ops import resource_variable_ops

    for name in ("assign_sub", "assign"):
        _patch(resource_variable_ops.ResourceVariable, name, _wrap_update, name)
    atexit.register(flush)


def _on_keras_optimizer(module: Any) -> None:
    _patch(module.BaseOptimizer, "apply", _wrap_apply, "apply")


def _on_keras_variables(module: Any) -> None:
    for name in ("assign_sub", "assign"):
        _patch(module.Variable, name, _wrap_update, name)


def _on_keras_model(module: Any) -> None:
    for name in ("train_on_batch", "test_on_batch", "predict_on_batch"):
        _patch(module.Model, name, _wrap_busy)


def _on_tf_keras_optimizer(module: Any) -> None:
    base = getattr(module, "_BaseOptimizer", None) or getattr(module, "Optimizer", None)
    if base is not None:
        _patch(base, "apply_gradients", _wrap_apply, "grads_and_vars")


def _on_tf_keras_training(module: Any) -> None:
    for name in ("train_on_batch", "test_on_batch", "predict_on_batch"):
        _patch(module.Model, name, _wrap_busy)


def register() -> None:
    importhook.when_imported("tensorflow", _on_tensorflow)
    importhook.when_imported("keras.src.optimizers.base_optimizer", _on_keras_optimizer)
    importhook.when_imported("keras.src.backend.common.variables", _on_keras_variables)
    importhook.when_imported("keras.src.models.model", _on_keras_model)
    importhook.when_imported("tf_keras.src.optimizers.optimizer", _on_tf_keras_optimizer)
    importhook.when_imported("tf_keras.src.engine.training", _on_tf_keras_training)


def _watch_cells() -> None:
    """In a notebook kernel, snapshot after every cell: a kernel may be killed, not exited."""
    if _state["ipython"]:
        return
    _state["ipython"] = True
    try:
        import sys

        ipython = sys.modules.get("IPython")
        shell = ipython.get_ipython() if ipython is not None else None
        if shell is not None:
            shell.events.register("post_run_cell", lambda *_: flush())
    except Exception:
        pass


# --- snapshots -------------------------------------------------------------------------------

def _var_info(v: Any, key: str) -> dict[str, Any]:
    shape = [int(d) if d is not None else -1 for d in tuple(v.shape)]
    count = 1
    for d in shape:
        count *= max(d, 0)
    dtype = getattr(v.dtype, "name", None) or str(v.dtype)
    return {"key": key, "name": str(getattr(v, "path", None) or getattr(v, "name", "") or "")[:200],
            "shape": shape, "dtype": str(dtype), "count": count, "trainable": bool(getattr(v, "trainable", True))}


def _save(t: _Training, infos: list[dict[str, Any]]) -> None:
    base = events.out_dir()
    if not base:
        return
    if sum(i["count"] for i in infos) > MAX_SAVE_VALUES:
        t.save_error = f"variables hold more than {MAX_SAVE_VALUES:,} values; not saved"
        return
    try:
        import numpy as np

        arrays = {i["key"]: np.asarray(v.numpy()) for i, v in zip(infos, t.variables)}
        folder = os.path.join(base, "custom")
        os.makedirs(folder, exist_ok=True)
        rel = os.path.join("custom", f"{t.id}.npz")
        tmp = os.path.join(base, rel + ".tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, os.path.join(base, rel))
        t.saved, t.save_error = rel, None
    except Exception as exc:
        t.save_error = f"{type(exc).__name__}: {exc}"[:300]


def _record(t: _Training) -> dict[str, Any]:
    infos = [_var_info(v, f"v{i}") for i, v in enumerate(t.variables)]
    steps, source = None, None
    opt = t.opt_ref() if t.opt_ref is not None else None
    if opt is not None:
        with _init_scope():
            now = _iterations(opt)
        if now is not None and t.opt_start is not None:
            steps, source = now - t.opt_start, "optimizer.iterations"
        elif t.apply_calls:
            steps, source = t.apply_calls, "optimizer calls"
    elif t.gradient_calls:
        steps, source = t.gradient_calls, "gradient calls"
    _save(t, infos)
    return {
        "id": t.id, "variables": infos, "steps": steps, "steps_source": source,
        "gradient_calls": t.gradient_calls, "traced_gradient_calls": t.traced_calls,
        "optimizer": t.optimizer, "optimizer_calls": t.apply_calls,
        "update": "optimizer" if t.optimizer else ("assign" if t.manual_updates else "unknown"),
        "manual_updates": t.manual_updates, "loss_stride": t.stride,
        "losses": [{"step": s, "value": v} for s, v in t.losses],
        "weights_file": t.saved, "save_error": t.save_error,
    }


def flush() -> None:
    """Write one ``custom_training`` event (a full snapshot) per training seen; later ones supersede."""
    if not _state["dirty"]:
        return
    with _lock, _init_scope():
        _state["dirty"] = False
        _state["last_flush"] = _monotonic()
        for t in list(_trainings.values()):
            try:
                events.emit("custom_training", training=_record(t))
            except Exception as exc:
                events.emit("probe_warning", message=f"hand-written training {t.id} not recorded: {exc!r}"[:300])
