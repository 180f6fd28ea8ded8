"""Text helpers shared by every renderer: make student-controlled text inert and numbers readable."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePath

# CSI sequences (colours, cursor moves), OSC sequences (terminal titles, hyperlinks) and lone escapes.
# Tracebacks from IPython arrive full of colour codes; a report must show the text, not the codes.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
# Control characters other than tab and newline (invalid in XML 1.0, meaningless in HTML), and the
# bidirectional overrides that can make a name or a traceback display as something it is not.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
_SCHEME = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.-]*:")


def clean(text: str | None) -> str:
    """Student text ready for any output: ANSI escapes and control characters removed."""
    if not text:
        return ""
    text = _ANSI.sub("", text).replace("\r\n", "\n")
    # A bare carriage return redraws a progress bar: keep only the last drawing of each line.
    text = "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))
    return _CONTROL.sub("", text)


def relative_link(href: str | None) -> str | None:
    """Only relative links between report files: no javascript:, data: or remote URLs."""
    return href if href and not _SCHEME.match(href) and not href.lstrip().startswith("//") else None


def pts(x: float | None) -> str:
    """Points without a trailing '.0': 5, 2.5, 0.25."""
    return "" if x is None else f"{x:g}"


def num(x: float | None, digits: int = 4) -> str:
    """A measured value: integers with thousands separators, others with `digits` significant digits."""
    if x is None:
        return "–"
    if float(x).is_integer() and abs(x) >= 1:
        return f"{int(x):,}"
    return f"{x:.{digits}g}"


def seconds(x: float | None) -> str:
    if x is None:
        return "–"
    if x >= 120:
        return f"{x / 60:.1f} min"
    return f"{x:.2f} s" if x < 10 else f"{x:.1f} s"


def student_names(paths: Iterable[str]) -> list[str]:
    """A short, unique name per submission path: the file stem, or as many parent folders as it takes.

    Submissions usually sit in one folder per student (``alice/hw.ipynb``) or one file per student
    (``alice.ipynb``); either way the shortest path suffix that tells them apart is the name people know.
    """
    parts = [list(PurePath(p).with_suffix("").parts) or [str(p)] for p in paths]
    # Drop trailing parts every path shares ('hw' in alice/hw.ipynb, bob/hw.ipynb), keeping one at least.
    while len(parts) > 1 and all(len(p) > 1 for p in parts) and len({p[-1] for p in parts}) == 1:
        parts = [p[:-1] for p in parts]
    depth = 1
    while True:
        names = ["/".join(p[-depth:]) for p in parts]
        if len(set(names)) == len(names) or depth >= max((len(p) for p in parts), default=1):
            break
        depth += 1
    seen: dict[str, int] = {}
    out = []
    for n in names:  # identical paths (the same file graded twice) still get distinct names
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}#{seen[n]}")
    return out


def slug(name: str) -> str:
    """A safe file name for a student's outputs (no separators, no leading dots)."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return s[:100] or "submission"
