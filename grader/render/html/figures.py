"""The submission's own figures, embedded as data URIs so a report is one file that works offline.

The file names come from the evidence, which the submission's process wrote: they are resolved
strictly inside ``figures_dir`` and read only if they really are PNG files of a sane size.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from grader.evidence.model import FigureRecord
from grader.render.safe import for_html

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_FIGURE_BYTES = 2 * 1024 * 1024
"""Larger images are left out: a report should stay small enough to mail."""
MAX_TOTAL_BYTES = 12 * 1024 * 1024


@dataclass(frozen=True)
class FigureView:
    index: int
    caption: str
    alt: str
    data_uri: str | None
    note: str = ""


def describe(fig: FigureRecord) -> tuple[str, str]:
    """(caption, alt text) from what the probe recorded about the figure's axes."""
    titles = [for_html(a.title) for a in fig.axes if a.title]
    caption = for_html(fig.suptitle) or "; ".join(titles) or f"Figure {fig.index + 1}"
    bits = []
    for a in fig.axes:
        what = []
        if a.lines:
            labels = [for_html(line.label) for line in a.lines if line.label]
            what.append(f"{len(a.lines)} line(s)" + (f": {', '.join(labels)}" if labels else ""))
        if a.images:
            what.append(f"{len(a.images)} image(s)")
        if a.bars:
            what.append(f"{a.bars} bar(s)")
        axes = " vs ".join(x for x in (for_html(a.ylabel), for_html(a.xlabel)) if x)
        bits.append(", ".join(what) + (f" ({axes})" if axes else ""))
    alt = f"Figure {fig.index + 1} drawn by the submission: {caption}"
    if any(bits):
        alt += ". " + "; ".join(b for b in bits if b)
    return caption, alt[:500]


def _read_png(base: Path, rel: str) -> tuple[bytes | None, str]:
    try:
        root = base.resolve()
        path = (root / rel).resolve()
        path.relative_to(root)  # refuses '../' and absolute paths planted in the evidence
    except (OSError, ValueError):
        return None, "figure file is outside the run's folder"
    if not path.is_file():
        return None, "figure file not found"
    size = path.stat().st_size
    if size > MAX_FIGURE_BYTES:
        return None, f"figure file too large to embed ({size // 1024} KiB)"
    data = path.read_bytes()
    if not data.startswith(PNG_MAGIC):
        return None, "figure file is not a PNG image"
    return data, ""


def figure_views(figures: list[FigureRecord], figures_dir: Path | None) -> list[FigureView]:
    out, total = [], 0
    for fig in figures:
        caption, alt = describe(fig)
        uri, note = None, "no image file was saved"
        if fig.file and figures_dir is None:
            note = "image not embedded (no figures folder given)"
        elif fig.file and figures_dir is not None:
            data, note = _read_png(figures_dir, fig.file)
            if data is not None and total + len(data) > MAX_TOTAL_BYTES:
                data, note = None, "left out: the report's image budget is spent"
            if data is not None:
                total += len(data)
                uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        out.append(FigureView(fig.index, caption, alt, uri, "" if uri else note))
    return out
