"""The visible text of an HTML report, for places that show plain text (Gradescope's ``output``).

Gradescope shows a result's ``output`` to the student, and its HTML mode strips styles, scripts and SVG, so
the report's own HTML would arrive as a broken page. Its text, with one line per block, reads the same
as the page: score, notes, criteria by part, what to change.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = {"style", "script", "svg", "head", "template", "noscript", "nav"}  # nav: in-page links, not content
_BLOCK = {"p", "div", "section", "article", "header", "footer", "main", "nav", "aside", "h1", "h2", "h3", "h4",
          "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "tr", "table", "thead", "tbody", "br", "hr", "pre",
          "details", "summary", "figure", "figcaption", "blockquote", "caption"}
_CELL = {"td", "th"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []  # the open elements whose text is left out

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP or (tag == "a" and "skip" in (dict(attrs).get("class") or "").split()):
            self.skipping.append(tag)  # a "skip to content" link is for screen readers on the page
        elif self.skipping:
            return
        elif tag in _BLOCK:
            self.parts.append("\n")
        elif tag in _CELL:
            self.parts.append(" | ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f"[{alt}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            return  # a self-closed <svg/> opens nothing to skip
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()
        elif tag in _BLOCK and not self.skipping:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_text(html: str) -> str:
    """The text a reader sees in ``html``: one line per block element, runs of blank space collapsed."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = []
    for line in "".join(parser.parts).split("\n"):
        line = re.sub(r"[ \t\r\f\v]+", " ", line).strip(" |")
        line = line.strip()
        if line:
            lines.append(line)
    return "\n".join(lines) + "\n"


__all__ = ["html_text"]
