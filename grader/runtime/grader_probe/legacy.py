"""The legacy runtime (GRADER_KERAS_RUNTIME=tf-keras) and the versions a run actually used.

Under the legacy runtime the sandbox sets TF_USE_LEGACY_KERAS=1, so ``tf.keras`` is Keras 2
(tf_keras). Keras-2-era code also did a standalone ``import keras``; here that name is served by
tf_keras too (``keras``, ``keras.layers``, ``keras.src...`` are tf_keras's modules under another
name), so the whole run uses one Keras. The aliasing is recorded as a ``versions`` event.

Versions: the interpreter (path and version) at start-up, then TensorFlow, Keras, tf_keras and
numpy as each is imported, all as ``versions`` events that assembly merges into RunInfo.versions.

Keras 2's standalone package (a course pinning TensorFlow <= 2.15, where `import keras` is Keras
2.x) keeps Model in ``keras.src.engine.training`` (2.13+) or ``keras.engine.training``: those are
hooked here with the same recording as tf_keras's.

Stdlib-only at import.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import os
import platform
import sys
from types import ModuleType
from typing import Any

from grader_probe import events, importhook

ENV = "GRADER_KERAS_RUNTIME"
LEGACY = "tf-keras"
ALIAS_FROM, ALIAS_TO = "keras", "tf_keras"


def active() -> bool:
    return os.environ.get(ENV, "") == LEGACY


class _AliasLoader(importlib.abc.Loader):
    """Hands out an already imported tf_keras module under its keras.* name."""

    def __init__(self, target: ModuleType):
        self._target = target
        self._spec = getattr(target, "__spec__", None)

    def create_module(self, spec):  # type: ignore[override]
        return self._target

    def exec_module(self, module: ModuleType) -> None:
        # The import system stamped the alias spec onto the shared module object: give it back its own,
        # so tf_keras's own imports and pickling keep working.
        if self._spec is not None:
            try:
                module.__spec__ = self._spec
            except AttributeError:
                pass


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):  # type: ignore[override]
        if fullname != ALIAS_FROM and not fullname.startswith(ALIAS_FROM + "."):
            return None
        real = ALIAS_TO + fullname[len(ALIAS_FROM):]
        module = importlib.import_module(real)  # ModuleNotFoundError names the tf_keras module
        is_package = hasattr(module, "__path__")
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(module), is_package=is_package)


_finder = _AliasFinder()


def _version_of(key: str):
    def emit(module: Any) -> None:
        events.emit("versions", **{key: str(getattr(module, "__version__", "") or "")})

    return emit


_SENT = "GRADER_PROBE_INTERPRETER_SENT"
# Where Keras 2's own standalone package (TensorFlow <= 2.15 courses: `import keras` is Keras 2.x)
# defines Model: kerasprobe hooks Keras 3 and tf_keras; these are the older homes of the same class.
_KERAS2_TRAINING = {"keras.src.engine.training": "keras.src.callbacks",  # Keras 2.13 - 2.15
                    "keras.engine.training": "keras.callbacks"}  # Keras 2.6 - 2.12


def _on_keras2_training(callbacks_module: str):
    def patch(module: Any) -> None:
        from grader_probe import kerasprobe

        def base() -> type:
            return importlib.import_module(callbacks_module).Callback

        kerasprobe.patch_model_class(module.Model, "tf_keras", base)

    return patch


def register() -> None:
    # Only the first process of the run names the interpreter: another Python the submission starts
    # (a subprocess inherits the probe) must not overwrite it. Notebook kernels run on the driver's.
    if not os.environ.get(_SENT):
        os.environ[_SENT] = "1"
        events.emit("versions", python=platform.python_version(), python_executable=sys.executable,
                    python_implementation=platform.python_implementation())
    importhook.when_imported("numpy", _version_of("numpy"))
    importhook.when_imported("tf_keras", _version_of("tf_keras"))
    if active():
        if _finder not in sys.meta_path:
            sys.meta_path.insert(0, _finder)
        events.emit("versions", keras_runtime=LEGACY, keras_import="keras is tf_keras (legacy runtime)")
    else:
        importhook.when_imported("keras", _version_of("keras"))
        for name, callbacks in _KERAS2_TRAINING.items():
            importhook.when_imported(name, _on_keras2_training(callbacks))
