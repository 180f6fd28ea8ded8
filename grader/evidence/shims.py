"""Compatibility modes, and folding the probe's shim events into the evidence's ShimUse list.

`keras2` (opt in with ``--compat keras2`` or a rubric's ``limits.compat``) lets Keras-2-era code
run on Keras 3: the probe's ``grader_probe.compat`` maps the old calls at run time, and every
mapping it made is listed here so a report shows exactly what was forgiven. Pure: no TensorFlow.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable
from typing import Any

from grader.evidence.events import ProbeEvent
from grader.evidence.diagnoses import RULES
from grader.evidence.model import ShimUse

COMPAT_MODES = ("keras2",)
ENV_VAR = "GRADER_COMPAT"
# Adaptation to the grading machine (grader_probe.adapt) is on unless a run asks for "none": unlike
# compatibility it forgives nothing the student chose, it only stands in for the student's machine
# (GPU lines, drawing packages, Keras 3 relocations). Its notes are RunNotes with topic "adaptation".
ADAPT_MODES = ("on", "none")
ADAPT_ENV_VAR = "GRADER_ADAPT"


def adapt_env(adapt: str | None) -> dict[str, str]:
    """The sandbox environment for an adaptation mode: nothing for the default, GRADER_ADAPT=none to turn it off."""
    if adapt is None or adapt == "on":
        return {}
    if adapt not in ADAPT_MODES:
        raise ValueError(f"unknown adaptation mode {adapt!r}; known: {', '.join(ADAPT_MODES)}")
    return {ADAPT_ENV_VAR: adapt}

# Shims for idioms grader.evidence.diagnoses does not scan for: their titles live here.
EXTRA_TITLES = {
    "optimizer-decay": "optimizer created with decay=... (Keras 3 ignores it: no learning-rate decay ran)",
    "optimizer-lr-attr": "optimizer.lr read or set",
    "predict-proba": "model.predict_proba(...)",
    "layers-module": "keras.layers.core / convolutional / pooling imported",
    "layer-init": "layer created with init=... (kernel_initializer=... since Keras 2)",
    "pipeline-args": "fit/evaluate/predict with workers=, use_multiprocessing= or max_queue_size=",
}
MAX_SHIMS = 500


def shim_title(idiom: str) -> str:
    rule = RULES.get(idiom)
    return rule.title if rule is not None else EXTRA_TITLES.get(idiom, idiom)


def shim_line(s: ShimUse) -> str:
    """One plain line for a terminal or a log: where, what, what the grader did, how often."""
    times = f" ({s.count} times)" if s.count > 1 else ""
    return f"{s.where()}: {s.title}{times}" + (f"; {s.detail}" if s.detail else "")


def _cell_file(name: str) -> bool:
    # ipykernel compiles each cell under a temporary file name; older IPython uses <ipython-input-N-...>.
    return "ipykernel_" in name or name.startswith("<ipython-input")


def executed_cells(notebook_text: str) -> list[int]:
    """Indices of the cells a kernel runs, in order: code cells with any source (nbclient skips
    empty ones, so they take no execution count). Execution count n is cell ``[n - 1]``."""
    try:
        cells = json.loads(notebook_text).get("cells", [])
    except (ValueError, AttributeError):
        return []
    out = []
    for index, cell in enumerate(cells if isinstance(cells, list) else []):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            src = cell.get("source", "")
            if ("".join(src) if isinstance(src, list) else str(src)).strip():
                out.append(index)
    return out


def fold_shims(events: Iterable[dict[str, Any]], *, notebook: bool, entry: str,
               cells: list[int] | None = None) -> list[ShimUse]:
    """One ShimUse per (idiom, place) from the run's ``compat_shim`` events, in order of first use.

    The probe re-emits a place's event as its count grows, so the largest count wins. A notebook
    line's cell comes from the kernel's execution count of the code it is in (`cells`, from
    :func:`executed_cells`), so a function defined in one cell and called from another is placed
    where it was written; failing that, the cell running when the event landed.
    """
    current: int | None = None
    cell_of_file: dict[str, int] = {}
    found: dict[tuple[str, str, int | None], dict[str, Any]] = {}
    for ev in events:
        kind = ProbeEvent.of(ev.get("event"))
        if kind is ProbeEvent.CELL_START and isinstance(ev.get("index"), int):
            current = ev["index"]
        elif kind is ProbeEvent.CELL_END:
            current = None
        if kind is not ProbeEvent.COMPAT_SHIM or not isinstance(ev.get("idiom"), str):
            continue
        file, top = str(ev.get("file") or ""), str(ev.get("top") or "")
        line = ev.get("line") if isinstance(ev.get("line"), int) else None
        count = ev.get("count") if isinstance(ev.get("count"), int) and ev["count"] > 0 else 1
        if notebook and current is not None and top:
            cell_of_file.setdefault(top, current)
        key = (ev["idiom"][:60], file, line)
        if key in found:
            found[key]["count"] = max(found[key]["count"], count)
            continue
        if len(found) >= MAX_SHIMS:
            continue
        cell, other = None, None
        if notebook and _cell_file(file):
            number = ev.get("execution_count")
            if isinstance(number, int) and cells and 1 <= number <= len(cells):
                cell = cells[number - 1]
            else:
                cell = current if file == top else cell_of_file.get(file)
        elif file and posixpath.basename(file) != posixpath.basename(entry):
            other = posixpath.basename(file)[:200]
        found[key] = {"idiom": key[0], "title": shim_title(key[0]), "detail": str(ev.get("detail") or "")[:300],
                      "count": count, "line": line, "cell_index": cell, "file": other}
    return [ShimUse(**item) for item in found.values()]


__all__ = ["ADAPT_ENV_VAR", "ADAPT_MODES", "COMPAT_MODES", "ENV_VAR", "adapt_env", "EXTRA_TITLES", "executed_cells", "fold_shims", "shim_line", "shim_title"]
