"""Write every requested format for a set of results into one folder, with stable file names.

Layout under the output folder (names are the students' names made file-safe)::

    index.html                 class summary (html)        gradebook.csv            (csv)
    <name>.html                one report per submission    junit.xml                (junit)
    results/<name>.json        the result, re-validated     summary.md               (md)
    gradescope/<name>/results.json                          (gradescope)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.grading.result import GradeResult
from grader.render.safe import slug, student_names
from grader.render.html.view import Audience

FORMATS = ("html", "csv", "json", "junit", "gradescope", "md")


@dataclass(frozen=True)
class Entry:
    """A result with what rendering it needs besides itself."""

    result: GradeResult
    figures_dir: Path | None = None
    name: str | None = None


def parse_formats(text: str | Iterable[str]) -> list[str]:
    items = [f.strip().lower() for f in (text.split(",") if isinstance(text, str) else text) if f.strip()]
    items = ["md" if f == "markdown" else f for f in items]
    bad = [f for f in items if f not in FORMATS]
    if bad:
        raise ValueError(f"unknown format(s) {', '.join(bad)}; choose from {', '.join(FORMATS)}")
    return list(dict.fromkeys(items))


def _unique_slugs(names: Sequence[str]) -> list[str]:
    out, seen = [], set()
    for n in names:
        s, k = slug(n), 2
        while s.lower() in seen:  # case-insensitive: two names must not share a file on macOS/Windows
            s, k = f"{slug(n)}-{k}", k + 1
        seen.add(s.lower())
        out.append(s)
    return out


def write_outputs(entries: Sequence[Entry], out: Path, formats: Sequence[str], *,
                  audience: Audience = "instructor", class_page: bool | None = None) -> list[Path]:
    """Render ``formats`` for ``entries`` under ``out``; returns the files written."""
    from grader.render.html.class_page import render_class_summary
    from grader.render.exports import csv, gradescope, json, junit, markdown
    from grader.render.html.report import render_report

    results = [e.result for e in entries]
    auto = student_names([r.submission.path for r in results])
    names = [e.name or a for e, a in zip(entries, auto)]
    slugs = _unique_slugs(names)
    class_page = len(entries) > 1 if class_page is None else class_page
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def put(rel: str, text: str, encoding: str = "utf-8") -> None:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding=encoding, newline="")
        written.append(path)

    for fmt in formats:
        if fmt == "html":
            for e, n, s in zip(entries, names, slugs):
                put(f"{s}.html", render_report(e.result, audience=audience, figures_dir=e.figures_dir, name=n,
                                               class_link="index.html" if class_page else None))
            if class_page:
                put("index.html", render_class_summary(results, names=names, hrefs=[f"{s}.html" for s in slugs]))
        elif fmt == "csv":
            put("gradebook.csv", csv.render_gradebook(results, names), encoding="utf-8-sig")
        elif fmt == "json":
            for r, s in zip(results, slugs):
                put(f"results/{s}.json", json.render_json(r, audience=audience))
        elif fmt == "junit":
            put("junit.xml", junit.render_junit(results, names, audience=audience))
        elif fmt == "gradescope":
            for r, s in zip(results, slugs):
                put(f"gradescope/{s}/results.json", gradescope.render_gradescope(r))
        elif fmt == "md":
            text = (markdown.render_class_markdown(results, names) if class_page else
                    "".join(markdown.render_markdown(r, name=n, audience=audience) for r, n in zip(results, names)))
            put("summary.md", text)
    return written
