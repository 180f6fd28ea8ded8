"""JSON export: the full public result, versioned; a golden file; loading back for re-rendering."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import test_report_samples as s

from grader.errors import ConfigError
from grader.grading.result import GRADE_SCHEMA_VERSION, GradeResult
from grader.render.audience import for_audience
from grader.render.exports.json import load_results, render_bundle, render_json


def test_golden_result(golden: Callable[[str, str], None]) -> None:
    golden("small-result.json", render_json(s.small_result(0.8, "It has 12 trainable parameters.", "Adam")))


def test_round_trip_and_version(tmp_path: Path) -> None:
    r = s.failing_result()
    path = tmp_path / "r.json"
    path.write_text(render_json(r), encoding="utf-8")
    data = json.loads(path.read_text())
    assert data["schema_version"] == GRADE_SCHEMA_VERSION and data["status"] == r.status.value
    assert load_results(path) == [r]


def test_bundles_load_too(tmp_path: Path) -> None:
    results = s.class_results()
    path = tmp_path / "all.json"
    path.write_text(render_bundle(results))
    assert load_results(path) == results


@pytest.mark.parametrize("content, message", [
    ('{"schema_version": 99}', "newer than this grader"),
    ('{"hello": 1}', "not a grade result"),
    ("{nope", "cannot read JSON"),
    ('{"schema_version": 1, "score": "x"}', "not a valid grade result"),
])
def test_bad_files_are_refused_with_a_reason(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_results(path)


def test_student_copy_conceals_hidden_criteria_and_notes() -> None:
    r = s.failing_result()
    red = GradeResult.model_validate_json(render_json(for_audience(r, "student")))
    hidden = [c for c in red.criteria if c.hidden]
    assert [c.id for c in hidden] == ["hidden-1", "hidden-2"] and red.criterion("three.best.test") is None
    assert all(c.concealed and c.title == "Hidden criterion" and not c.message and not c.feedback
               and c.points == c.max_points == 0 for c in hidden)
    assert all(not c.detail and c.true_value is None for c in red.criteria)
    assert any(c.detail or c.true_value for c in r.criteria)
    assert red.score == r.score and red.parts == r.parts and for_audience(r, "student") == red
