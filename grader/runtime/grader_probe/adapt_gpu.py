"""GPU assumptions on a grader without a GPU: inert, one note per line; on a GPU grader, untouched.

`tf.config.list_physical_devices('GPU')` asked by the student's code on a machine with no GPU
returns an empty list that stays honest (``len()`` 0, falsy, iterates nothing, so ``if gpus:``
keeps its CPU path) but answers an index past its end with an :class:`AbsentGPU` instead of an
IndexError. The configuration calls (`set_memory_growth`, `set_visible_devices`,
`set_logical_device_configuration` and its old name) take that stand-in as a noted no-op.
`tf.device('/GPU:0')` already falls back to the CPU in TensorFlow 2 (soft placement): it runs
as written, noted. `tf.test.is_gpu_available()` answers False, noted. A mixed-precision policy
is the student's choice: it runs as written (in float16 on the CPU too, only slower), noted.
"""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable

from grader_probe import importhook, notes
from grader_probe.adapt import note

_state: dict[str, bool] = {}


def _head() -> str:
    what = "notebook" if "ipykernel" in sys.modules else "code"
    return f"this {what} assumes a GPU; the grader has none"


def gpu_absent() -> bool:
    """True when TensorFlow sees no GPU here (asked once, through the unwrapped function)."""
    if "absent" not in _state:
        try:
            from tensorflow.python.framework import config

            lister = getattr(config.list_physical_devices, "__wrapped__", config.list_physical_devices)
            _state["absent"] = not lister("GPU")
        except Exception:
            _state["absent"] = False  # cannot tell: leave everything as written
    return _state["absent"]


def _wants_gpu(device_type: Any) -> bool:
    return isinstance(device_type, str) and device_type.upper() in ("GPU", "XLA_GPU")


class AbsentGPU:
    """Stands for `list_physical_devices('GPU')[i]` on a grader with no GPU."""

    device_type = "GPU"

    def __init__(self, index: int, source: str = ""):
        self.index = index
        self.name = f"/physical_device:GPU:{index}"
        self.source = source  # the student's expression, for the note

    def __repr__(self) -> str:
        return f"AbsentGPU(name={self.name!r}, device_type='GPU')  # the grader has no GPU"


class NoGPUs(list):
    """An empty device list whose index past the end is an AbsentGPU rather than an IndexError."""

    def __init__(self, call: str):
        super().__init__()
        self._call = call

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, int) and not len(self):
            # No note here: the call that uses the stand-in says what had no effect, once for its line.
            return AbsentGPU(index if index >= 0 else 0, f"{self._call}[{index}]")
        return super().__getitem__(index)


def _absent(value: Any) -> AbsentGPU | None:
    if isinstance(value, AbsentGPU):
        return value
    if isinstance(value, (list, tuple)):
        return next((v for v in value if isinstance(v, AbsentGPU)), None)
    return None


def _lister(orig: Callable, name: str) -> Callable:
    @functools.wraps(orig)
    def wrapper(device_type: Any = None, *args: Any, **kwargs: Any) -> Any:
        found = orig(device_type, *args, **kwargs)
        if not found and _wants_gpu(device_type) and notes.called_from_student(2):
            return NoGPUs(f"{name}({device_type!r})")
        return found

    wrapper._grader_adapt = True  # type: ignore[attr-defined]
    return wrapper


def _inert(orig: Callable, name: str, answer: Any = None) -> Callable:
    @functools.wraps(orig)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        first = args[0] if args else next(iter(kwargs.values()), None)
        gpu = _absent(first)
        if gpu is not None:
            line = notes.student_line(2)
            where = f"line {line}" if line is not None else "this line"
            note("skipped", f"{_head()}: {where} had no effect ({name}({gpu.source or 'a GPU'}, ...) configures a "
                 "GPU that is not there)")
            return answer
        return orig(*args, **kwargs)

    wrapper._grader_adapt = True  # type: ignore[attr-defined]
    return wrapper


def _device(orig: Callable) -> Callable:
    @functools.wraps(orig)
    def device(name: Any) -> Any:
        if isinstance(name, AbsentGPU):
            name = name.name.replace("/physical_device:", "/")
        if isinstance(name, str) and "GPU" in name.upper() and notes.called_from_student(2) and gpu_absent():
            note("ran", f"{_head()}: tf.device({name!r}) placed its operations on the CPU (TensorFlow does so when the "
                 "GPU does not exist)", echo=False)
        return orig(name)

    device._grader_adapt = True  # type: ignore[attr-defined]
    return device


def _is_gpu_available(orig: Callable) -> Callable:
    @functools.wraps(orig)
    def is_gpu_available(*args: Any, **kwargs: Any) -> bool:
        if gpu_absent():
            note("ran", f"{_head()}: tf.test.is_gpu_available() answered False", echo=False)
            return False
        return orig(*args, **kwargs)

    is_gpu_available._grader_adapt = True  # type: ignore[attr-defined]
    return is_gpu_available


_LISTERS = ("list_physical_devices", "list_logical_devices")
_INERT = {"set_memory_growth": None, "get_memory_growth": False, "set_visible_devices": None,
          "set_logical_device_configuration": None, "set_virtual_device_configuration": None,
          "get_logical_device_configuration": None, "get_virtual_device_configuration": None,
          "get_device_details": {}}


def _patch_config(module: Any, prefix: str) -> None:
    for attr in _LISTERS:
        orig = getattr(module, attr, None)
        if callable(orig) and not getattr(orig, "_grader_adapt", False):
            setattr(module, attr, _lister(orig, f"{prefix}.{attr}"))
    for attr, answer in _INERT.items():
        orig = getattr(module, attr, None)
        if callable(orig) and not getattr(orig, "_grader_adapt", False):
            setattr(module, attr, _inert(orig, f"{prefix}.{attr}", answer))


def _on_tensorflow(tf: Any) -> None:
    # The public names only: TensorFlow's and Keras's own calls keep the functions they bound.
    config = getattr(tf, "config", None)
    if config is not None:
        _patch_config(config, "tf.config")
        experimental = getattr(config, "experimental", None)
        if experimental is not None:
            _patch_config(experimental, "tf.config.experimental")
    device = getattr(tf, "device", None)
    if callable(device) and not getattr(device, "_grader_adapt", False):
        tf.device = _device(device)
    test = getattr(tf, "test", None)
    available = getattr(test, "is_gpu_available", None) if test is not None else None
    if callable(available) and not getattr(available, "_grader_adapt", False):
        test.is_gpu_available = _is_gpu_available(available)


def _on_dtype_policy(module: Any) -> None:
    orig = getattr(module, "set_dtype_policy", None)
    if orig is None or getattr(orig, "_grader_adapt", False):
        return

    @functools.wraps(orig)
    def set_dtype_policy(policy: Any) -> Any:
        name = policy if isinstance(policy, str) else getattr(policy, "name", "")
        if isinstance(name, str) and name.startswith("mixed") and notes.called_from_student(2) and gpu_absent():
            note("ran", f"mixed-precision policy {name!r} ran as written: it is the student's choice and changes the "
                 "numbers a model computes; the grader's CPU computes in float16 too, only slower than a GPU", echo=False)
        return orig(policy)

    set_dtype_policy._grader_adapt = True  # type: ignore[attr-defined]
    module.set_dtype_policy = set_dtype_policy


def register() -> None:
    importhook.when_imported("tensorflow", _on_tensorflow)
    # Before keras.mixed_precision binds the name (set_global_policy is this function).
    importhook.when_imported("keras.src.dtype_policies.dtype_policy", _on_dtype_policy)
