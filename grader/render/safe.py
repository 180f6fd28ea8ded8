"""Text helpers shared by every renderer: make student-controlled text inert and numbers readable.

Student-controlled text (names, file paths, printed output, tracebacks, model and layer names, messages
that quote the submission) is made safe once per medium, here, and renderers call the function of the
medium they write:

* :func:`for_terminal` -- no escape sequence or control character reaches a terminal
* :func:`for_html` -- plain text for an autoescaping Jinja template (the template engine escapes markup;
  templates never mark student text ``|safe``)
* :func:`for_csv` -- no cell a spreadsheet would evaluate as a formula
* :func:`for_xml` -- only characters XML 1.0 allows (ElementTree escapes markup but not these)
* :func:`for_markdown` -- inline Markdown with no markup, HTML, links or table breaks the student did not earn
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePath

# CSI sequences (colours, cursor moves), OSC sequences (terminal titles, hyperlinks) and lone escapes.
# Tracebacks from IPython arrive full of colour codes; a report must show the text, not the codes.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
# Control characters other than tab and newline (invalid in XML 1.0, meaningless in HTML), and the
# bidirectional overrides that can make a name or a traceback display as something it is not.
# C1 controls (\x80-\x9f) too: \x9b is a one-byte CSI that many terminals obey like ESC [.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
# Lone surrogates cannot be encoded as UTF-8 and are not XML characters.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# OWASP's list: a leading =, +, -, @, tab or carriage return makes Excel/LibreOffice/Sheets evaluate the cell.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Emphasis, code, tables and link brackets; with '[' and ']' escaped no link can form, so '(' stays.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_SCHEME = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.-]*:")


def clean(text: str | None) -> str:
    """Student text ready for any output: ANSI escapes and control characters removed."""
    if not text:
        return ""
    text = _ANSI.sub("", text).replace("\r\n", "\n")
    # A bare carriage return redraws a progress bar: keep only the last drawing of each line.
    text = "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))
    return _CONTROL.sub("", text)


def for_terminal(text: object, *, multiline: bool = False) -> str:
    """Student text for a terminal: escape sequences removed, other control characters shown as ``\\xNN``.

    One line unless ``multiline``: a name or message with a newline could otherwise print a fake
    line of its own ("Score 100/100 - passed"). Control characters are shown rather than dropped so
    two file names that differ only by them still look different; so is a carriage return in one
    line ("alice\\rbob" would otherwise print as "bob"), while in multi-line output (logs) it redraws a
    progress bar, of which only the last drawing is kept.
    """
    s = _ANSI.sub("", "" if text is None else str(text)).replace("\r\n", "\n")
    if multiline:
        s = "\n".join(line.rsplit("\r", 1)[-1] for line in s.split("\n"))
    else:
        s = " ".join(s.split("\n")).replace("\r", "\\r")
    s = s.replace("\t", " ")
    return _SURROGATE.sub("?", _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), s))


def for_html(text: str | None) -> str:
    """Student text for an autoescaping template: ANSI escapes and control characters removed.

    The template engine escapes markup (autoescape is on for every template); escaping here as well
    would show entities as text.
    """
    return _SURROGATE.sub("?", clean(text))


def for_xml(text: str | None) -> str:
    """Student text XML 1.0 can carry: control characters, non-characters and lone surrogates removed."""
    return _SURROGATE.sub("", clean(text))


def for_csv(value: str | None) -> str:
    """A spreadsheet cell: cleaned, and a quote prefixed where it would otherwise run as a formula."""
    s = clean(value)
    return "'" + s if s.startswith(_FORMULA_START) else s


def for_markdown(text: str | None, limit: int = 500) -> str:
    """Inline-safe Markdown text: one line, no HTML, no emphasis or links the student did not earn.

    GitHub renders HTML inside Markdown, so markup characters become entities; pipes are escaped so a
    table cell stays one cell.
    """
    s = " ".join(clean(text).split())
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


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
