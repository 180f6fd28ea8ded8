"""The matplotlib figures a self-check can see: those still open, and those recorded before Jupyter closed them.

Jupyter's inline backend closes every figure at the end of the cell that drew it, so by the time the
self-check runs the training curves of earlier cells are gone. ``%load_ext grader`` installs
:func:`install_recorder`, which describes each figure (with the probe's own ``_axes_info``) just before
matplotlib forgets it; without it only the figures still open are seen, and the self-check says so.
"""

from __future__ import annotations

import sys
from typing import Any

from grader.kernelcheck.probe import probe_module

MAX_FIGURES = 100
_SEEN = "_grader_selfcheck_index"
_recorded: dict[int, dict[str, Any]] = {}
_installed = False


def describe(fig: Any) -> dict[str, Any]:
    """A figure as the probe's 'figure' event data (no PNG: nothing is written in the student's kernel)."""
    index = getattr(fig, _SEEN, None)
    if index is None:
        index = len(_recorded)
        try:
            setattr(fig, _SEEN, index)
        except Exception:  # noqa: BLE001 - a figure that refuses attributes is still described
            pass
    axes_info = probe_module("figures")._axes_info
    try:
        suptitle = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) else ""
        axes = [axes_info(ax) for ax in fig.get_axes()]
    except Exception as exc:  # noqa: BLE001 - an unreadable figure counts as one without curves
        axes, suptitle = [], f"(unreadable: {exc!r})"
    return {"index": index, "file": None, "suptitle": suptitle, "axes": axes}


def _remember(fig: Any) -> None:
    if len(_recorded) < MAX_FIGURES and getattr(fig, _SEEN, None) not in _recorded:
        info = describe(fig)
        _recorded[info["index"]] = info


def _open_figures() -> list[Any]:
    if "matplotlib.pyplot" not in sys.modules:
        return []
    from matplotlib._pylab_helpers import Gcf

    return [manager.canvas.figure for manager in Gcf.get_all_fig_managers()]


def figure_events() -> list[dict[str, Any]]:
    """'figure' events for every recorded figure and every figure still open, each once."""
    for fig in _open_figures():
        _remember(fig)
    return [{"event": "figure", "figure": info} for _, info in sorted(_recorded.items())]


def recording() -> bool:
    """True once figures are recorded before they close (see :func:`install_recorder`)."""
    return _installed


def _patch_gcf() -> bool:
    global _installed
    if _installed or "matplotlib.pyplot" not in sys.modules:
        return _installed
    from matplotlib._pylab_helpers import Gcf

    destroy, destroy_all = Gcf.destroy.__func__, Gcf.destroy_all.__func__  # type: ignore[attr-defined]

    def destroy_recorded(cls: Any, num: Any) -> None:
        managers = [num] if hasattr(num, "canvas") else [m for m in cls.get_all_fig_managers() if m.num == num]
        for manager in managers:
            _safe_remember(manager.canvas.figure)
        destroy(cls, num)

    def destroy_all_recorded(cls: Any) -> None:
        for manager in cls.get_all_fig_managers():
            _safe_remember(manager.canvas.figure)
        destroy_all(cls)

    Gcf.destroy, Gcf.destroy_all = classmethod(destroy_recorded), classmethod(destroy_all_recorded)
    _installed = True
    return True


def _safe_remember(fig: Any) -> None:
    try:
        _remember(fig)
    except Exception:  # noqa: BLE001 - recording must never break the student's plt.close()
        pass


def install_recorder(ipython: Any = None) -> None:
    """Record figures before matplotlib closes them: now if pyplot is loaded, else as soon as a cell loads it."""
    if _patch_gcf() or ipython is None:
        return

    def before_cell(*_: Any) -> None:
        if _patch_gcf():
            ipython.events.unregister("pre_run_cell", before_cell)
            ipython.events.unregister("post_run_cell", before_cell)

    # pyplot is usually imported by a cell: patch right after that cell, before the next one draws.
    ipython.events.register("pre_run_cell", before_cell)
    ipython.events.register("post_run_cell", before_cell)
