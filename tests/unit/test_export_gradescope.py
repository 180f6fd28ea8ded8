"""Gradescope results.json, validated against a JSON Schema written from Gradescope's documented format."""

from __future__ import annotations

import json
from collections.abc import Callable

import jsonschema
import pytest
import test_report_samples as s

from grader.render.exports.gradescope import gradescope_results, render_gradescope

VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
# Gradescope's autograder specification: results/results.json, top level and per test.
GRADESCOPE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "anyOf": [{"required": ["score"]}, {"required": ["tests"]}],
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number"},
        "output": {"type": "string"},
        "output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "test_output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "test_name_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "leaderboard": {"type": "array"},
        "tests": {"type": "array", "items": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "score": {"type": "number"},
                "max_score": {"type": "number"},
                "status": {"enum": ["passed", "failed"]},
                "name": {"type": "string"},
                "name_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
                "number": {"type": "string"},
                "output": {"type": "string"},
                "output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "visibility": VISIBILITY,
                "extra_data": {"type": "object"},
            },
        }},
    },
}


@pytest.mark.parametrize("make", [s.good_result, s.failing_result, s.hostile_result, s.small_result])
def test_valid_against_the_documented_schema(make: Callable[[], object]) -> None:
    data = json.loads(render_gradescope(make()))  # type: ignore[arg-type]
    jsonschema.validate(data, GRADESCOPE_SCHEMA)


def test_scores_statuses_and_visibility() -> None:
    r = s.failing_result()
    data = gradescope_results(r)
    assert data["score"] == r.score and len(data["tests"]) == len(r.criteria)
    assert sum(t["score"] for t in data["tests"]) == pytest.approx(r.score)
    by_name = {t["name"]: t for t in data["tests"]}
    hidden = by_name["Test accuracy above 92%"]
    assert hidden["visibility"] == "after_published" and hidden["status"] == "failed"
    assert by_name["Hidden layers use the sigmoid activation"]["visibility"] == "visible"
    assert "What to change" in by_name["Validation accuracy above 92%"]["output"]
    data = gradescope_results(r, hidden_visibility="hidden")
    assert {t["visibility"] for t in data["tests"]} == {"visible", "hidden"}
    with pytest.raises(ValueError):
        gradescope_results(r, hidden_visibility="never")  # type: ignore[arg-type]


def test_quick_mode_skips_add_nothing() -> None:
    r = s.stable(s.grade(s.f.nn_basics_evidence(), s.keras_rubric(), quick=True))
    data = gradescope_results(r)
    assert sum(t["max_score"] for t in data["tests"]) == pytest.approx(r.max_score)
    assert "Quick mode" in data["output"]
