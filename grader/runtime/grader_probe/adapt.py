"""Adaptation to the grading machine: code that assumed the student's machine runs here, noted.

The principle: what differs because the grader's machine is not the student's is adapted and
noted; what the student chose is graded as written. So, on by default (``GRADER_ADAPT=none``, from
``--adapt none``, turns it off):

- GPU assumptions on a CPU grader (adapt_gpu.py): ``list_physical_devices('GPU')[0]``,
  ``set_memory_growth``, ``set_visible_devices``, ``set_logical_device_configuration``,
  ``tf.device('/GPU:0')``, ``tf.test.is_gpu_available()``, ``!nvidia-smi`` have no effect, one note
  per line. A mixed-precision policy is the student's choice: it runs as written, with a note.
- Visualisation-only packages the grader lacks (here): ``visualkeras``, ``plot_model`` without
  pydot/graphviz, ``keras.utils.vis_utils`` draw nothing, with a note. Any other missing package
  fails at once, as Python fails it, with a note naming it and the course-environment route.
- Keras 3 relocations of code that was correct on the student's Keras (adapt_keras.py).

Every note is a ``run_note`` event with topic ``adaptation`` (``package`` for a missing package),
at the student's line. Stdlib-only at import, like the rest of the probe.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import types
from typing import Any, Iterable

from grader_probe import importhook, notes

ENV = "GRADER_ADAPT"
OFF = "none"
TOPIC = "adaptation"
MISSING_TOPIC = "package"
# Packages that only draw a model: absent from the grader, they change nothing that is graded.
VISUAL_ONLY = ("visualkeras",)
_VIS_UTILS = ("keras.utils.vis_utils", "keras._tf_keras.keras.utils.vis_utils", "tensorflow.keras.utils.vis_utils",
              "tensorflow.python.keras.utils.vis_utils")
COURSE_ROUTE = ("a course that needs it grades in its own environment (grader --python, or an environments file: "
                "see the README, 'Course environments')")


def active() -> bool:
    return os.environ.get(ENV, "").strip().lower() != OFF


def note(kind: str, detail: str, subjects: Iterable[str] = (), *, echo: bool = True) -> None:
    """One note per line of the student's code that needed adapting."""
    notes.note(kind, TOPIC, detail, subjects, echo=echo, per_line=True)


# -- visualisation-only packages ----------------------------------------------------------------


# The smallest valid pictures, for code that displays what it drew: SVG(model_to_dot(m).create(...)).
_EMPTY_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'
_EMPTY_PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                           "1f15c4890000000d49444154789c6364f8cf00000301010018dd8db00000000049454e44ae426082")


class NoPicture:
    """What a drawing call returns when it drew nothing: answers what code does with a PIL image or a
    pydot graph (show, save, write, create) without drawing, and displays as text."""

    def __init__(self, what: str):
        self._what = what

    def show(self, *args: Any, **kwargs: Any) -> None:
        return None

    def save(self, *args: Any, **kwargs: Any) -> None:
        return None

    write = write_png = write_svg = save

    def create(self, *args: Any, format: str = "ps", **kwargs: Any) -> bytes:
        return _EMPTY_PNG if format == "png" else _EMPTY_SVG

    def create_png(self, *args: Any, **kwargs: Any) -> bytes:
        return _EMPTY_PNG

    def create_svg(self, *args: Any, **kwargs: Any) -> bytes:
        return _EMPTY_SVG

    def __repr__(self) -> str:
        return f"[grader] {self._what} drew nothing: the package is not in the grader's environment"


def _no_drawing(call: str, package: str, why: str = "") -> Any:
    why = why or f"{package} is not in the grader's environment"

    def draw(*args: Any, **kwargs: Any) -> NoPicture:
        target = kwargs.get("to_file")
        wrote = f" ({target} was not written)" if target else ""
        note("skipped", f"{call} drew nothing: {why}, and a drawing of the model changes nothing that is "
             f"graded{wrote}", [package])
        return NoPicture(call)

    draw.__name__ = call.rsplit(".", 1)[-1]
    return draw


def _visualkeras() -> types.ModuleType:
    module = types.ModuleType("visualkeras", "A stand-in for visualkeras, served by the grader: it draws nothing.")
    for name in ("layered_view", "graph_view"):
        setattr(module, name, _no_drawing(f"visualkeras.{name}", "visualkeras"))
    module.__dict__["_grader_stub"] = True
    return module


