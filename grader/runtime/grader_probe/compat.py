"""Keras 2 compatibility mode: Keras-2-era calls accepted on Keras 3, each forgiveness recorded.

Active only when the sandbox's environment has GRADER_COMPAT=keras2. Everything happens at run
time, by aliases and argument mapping on Keras's own classes and modules: the student's source
is never edited. Every time a shim fires it emits a ``compat_shim`` event naming the idiom and
the student's line (deduplicated per idiom and line; repeats only raise a count), so the report
can say exactly what was forgiven. Idiom ids match grader/diagnose.py where an idiom is there.
This module records and serves the Keras 2 module paths; grader_probe.compat_keras patches the classes.

Stdlib-only at import: Keras is reached through import hooks, never imported from here.
"""

from __future__ import annotations

import atexit
import importlib.abc
import importlib.machinery
import inspect
import os
import sys
import sysconfig
import threading
import types
from typing import Any, Callable

from grader_probe import events, importhook

ENV = "GRADER_COMPAT"
MODE = "keras2"

_lock = threading.Lock()
_counts: dict[tuple[str, str, int], int] = {}
_first: dict[tuple[str, str, int], dict[str, Any]] = {}


def active() -> bool:
    return os.environ.get(ENV, "") == MODE


# -- where the student's code is


def _library_roots() -> tuple[str, ...]:
    roots = {os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}  # the probe's runtime folder
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            roots.add(sysconfig.get_paths()[key])
        except (KeyError, OSError):
            pass
    roots.update(p for p in sys.path if p.rstrip(os.sep).endswith(("site-packages", "dist-packages")))
    return tuple(os.path.join(os.path.realpath(r), "") for r in roots if r)


_ROOTS: tuple[str, ...] = ()


_student_files: dict[str, bool] = {}


def _is_student(filename: str) -> bool:
    # Cached: a shim inside a loop walks the same hundred Keras frames every time.
    known = _student_files.get(filename)
    if known is None:
        if filename.startswith("<"):
            known = filename.startswith("<ipython-input")
        else:
            known = not os.path.realpath(filename).startswith(_ROOTS)
        _student_files[filename] = known
    return known


def _where() -> tuple[str, int, str]:
    """(file, line) of the innermost student frame, and the outermost student frame's file: in a
    notebook that is the cell being run, which tells a function defined in an earlier cell apart.
    The probe's own frames and every library's are skipped by where their files live."""
    frame: Any = sys._getframe(1)
    inner: tuple[str, int] | None = None
    top = ""
    while frame is not None:
        name = frame.f_code.co_filename
        if _is_student(name):
            if inner is None:
                inner = (name, frame.f_lineno)
            top = name
        frame = frame.f_back
    if inner is None:
        return "", 0, ""
    return inner[0], inner[1], top


def _execution_count(file: str) -> int | None:
    """In a notebook kernel, the execution count of the cell a file name belongs to (IPython keeps
    that map for its own tracebacks); the host turns it into the cell's index."""
    ipython = sys.modules.get("IPython")
    try:
        shell = ipython.get_ipython() if ipython is not None else None  # type: ignore[attr-defined]
        number = shell.compile._filename_map.get(file) if shell is not None else None
        return number if isinstance(number, int) else None
    except Exception:
        return None


def fired(idiom: str, detail: str = "") -> None:
    """Record one use of a shim. Cheap on repeats: one event per idiom and line, then a count
    re-emitted at powers of two (and at exit), so a shim inside a loop cannot flood the log."""
    try:
        file, line, top = _where()
        key = (idiom, file, line)
        with _lock:
            count = _counts.get(key, 0) + 1
            _counts[key] = count
            if count == 1:
                _first[key] = {"idiom": idiom, "file": file, "line": line or None, "top": top, "detail": detail[:300],
                               "execution_count": _execution_count(file)}
        if count & (count - 1) == 0:  # 1, 2, 4, 8, ...
            events.emit("compat_shim", count=count, **_first[key])
    except Exception:
        pass  # recording must never break the student's call


