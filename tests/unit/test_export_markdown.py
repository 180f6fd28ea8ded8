"""Markdown for CI job summaries: the score first, what to change, and nothing a student can inject."""

from __future__ import annotations

from collections.abc import Callable

import test_report_samples as s

from grader.render.audience import for_audience
from grader.render.exports.markdown import render_class_markdown, render_markdown
from grader.render.safe import for_markdown as md


def test_summary_leads_with_the_score_and_lists_what_to_fix() -> None:
    r = s.failing_result()
    text = render_markdown(for_audience(r, "student"), name="bob")
    first = text.splitlines()[0]
    assert first.startswith("### ❌ bob: Neural network basics in Keras") and f"{r.percent:.1f}%" in first
    assert "> **Run crashed**" in text and "Reported figures disagree" in text
    assert "| Part | Points |" in text and "Train longer" in text
    assert "hidden criterion" in text and "Test accuracy above 92%" not in text


def test_escaping() -> None:
    assert md("a|b") == "a\\|b" and md("<b>x</b>") == "&lt;b&gt;x&lt;/b&gt;"
    assert md("[link](http://x)") == "\\[link\\](http://x)" and md("line\none") == "line one"
    assert md("x" * 600).endswith("…")


def test_class_markdown() -> None:
    text = render_class_markdown(s.class_results())
    assert text.count("\n| ") == 7 and "| alice | 100/100 | 100.0% | ✅ passed | completed |" in text


def test_golden_markdown(golden: Callable[[str, str], None]) -> None:
    golden("small-summary.md", render_markdown(for_audience(s.small_result(0.8, optimizer="Adam"), "student"), name="ben"))