def _pydot_missing() -> bool:
    try:
        import importlib.util

        return importlib.util.find_spec("pydot") is None and importlib.util.find_spec("pydotplus") is None
    except (ImportError, ValueError):
        return True


def _vis_utils(name: str) -> types.ModuleType:
    module = types.ModuleType(name, "Keras 2's vis_utils, served by the grader: plot_model draws nothing.")
    why = "Keras 3 has no keras.utils.vis_utils"
    module.plot_model = _no_drawing("plot_model", "keras.utils.vis_utils", why)  # type: ignore[attr-defined]
    module.model_to_dot = _no_drawing("model_to_dot", "keras.utils.vis_utils", why)  # type: ignore[attr-defined]
    return module


def _wrap_plot_model(module: Any) -> None:
    """Keras 3's plot_model raises ImportError in a script (and prints in a notebook) without pydot."""
    for name in ("plot_model", "model_to_dot"):
        orig = getattr(module, name, None)
        if orig is None or getattr(orig, "_grader_adapt", False):
            continue

        def wrapper(*args: Any, _orig: Any = orig, _name: str = name, **kwargs: Any) -> Any:
            if _pydot_missing():
                return _no_drawing(_name, "pydot", "pydot and graphviz are not in the grader's environment")(
                    *args, **kwargs)
            return _orig(*args, **kwargs)

        wrapper._grader_adapt = True  # type: ignore[attr-defined]
        wrapper.__name__ = name
        setattr(module, name, wrapper)


# -- the finder of last resort: stand-ins, and missing packages named --------------------------


_IMPORTLIB = f"{os.sep}importlib{os.sep}"
_PROBE = os.path.dirname(os.path.abspath(__file__))


def _importer_is_student() -> bool:
    """True when the import being served was asked for by the student's code: the first frame past
    importlib's own is theirs (not a library's optional import, not the probe asking)."""
    frame: Any = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith("<frozen importlib") or _IMPORTLIB in name or name.startswith(os.path.join(_PROBE, "importhook")):
            frame = frame.f_back
            continue
        return notes.is_student_file(name)
    return False


class _StandIn(importlib.abc.Loader):
    def __init__(self, make: Any):
        self._make = make

    def create_module(self, spec):  # type: ignore[override]
        return self._make(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        pass


class _LastResort(importlib.abc.MetaPathFinder):
    """Sits last on sys.meta_path, so it only ever sees names no real finder could find."""

    def find_spec(self, fullname, path, target=None):  # type: ignore[override]
        if not active():
            return None
        if fullname in VISUAL_ONLY and _importer_is_student():  # (not the probe asking whether it is installed)
            note("provided", f"import {fullname}: not in the grader's environment; a stand-in that draws nothing "
                 "was imported instead (drawings of the model change nothing that is graded)", [fullname], echo=False)
            return importlib.machinery.ModuleSpec(fullname, _StandIn(lambda name: _visualkeras()))
        if fullname in _VIS_UTILS:
            note("provided", f"import {fullname}: Keras 3 has no vis_utils; a stand-in whose plot_model draws "
                 "nothing was imported instead", [fullname], echo=False)
            return importlib.machinery.ModuleSpec(fullname, _StandIn(_vis_utils))
        if "." not in fullname and _importer_is_student():
            note_missing(fullname)
        return None


def note_missing(name: str) -> None:
    from grader_probe import shell

    if shell._normalize(name) in shell.failed_installs:
        return  # the failed pip install's note already says why
    notes.note("failed", MISSING_TOPIC, f"import {name} failed: {name} is not in the grader's environment, and the "
               f"sandbox cannot install packages; {COURSE_ROUTE}", [name])


_finder = _LastResort()


def register() -> None:
    """Install the adaptations, unless ``GRADER_ADAPT=none``. After wild.register: the google.colab
    stand-in's finder must come before the finder of last resort."""
    if not active():
        return
    # Before the finder of last resort: its tensorflow_datasets stand-in must be found first.
    __import__("grader_probe.datafiles").datafiles.register()  # data loaded another way, pretrained weights
    if _finder not in sys.meta_path:
        sys.meta_path.append(_finder)
    importhook.when_imported("keras.src.utils.model_visualization", _wrap_plot_model)
    from grader_probe import adapt_gpu, adapt_keras

    adapt_gpu.register()
    adapt_keras.register()
