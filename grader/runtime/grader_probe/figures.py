"""Captures matplotlib figures as PNG files plus their labels and plotted data."""

from __future__ import annotations

import atexit
import functools
import itertools
import os
from typing import Any

from grader_probe import events, importhook

_count = itertools.count(0)
_SEEN = "_grader_probe_seen"
MAX_FIGURES = 100
MAX_POINTS = 2000


def _axes_info(ax: Any) -> dict[str, Any]:
    lines = []
    for line in ax.get_lines():
        label = line.get_label()
        try:
            ys = [float(v) for v in list(line.get_ydata())[:MAX_POINTS]]
        except Exception:
            ys = []
        lines.append({"label": None if str(label).startswith("_") else str(label),
                      "points": len(line.get_ydata()), "y": ys})
    legend = ax.get_legend()
    images = [list(getattr(im.get_array(), "shape", [])) for im in ax.images]
    for coll in ax.collections:  # seaborn heatmaps draw a QuadMesh
        if type(coll).__name__ == "QuadMesh":
            arr = coll.get_array()
            shape = list(getattr(arr, "shape", []))
            images.append(shape if len(shape) > 1 else [int(round(len(arr) ** 0.5))] * 2 if arr is not None else [])
    return {
        "title": ax.get_title() or "",
        "xlabel": ax.get_xlabel() or "",
        "ylabel": ax.get_ylabel() or "",
        "lines": lines,
        "legend": [t.get_text() for t in legend.get_texts()] if legend is not None else [],
        "images": images,
        "bars": sum(1 for p in ax.patches if type(p).__name__ == "Rectangle"),
    }


def record(fig: Any, savefig: Any = None) -> None:
    if getattr(fig, _SEEN, False):
        return
    base = events.out_dir()
    if not base:
        return
    index = next(_count)
    if index >= MAX_FIGURES:
        return
    setattr(fig, _SEEN, True)
    rel = os.path.join("figures", f"fig{index}.png")
    try:
        os.makedirs(os.path.join(base, "figures"), exist_ok=True)
        (savefig or fig.savefig)(os.path.join(base, rel), dpi=80, format="png")
    except Exception:
        rel = None
    try:
        suptitle = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) else ""
        axes = [_axes_info(ax) for ax in fig.get_axes()]
    except Exception as exc:
        axes, suptitle = [], f"(unreadable: {exc!r})"
    events.emit("figure", figure={"index": index, "file": rel, "suptitle": suptitle, "axes": axes})


def record_open_figures() -> None:
    import sys

    if "matplotlib.pyplot" not in sys.modules:
        return
    try:
        from matplotlib._pylab_helpers import Gcf

        for manager in Gcf.get_all_fig_managers():
            record(manager.canvas.figure)
    except Exception:
        pass


def _record_on_show(module: Any) -> None:
    """Record every open figure whenever `module.show` is called, before it draws or closes them.

    wraps() shares the function attributes (_to_draw, _draw_called) the inline backend keeps on show.
    """
    orig_show = module.show

    @functools.wraps(orig_show)
    def show(*args: Any, **kwargs: Any):
        record_open_figures()
        return orig_show(*args, **kwargs)

    module.show = show


def _on_pyplot(module: Any) -> None:
    _record_on_show(module)
    from matplotlib.figure import Figure

    orig_savefig = Figure.savefig

    def savefig(self, *args: Any, **kwargs: Any):
        result = orig_savefig(self, *args, **kwargs)
        record(self, lambda *a, **k: orig_savefig(self, *a, **k))
        return result

    Figure.savefig = savefig
    atexit.register(record_open_figures)


def _on_inline(module: Any) -> None:
    # ipykernel's post-execute hook calls this module's global show(), not pyplot.show.
    _record_on_show(module)


def register() -> None:
    importhook.when_imported("matplotlib.pyplot", _on_pyplot)
    importhook.when_imported("matplotlib_inline.backend_inline", _on_inline)
