"""The HTML pages in a real browser: Debian's Chromium, driven by Playwright, loading from file://.

Each page kind must load with no console errors, make no request other than file: and data:,
draw its SVG charts at a real size and run its own script (sorting, filtering). Screenshots go to
reports/screenshots/ (git-ignored) for a human to look at.

Needs `apt-get install chromium` (scripts/install-system-deps.sh) and `pip install playwright`;
Playwright's own browser download is never used.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "unit"))  # the result samples built from the evidence factory

import test_report_samples as samples

from grader.render.outputs import Entry, write_outputs

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "reports" / "screenshots"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return "Chromium is not installed (apt-get install chromium, or scripts/install-system-deps.sh)"
    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is not installed (pip install 'grader[test]')"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A class folder (index + one report per student) and two single reports, with figures embedded."""
    out = tmp_path_factory.mktemp("site")
    results = samples.class_results()
    runs = out.parent / "runs"
    entries = [Entry(r, samples.figures_dir(runs / str(i), r)) for i, r in enumerate(results)]
    write_outputs(entries, out / "class", ["html"], audience="instructor")
    hostile = samples.hostile_result()
    write_outputs([Entry(hostile, samples.figures_dir(runs / "hostile", hostile), name=samples.XSS)],
                  out / "hostile", ["html"], audience="student")
    write_outputs([Entry(samples.failing_result())], out / "student", ["html"], audience="student")
    return out


class Visit:
    """A page opened from file:// with every console message, page error and request recorded."""

    def __init__(self, browser: Any, path: Path, **context: Any) -> None:
        self.context = browser.new_context(**context)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.as_uri(), wait_until="load")

    def check_clean(self) -> None:
        errors = [m for m in self.console if m.startswith(("error", "pageerror", "warning"))]
        assert not errors, errors
        assert all(u.startswith(("file:", "data:")) for u in self.requests), self.requests

    def boxes(self, selector: str) -> list[dict[str, float]]:
        return self.page.eval_on_selector_all(
            selector, "els => els.map(e => { const r = e.getBoundingClientRect(); "
                      "return {w: r.width, h: r.height}; })")

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / name
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()


def test_student_report_renders_offline_with_charts_and_figures(browser: Any, site: Path) -> None:
    v = Visit(browser, site / "class" / "alice.html", viewport={"width": 1100, "height": 900})
    try:
        v.check_clean()
        charts = v.boxes("svg.chart")
        assert len(charts) == 12 and all(b["w"] > 100 and b["h"] > 50 for b in charts)
        lines = v.boxes("svg.chart polyline")
        assert len(lines) == 24 and all(b["w"] > 10 for b in lines)
        widths = v.page.eval_on_selector_all("img.subfig", "els => els.map(e => e.naturalWidth)")
        assert len(widths) == 6 and all(w > 0 for w in widths)
        assert v.page.locator("h1").inner_text().startswith("Neural network basics in Keras")
        v.shot("report-instructor.png")
    finally:
        v.close()


def test_report_on_a_phone_and_in_print(browser: Any, site: Path) -> None:
    v = Visit(browser, site / "student" / "hw.html", viewport={"width": 390, "height": 844},
              device_scale_factor=2, is_mobile=True, has_touch=True)
    try:
        v.check_clean()
        # Nothing wider than the screen: tables stack, charts scale.
        overflow = v.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"page is {overflow}px wider than the phone"
        assert all(b["w"] <= 390 for b in v.boxes("svg.chart"))
        assert v.page.get_by_text("Hidden until grades are released.").count() == 2
        v.shot("report-student-phone.png")
    finally:
        v.close()
    v = Visit(browser, site / "student" / "hw.html", viewport={"width": 794, "height": 1123})  # A4 at 96 dpi
    try:
        v.page.emulate_media(media="print")
        assert v.page.locator("nav.toc").is_hidden() and v.page.locator("details").first.is_hidden()
        v.shot("report-student-print.png")
    finally:
        v.close()


def test_class_summary_sorts_and_filters(browser: Any, site: Path) -> None:
    v = Visit(browser, site / "class" / "index.html", viewport={"width": 1100, "height": 900})
    try:
        v.check_clean()
        bars = v.boxes("svg.chart rect.bar")
        bins = {min(9, int(r.percent // 10)) for r in samples.class_results()}
        assert len(bars) == 10 and sum(1 for b in bars if b["h"] > 0) == len(bins)
        names = lambda: v.page.eval_on_selector_all(
            "#students tbody tr:not([hidden]) td:first-child", "els => els.map(e => e.textContent.trim())")
        assert names() == ["alice", "bob", "carol", "dan", "erin"]
        v.page.get_by_role("button", name="Percent").click()
        v.page.get_by_role("button", name="Percent").click()  # descending
        assert names()[-1] == "carol"
        assert v.page.locator("th[aria-sort=descending]").count() == 1
        v.page.get_by_label("Filter by name").fill("ar")
        assert names() == ["carol"]
        v.page.get_by_label("Filter by name").fill("")
        v.page.get_by_label("Grade status").select_option("failed")
        assert sorted(names()) == ["bob", "carol"]
        assert "2 of 5 shown" in v.page.locator("#shown").inner_text()
        v.page.get_by_label("Grade status").select_option("")
        v.shot("class-summary.png")
        v.page.get_by_role("link", name="bob").click()
        v.page.wait_for_load_state("load")
        assert v.page.url.endswith("/bob.html")
        v.check_clean()
    finally:
        v.close()


def test_hostile_report_runs_nothing(browser: Any, site: Path) -> None:
    page_file = next((site / "hostile").glob("*.html"))
    v = Visit(browser, page_file, viewport={"width": 1100, "height": 900})
    try:
        v.check_clean()
        dialogs: list[str] = []
        v.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        v.page.reload(wait_until="load")
        assert not dialogs and v.page.locator("script").count() == 0
        assert v.page.get_by_text(samples.XSS).count() >= 3  # shown as text
        v.shot("report-hostile.png")
    finally:
        v.close()

