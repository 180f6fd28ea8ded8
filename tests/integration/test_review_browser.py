"""The TA review page in a real browser (Debian's Chromium driven by Playwright, as the report tests do), over a
class graded for real: find the flagged student, override a criterion with a comment, re-grade the class after a
rubric edit, and find the override in the gradebook, the report and every export; a request without the token
is refused.

Two scripts on synthetic MNIST, one epoch: one trains on the test split too (flagged for review).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.tf, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCRIPT = """
import keras
import numpy as np
keras.utils.set_random_seed(0)
(x, y), (xt, yt) = keras.datasets.mnist.load_data()
x, xt = x / 255.0, xt / 255.0
if {gaming}:
    x, y = np.concatenate([x, xt]), np.concatenate([y, yt])
model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=1, batch_size=256, verbose=0)
print(model.evaluate(xt, yt, verbose=0))
"""
RUBRIC = """
id: review-class
title: Review class
version: "1"
requirements:
  - {{id: sgd, title: Uses SGD, optimizer: sgd, points: 2}}
slots:
  - id: net
    title: The network
    match: {{trained: true}}
    points: {slot_points}
    metrics:
      - {{id: net.test, metric: accuracy, split: test, expect: ">= 0.0", points: 1}}
"""
COMMENT = "Adam was allowed this term <b>really</b>"
COMMENT_WORDS = "Adam was allowed this term"  # what survives every output's own escaping


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


ENV = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}


def grade(root: Path, datasets: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", "grade", str(root / "class"), "--rubric",
                           str(root / "rubric.yaml"), "--datasets", str(datasets), "--out", str(root / "grades"),
                           "--format", "html,csv,json,junit,gradescope,md", "--jobs", "2"],
                          env=ENV, capture_output=True, text=True, timeout=500)


@pytest.fixture
def review_server(tmp_path: Path, dataset_store) -> Iterator[tuple[Path, str, Path]]:
    root = tmp_path
    (root / "class").mkdir()
    (root / "class" / "gamer.py").write_text(SCRIPT.format(gaming=True))
    (root / "class" / "honest.py").write_text(SCRIPT.format(gaming=False))
    (root / "rubric.yaml").write_text(RUBRIC.format(slot_points=1))
    graded = grade(root, dataset_store.root)
    assert graded.returncode in (0, 1), graded.stdout + graded.stderr
    proc = subprocess.Popen([sys.executable, "-m", "grader", "review", str(root / "grades"), "--reviewer", "ta-jane",
                             "--no-similarity"], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("review page: http://127.0.0.1:"), line + (proc.stderr.read() if proc.poll() else "")
        yield root, line.split(": ", 1)[1].strip(), dataset_store.root
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _status(url: str) -> int:
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_ta_overrides_in_the_browser_and_every_output_counts_it_after_a_regrade(browser, review_server) -> None:
    root, url, datasets = review_server
    base = url.split("/?token=")[0]
    assert _status(base + "/") == 403 and _status(base + "/student?name=gamer") == 403
    assert _status(base + "/?token=not-the-token") == 403
    assert _status(url) == 200

    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    flagged = page.locator("tr.flagged")
    assert flagged.count() == 1 and flagged.first.get_attribute("data-student") == "gamer"
    assert "trained_on_test" in flagged.first.inner_text() or "test split" in flagged.first.inner_text()
    flagged.first.locator("a").click()
    page.wait_for_url("**/student?name=gamer*")
    row = page.locator("#criterion-sgd")
    assert "failed" in row.locator("td.original").inner_text()
    row.locator("select[name=verdict]").select_option("passed")
    row.locator("input[name=comment]").fill(COMMENT)
    row.locator("button[type=submit]").click()
    page.wait_for_load_state()
    row = page.locator("#criterion-sgd")
    assert "passed 2 / 2" in row.locator("td.overridden").inner_text()
    assert COMMENT in row.locator("td.overridden").inner_text()  # shown as text, not markup
    assert "failed 0 / 2" in row.locator("td.original").inner_text()
    assert "override" in page.locator("#history").inner_text()
    assert not errors
    context.close()

    # The rubric changes another criterion: re-graded from stored evidence, the override still applies.
    (root / "rubric.yaml").write_text(RUBRIC.format(slot_points=3))
    again = grade(root, datasets)
    assert again.returncode in (0, 1), again.stdout + again.stderr
    out = root / "grades"
    rows = {r["Student"]: r for r in csv.DictReader((out / "gradebook.csv").read_text(encoding="utf-8-sig")
                                                     .splitlines())}
    gamer, honest = rows["gamer"], rows["honest"]
    assert float(gamer["sgd"]) == 2 and float(honest["sgd"]) == 0
    assert float(gamer["Total"]) == float(gamer["sgd"]) + float(gamer["net"]) + float(gamer["net.test"])
    result = json.loads((out / "results" / "gamer.json").read_text())
    sgd = next(c for c in result["criteria"] if c["id"] == "sgd")
    assert sgd["override"]["applied"] and sgd["override"]["original_points"] == 0 and sgd["points"] == 2
    assert [h["reason"] for h in result["history"]] == ["new_submission", "override", "rubric_change"]
    report = context_page_text(browser, out / "gamer.html")
    assert COMMENT in report and "Grade history" in report and "rubric change" in report
    exported = {str(p.relative_to(out)): p.read_text(encoding="utf-8") for p in out.rglob("*")
                if p.is_file() and p.suffix in (".md", ".json")}
    total = float(gamer["Total"])
    assert f"| gamer | {total:g}/" in exported["summary.md"]  # the class summary counts the overridden points
    gradescope = json.loads(exported["gradescope/gamer/results.json"])
    test = next(t for t in gradescope["tests"] if t["name"] == "Uses SGD")
    assert test["score"] == 2 and COMMENT_WORDS in test["output"]


def context_page_text(browser: Any, path: Path) -> str:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(path.as_uri())
        return page.inner_text("body")
    finally:
        context.close()
