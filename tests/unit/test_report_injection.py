"""Student-controlled text (names, outputs, tracebacks, markdown, labels, paths) renders inert everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import test_report_samples as s
from test_report_html import Page

from grader.render.audience import for_audience
from grader.render.html.class_page import render_class_summary
from grader.render.exports.markdown import render_markdown
from grader.render.html.report import render_report

PAYLOAD_PARTS = ("<script>alert(1)</script>", "<img src=x")


def assert_inert(html: str) -> None:
    page = Page(html)
    for part in PAYLOAD_PARTS:
        assert part not in html, part
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, not dropped
    scripts = page.all("script")
    assert len(scripts) <= 1 and all(not a for a in scripts)  # only the page's own inline script, if any
    assert not [a for _, attrs in page.tags for a in attrs if a.startswith("on")]
    assert [t for t, _ in page.tags].count("img") <= 2
    assert "\x1b" not in html and "\x07" not in html


def test_student_report_is_inert(tmp_path: Path) -> None:
    r = s.hostile_result()
    for audience in ("student", "instructor"):
        assert_inert(render_report(for_audience(r, audience), figures_dir=s.figures_dir(tmp_path, r), name=s.XSS))


def test_class_summary_is_inert() -> None:
    r = s.hostile_result()
    html = render_class_summary([r, s.with_path(r, s.XSS + "/x.ipynb")], names=[s.XSS, s.IMG_XSS],
                                hrefs=["javascript:alert(1)", "b.html"],
                                title=s.XSS)
    assert_inert(html)
    assert "javascript:" not in html and 'href="b.html"' in html


def test_markdown_summary_is_inert() -> None:
    md = render_markdown(s.hostile_result(), name=s.XSS)
    assert "<script" not in md and "<img" not in md and "&lt;script&gt;" in md


def test_hostile_result_still_serialises() -> None:
    assert s.XSS in json.dumps(s.hostile_result().model_dump(mode="json"))  # data keeps it; renderers escape it
