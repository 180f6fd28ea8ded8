"""The class summary page: histogram, pass rates, linked and sortable students, failures by cause, timings."""

from __future__ import annotations

import re

import pytest
import test_report_samples as s
from test_report_html import Page

from grader.render.html.class_page import criterion_stats, failures_by_cause, render_class_summary
from grader.render.html.report import csp_script_hash


@pytest.fixture(scope="module")
def results() -> list:
    return s.class_results()


@pytest.fixture(scope="module")
def html(results: list) -> str:
    return render_class_summary(results, hrefs=[f"{n}.html" for n in ("alice", "bob", "carol", "dan", "erin")])


def test_students_link_to_their_reports(html: str) -> None:
    page = Page(html)
    links = [a["href"] for a in page.all("a") if a["href"].endswith(".html")]
    assert links == ["alice.html", "bob.html", "carol.html", "dan.html", "erin.html"]
    rows = re.findall(r'<tr data-status="(\w+)">', html)
    assert rows == ["passed", "failed", "failed", "passed", "passed"]


def test_histogram_counts_every_submission(html: str) -> None:
    bars = re.findall(r"<title>(\d+)–(\d+): (\d+)</title>", html)
    assert len(bars) == 10 and sum(int(c) for _, _, c in bars) == 5
    assert {(a, b): int(c) for a, b, c in bars}[("90", "100")] == 3


def test_pass_rate_per_criterion(results: list) -> None:
    stats = {c.id: c for c in criterion_stats(results)}
    epochs = stats["general.epochs"]
    assert epochs.counts["skipped"] == 1 and epochs.decided == 3
    assert stats["build.sgd"].pass_rate == 100.0 and stats["build.sgd"].decided == 1
    assert stats["three.best.validation"].pass_rate == pytest.approx(100 / 3)


def test_failed_runs_are_grouped_by_cause(results: list, html: str) -> None:
    groups = failures_by_cause(results, ["a", "b", "c", "d", "e"])
    assert groups == {"crashed": [("b", "NameError: name 'x_val' is not defined")],
                      "timeout": [("c", "ran past 3600 s")]}
    assert "did not run cleanly" in html and "ran past 3600 s" in html


def test_timings(html: str) -> None:
    assert "Total run time" in html and "63.2 min" in html and "Slowest submissions" in html
    assert html.index("carol: 60.0 min") < html.index("bob: 84.2 s")


def test_only_its_own_script_may_run(html: str) -> None:
    page = Page(html)
    csp = next(a["content"] for a in page.all("meta") if a.get("http-equiv") == "Content-Security-Policy")
    script = html.split("<script>")[1].split("</script>")[0]
    assert csp_script_hash(script) in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "default-src 'none'" in csp and len(page.all("script")) == 1
    assert 'id="filter"' in html and 'data-type="number"' in html


def test_empty_class_renders() -> None:
    assert "No submissions" in render_class_summary([])