def _final_counts() -> None:
    with _lock:
        pending = [(key, n) for key, n in _counts.items() if n & (n - 1)]
    for key, n in pending:
        events.emit("compat_shim", count=n, **_first[key])


def _mimic(wrapper: Callable, orig: Callable) -> None:
    # Keras reads constructor signatures to build configs (Operation.__new__): show it the original.
    wrapper._grader_compat = True  # type: ignore[attr-defined]
    try:
        wrapper.__signature__ = inspect.signature(orig)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        pass
    for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
        try:
            setattr(wrapper, attr, getattr(orig, attr))
        except (AttributeError, TypeError):
            pass


# -- keras.utils.np_utils and the Keras 2 layer module paths, as modules


def _np_utils() -> types.ModuleType:
    import keras

    module = types.ModuleType("keras.utils.np_utils", "Keras 2's np_utils, served by the grader's compatibility mode.")
    module.to_categorical = keras.utils.to_categorical  # type: ignore[attr-defined]
    module.normalize = keras.utils.normalize  # type: ignore[attr-defined]
    return module


def _layers() -> types.ModuleType:
    import keras

    return keras.layers


_PARENTS = {"keras.utils": "keras.utils", "keras._tf_keras.keras.utils": "keras.utils",
            "tensorflow.keras.utils": "keras.utils", "keras.layers": "keras.layers",
            "keras._tf_keras.keras.layers": "keras.layers", "tensorflow.keras.layers": "keras.layers"}
# child attribute -> (idiom, factory of the module it stands for)
_CHILDREN: dict[str, dict[str, tuple[str, Callable[[], types.ModuleType]]]] = {
    "keras.utils": {"np_utils": ("np-utils", _np_utils)},
    "keras.layers": {"core": ("layers-module", _layers), "convolutional": ("layers-module", _layers),
                     "pooling": ("layers-module", _layers)},
}
_made: dict[str, types.ModuleType] = {}


def _alias(parent_key: str, child: str) -> types.ModuleType:
    name = f"{parent_key}.{child}"
    if name not in _made:
        _made[name] = _CHILDREN[parent_key][child][1]()
    return _made[name]


def _served(name: str, parent_key: str) -> str:
    what = "a module with to_categorical and normalize" if parent_key == "keras.utils" else "keras.layers"
    return f"{name} served as {what}"


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, parent_key: str, child: str):
        self.parent_key, self.child = parent_key, child

    def create_module(self, spec):  # type: ignore[override]
        fired(_CHILDREN[self.parent_key][self.child][0], _served(spec.name, self.parent_key))
        return _alias(self.parent_key, self.child)

    def exec_module(self, module) -> None:
        pass


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):  # type: ignore[override]
        parent, _, child = fullname.rpartition(".")
        key = _PARENTS.get(parent)
        if key is None or child not in _CHILDREN[key]:
            return None
        if not active():
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(key, child))


def _module_getattr(module: Any) -> None:
    key = _PARENTS.get(module.__name__)
    if key is None or getattr(module.__dict__.get("__getattr__"), "_grader_compat", False):
        return
    previous = module.__dict__.get("__getattr__")

    def __getattr__(name: str):
        if name in _CHILDREN[key]:
            if not sys._getframe(1).f_code.co_filename.startswith("<frozen importlib"):
                # (`from m import x` asks twice: once in importlib's hasattr, once for real)
                fired(_CHILDREN[key][name][0], _served(f"{module.__name__}.{name}", key))
            return _alias(key, name)
        if previous is not None:
            return previous(name)
        raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

    __getattr__._grader_compat = True  # type: ignore[attr-defined]
    module.__getattr__ = __getattr__


def register() -> None:
    """Install the shims (after the probe's own hooks, so they wrap the probe's wrappers)."""
    global _ROOTS
    if not active():
        return
    _ROOTS = _library_roots()
    sys.meta_path.insert(0, _AliasFinder())
    for name in _PARENTS:
        importhook.when_imported(name, _module_getattr)
    from grader_probe import compat_keras

    compat_keras.register()
    events.emit("compat", mode=MODE)
    atexit.register(_final_counts)
