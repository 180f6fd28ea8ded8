"""Write every requested format for a set of results into one folder, with stable file names.

The formats and their layout are in :mod:`grader.render.registry`. The audience is applied here,
once, to every result (:func:`grader.render.audience.for_audience`); the renderers then show what
they are given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.grading.result import GradeResult
from grader.render.audience import DEFAULT_AUDIENCE, Audience, for_audience
from grader.render.registry import DEFAULT_FORMATS, Item, formats, get_renderer, parse_formats
from grader.render.safe import slug, student_names

FORMATS = formats()

__all__ = ["DEFAULT_FORMATS", "FORMATS", "Entry", "parse_formats", "write_outputs"]


@dataclass(frozen=True)
class Entry:
    """A result with what rendering it needs besides itself."""

    result: GradeResult
    figures_dir: Path | None = None
    name: str | None = None


def _unique_slugs(names: Sequence[str]) -> list[str]:
    out, seen = [], set()
    for n in names:
        s, k = slug(n), 2
        while s.lower() in seen:  # case-insensitive: two names must not share a file on macOS/Windows
            s, k = f"{slug(n)}-{k}", k + 1
        seen.add(s.lower())
        out.append(s)
    return out


def items_for(entries: Sequence[Entry], audience: Audience | str = DEFAULT_AUDIENCE) -> list[Item]:
    """The entries ready for renderers: audience applied, names chosen, file names unique."""
    auto = student_names([e.result.submission.path for e in entries])
    names = [e.name or a for e, a in zip(entries, auto)]
    return [Item(for_audience(e.result, audience), n, s, e.figures_dir)
            for e, n, s in zip(entries, names, _unique_slugs(names))]


def write_outputs(entries: Sequence[Entry], out: Path, formats: Sequence[str], *,
                  audience: Audience | str = DEFAULT_AUDIENCE, class_page: bool | None = None) -> list[Path]:
    """Render ``formats`` of ``entries`` for ``audience`` under ``out``; returns the files written.

    ``class_page`` (default: more than one entry) adds the class-level views: index.html and a
    Markdown table of students.
    """
    renderers = [get_renderer(f) for f in formats]  # an unknown format fails before anything is written
    items = items_for(entries, audience)
    class_page = len(entries) > 1 if class_page is None else class_page
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for renderer in renderers:
        for f in renderer.render(items, class_page=class_page):
            path = out / f.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f.text, encoding=f.encoding, newline="")
            written.append(path)
    return written
