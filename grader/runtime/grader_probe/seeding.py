"""Deterministic runs: the grader's seed, set before the student's first line.

The host passes ``GRADER_SEED`` (absent: the run is left unseeded, as before ``--seed``). Python's
``random`` is seeded at start-up; NumPy, TensorFlow and Keras as each is first imported, so a run that
never touches them pays nothing. TensorFlow's op determinism is switched on with TensorFlow unless
``GRADER_OP_DETERMINISM=0`` (the host's second try after an op had no deterministic implementation).

A seed the student sets still wins: their call runs later than ours, and once they have seeded a
generator, a library imported after that call does not re-seed it. Each such call is recorded.

Stdlib-only at import, like the rest of the probe.
"""

from __future__ import annotations

import os
import random
import sys
from types import ModuleType
from typing import Any, Callable

from grader_probe import cpu_xent, events, importhook, notes

# Generators the student seeded themselves; ours are never set over theirs after that.
_student: set[str] = set()
_state: dict[str, Any] = {"seed": None, "determinism": False, "failed": False, "ipython": False, "seed_events": 0}
MAX_SEED_EVENTS = 20
# TensorFlow says why an op refused to run under op determinism only in its message (RuntimeError,
# ValueError, UnimplementedError, ... depending on the op): the probe reads it here, where the error is
# raised, and from then on the fact travels as the typed event `determinism_failed`.
# ("... when determinism is enabled", "A deterministic GPU implementation of ... is not available").
_DETERMINISM_WORDS = ("determinism", "deterministic implementation", "deterministic gpu implementation")


def seed() -> int | None:
    """The grader's seed for this run, or None when seeding is off."""
    text = os.environ.get("GRADER_SEED", "")
    try:
        return int(text) if text else None
    except ValueError:
        return None


def op_determinism_wanted() -> bool:
    return seed() is not None and os.environ.get("GRADER_OP_DETERMINISM", "1") != "0"


def register() -> None:
    value = seed()
    _wrap_random()  # records a student's own random.seed even in an unseeded run
    importhook.when_imported("numpy", _on_numpy)
    importhook.when_imported("tensorflow", _on_tensorflow)
    importhook.when_imported("keras", _on_keras)
    importhook.when_imported("tf_keras", _on_keras)
    # tf.keras on Keras 3 is its own module tree, with its own re-export of set_random_seed.
    importhook.when_imported("keras._tf_keras.keras.utils", lambda utils: _wrap(
        utils, "set_random_seed", "all", "tf.keras.utils.set_random_seed"))
    if value is None:
        return
    _state["seed"] = value
    random.seed(value)


# --- the grader's seeds ------------------------------------------------------------------------

def _ours(generator: str) -> bool:
    """True when the grader should seed `generator` now: seeding is on and the student has not seeded it."""
    return _state["seed"] is not None and generator not in _student and "all" not in _student


def _on_numpy(module: ModuleType) -> None:
    rnd = getattr(module, "random", None)
    if rnd is None:
        return
    if _ours("numpy"):
        rnd.seed(_state["seed"])
    _wrap(rnd, "seed", "numpy", "numpy.random.seed")


def _on_tensorflow(tf: ModuleType) -> None:
    random_api = getattr(tf, "random", None)
    if random_api is None:
        return
    if _ours("tensorflow"):
        random_api.set_seed(_state["seed"])
    if op_determinism_wanted():
        try:
            tf.config.experimental.enable_op_determinism()
            _state["determinism"] = True
        except Exception as exc:  # an old TensorFlow without it: seeded, not deterministic, and said so
            events.emit("seeding", seed=_state["seed"], op_determinism=False,
                        reason=f"{type(exc).__name__}: {exc}"[:300])
    if _state["determinism"]:
        try:
            cpu_xent.install(tf)
        except Exception:  # TensorFlow's deterministic path stays: slower, still right
            pass
    _wrap(random_api, "set_seed", "tensorflow", "tf.random.set_seed")
    _watch_errors(tf)
    if _state["seed"] is not None:
        events.emit("seeding", seed=_state["seed"], op_determinism=_state["determinism"])


def _on_keras(keras: ModuleType) -> None:
    try:
        utils = keras.utils
        set_random_seed = utils.set_random_seed
    except AttributeError:
        return
    if _state["seed"] is not None and not _student:
        # Keras's own global generator (initialisers, dropout) besides random, NumPy and TensorFlow. Once the
        # student has seeded anything themselves, this would overwrite it: then the generators stay as they are.
        set_random_seed(_state["seed"])
    _wrap(utils, "set_random_seed", "all", f"{keras.__name__}.utils.set_random_seed")


# --- the student's own seeds -------------------------------------------------------------------

def _wrap_random() -> None:
    _wrap(random, "seed", "random", "random.seed")


def _wrap(owner: Any, name: str, generator: str, label: str) -> None:
    original = getattr(owner, name, None)
    if original is None or getattr(original, "_grader_seed", False):
        return

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if notes.called_from_student():
            _student.add(generator)
            if _state["seed_events"] < MAX_SEED_EVENTS:
                _state["seed_events"] += 1
                value = args[0] if args else kwargs.get("seed", kwargs.get("a"))
                events.emit("seed_set", via=label, value=value if isinstance(value, int) else None,
                            line=notes.student_line())
        return original(*args, **kwargs)

    wrapper._grader_seed = True  # type: ignore[attr-defined]
    wrapper.__wrapped__ = original  # type: ignore[attr-defined]
    wrapper.__name__ = getattr(original, "__name__", name)
    wrapper.__doc__ = getattr(original, "__doc__", None)
    try:
        setattr(owner, name, wrapper)
    except (AttributeError, TypeError):
        pass


# --- an op with no deterministic implementation -------------------------------------------------

def is_determinism_failure(exc: BaseException) -> bool:
    """True when `exc` is an op refusing to run because op determinism is on (our doing, not the student's)."""
    if not _state["determinism"]:
        return False
    text = str(exc).lower()
    return any(word in text for word in _DETERMINISM_WORDS)


def note_failure(exc: BaseException | None) -> None:
    """Record, once, that op determinism stopped an op: the host re-runs the submission with it off."""
    if exc is None or _state["failed"] or not is_determinism_failure(exc):
        return
    _state["failed"] = True
    events.emit("determinism_failed", ename=type(exc).__name__, evalue=str(exc)[:500])


def _watch_errors(tf: ModuleType) -> None:
    """In a notebook kernel, look at each cell's error; a script's is looked at by the driver."""
    if _state["ipython"] or not _state["determinism"]:
        return
    ipython = sys.modules.get("IPython")
    try:
        shell = ipython.get_ipython() if ipython is not None else None  # type: ignore[attr-defined]
        if shell is not None:
            shell.events.register("post_run_cell", lambda result: note_failure(getattr(result, "error_in_exec", None)))
            _state["ipython"] = True
    except Exception:
        pass
