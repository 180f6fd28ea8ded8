"""Every output format, registered once and looked up by name (like flake8's formatters).

The CLI (``grader grade``, ``grader check``, ``grader report``), :func:`grade_folder` and
:func:`grader.render.outputs.write_outputs` find formats here; nothing else keeps a list of them.
A renderer takes :class:`Item` s whose result already has its audience applied
(:func:`grader.render.audience.for_audience`) and returns the files it would write, relative to the
output folder; it never redacts and never touches the disk.

Layout under the output folder (``<name>`` is the student's name made file-safe)::

    html        <name>.html, and index.html (the class page) when there is a class page
    csv         gradebook.csv
    json        results/<name>.json
    junit       junit.xml
    gradescope  gradescope/<name>/results.json
    md          summary.md (a table of students when there is a class page)
    text        text/<name>.txt (the terminal summary, without colour)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from grader.grading.result import GradeResult

DEFAULT_FORMATS: tuple[str, ...] = ("html", "csv", "json", "junit", "md")
"""What ``grader grade`` and ``grader report`` write when no ``--format`` is given."""
ALIASES = {"markdown": "md", "txt": "text"}


class Scope(str, Enum):
    SUBMISSION = "submission"
    """One file (or folder) per submission."""
    CLASS = "class"
    """One file for every submission together."""


@dataclass(frozen=True)
class Item:
    """One submission ready to render: its result for the audience, its display name and file name."""

    result: GradeResult
    name: str
    slug: str
    figures_dir: Path | None = None


@dataclass(frozen=True)
class Rendered:
    """One file a renderer produced: where it goes under the output folder, and its text."""

    path: str
    text: str
    encoding: str = "utf-8"


@runtime_checkable
class Renderer(Protocol):
    format: str
    """The name ``--format`` takes."""
    scope: Scope
    layout: str
    """Where its files go, for help texts and docs (``<name>`` is the student's file name)."""
    description: str

    def render(self, items: Sequence[Item], *, class_page: bool) -> list[Rendered]:
        """The files for ``items``; ``class_page`` says whether a class-level view goes with them."""
        ...


@dataclass(frozen=True)
class _Html:
    format: str = "html"
    scope: Scope = Scope.SUBMISSION
    layout: str = "<name>.html, index.html"
    description: str = "one self-contained report per submission, and the class page"

    def render(self, items: Sequence[Item], *, class_page: bool) -> list[Rendered]:
        from grader.render.html.class_page import render_class_summary
        from grader.render.html.report import render_report

        out = [Rendered(f"{i.slug}.html", render_report(i.result, figures_dir=i.figures_dir, name=i.name,
                                                          class_link="index.html" if class_page else None))
               for i in items]
        if class_page:
            out.append(Rendered("index.html", render_class_summary([i.result for i in items], names=[i.name for i in items],
                                                                   hrefs=[f"{i.slug}.html" for i in items])))
        return out


@dataclass(frozen=True)
class _Csv:
    format: str = "csv"
    scope: Scope = Scope.CLASS
    layout: str = "gradebook.csv"
    description: str = "gradebook for Canvas, Moodle and spreadsheets"

    def render(self, items: Sequence[Item], *, class_page: bool) -> list[Rendered]:
        from grader.render.exports.csv import render_gradebook

        # UTF-8 with a BOM: Excel otherwise reads accented names as mojibake; pandas and LMSs skip the BOM.
        return [Rendered("gradebook.csv", render_gradebook([i.result for i in items], [i.name for i in items]),
                         encoding="utf-8-sig")]


@dataclass(frozen=True)
class _Json:
    format: str = "json"
    scope: Scope = Scope.SUBMISSION
    layout: str = "results/<name>.json"
    description: str = "the result itself, for archives, other tools and `grader report`"

    def render(self, items: Sequence[Item], *, class_page: bool) -> list[Rendered]:
        from grader.render.exports.json import render_json

        return [Rendered(f"results/{i.slug}.json", render_json(i.result)) for i in items]


@dataclass(frozen=True)
class _Junit:
    format: str = "junit"
    scope: Scope = Scope.CLASS
    layout: str = "junit.xml"
    description: str = "JUnit XML for CI systems"

    def render(self, items: Sequence[Item], *, class_page: bool) -> list[Rendered]:
        from grader.render.exports.junit import render_junit

        return [Rendered("junit.xml", render_junit([i.result for i in items], [i.name for i in items]))]


@dataclass(frozen=True)
class _Gradescope:
    format: str = "gradescope"
    scope: Scope = Scope.SUBMISSION
    layout: str = "gradescope/<name>/results.json"
    description: str = "a Gradescope autograder's results.json"

    def render(self, items: Sequence[Item], *, class_page: bool) -> list[Rendered]:
        from grader.render.exports.gradescope import render_gradescope

        return [Rendered(f"gradescope/{i.slug}/results.json", render_gradescope(i.result)) for i in items]


@dataclass(frozen=True)
class _Markdown:
    format: str = "md"
    scope: Scope = Scope.CLASS
    layout: str = "summary.md"
    description: str = "a CI job summary or pull-request comment"

    def render(self, items: Sequence[Item], *, class_page: bool) -> list[Rendered]:
        from grader.render.exports.markdown import render_class_markdown, render_markdown

        text = (render_class_markdown([i.result for i in items], [i.name for i in items]) if class_page else
                "".join(render_markdown(i.result, name=i.name) for i in items))
        return [Rendered("summary.md", text)]


@dataclass(frozen=True)
class _Text:
    format: str = "text"
    scope: Scope = Scope.SUBMISSION
    layout: str = "text/<name>.txt"
    description: str = "the terminal summary, without colour"

    def render(self, items: Sequence[Item], *, class_page: bool) -> list[Rendered]:
        from grader.render.terminal import render_summary

        return [Rendered(f"text/{i.slug}.txt", render_summary(i.result) + "\n") for i in items]


RENDERERS: dict[str, Renderer] = {r.format: r for r in (_Html(), _Csv(), _Json(), _Junit(), _Gradescope(),
                                                         _Markdown(), _Text())}


def formats() -> tuple[str, ...]:
    """Every registered format name, in a stable order."""
    return tuple(RENDERERS)


def get_renderer(fmt: str) -> Renderer:
    name = ALIASES.get(fmt.strip().lower(), fmt.strip().lower())
    try:
        return RENDERERS[name]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(formats())}") from None


def parse_formats(text: str | Iterable[str]) -> list[str]:
    """Format names from ``--format`` ('html,csv') or a list, aliases resolved, each once, in order."""
    items = [f.strip().lower() for f in (text.split(",") if isinstance(text, str) else text) if f.strip()]
    items = [ALIASES.get(f, f) for f in items]
    bad = [f for f in items if f not in RENDERERS]
    if bad:
        raise ValueError(f"unknown format(s) {', '.join(bad)}; choose from {', '.join(formats())}")
    return list(dict.fromkeys(items))
