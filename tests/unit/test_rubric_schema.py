"""The committed JSON Schema is current, documents every field, and every bundled rubric is valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli.rubric import rubric_group
from grader.rubric.loader import load_rubric
from grader.rubric.model import Rubric
from grader.rubric.ranges import Range
from grader.rubric.resolve import bundled_rubrics, resolve_rubric
from grader.rubric.schema import rubric_json_schema, schema_text

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "rubrics").glob("*.yaml"))
EXPECTED = {"nn-basics-keras", "nn-basics-tensorflow", "cnn-fashion-mnist", "cnn-mnist-tutorial",
            "cnn-notebook-exercises"}


def test_committed_schema_is_current() -> None:
    committed = (ROOT / "rubrics" / "rubric.schema.json").read_text()
    assert committed == schema_text(), "stale schema: run `grader rubric schema -o rubrics/rubric.schema.json`"


def _properties(node: object, path: str = ""):
    if isinstance(node, dict):
        for name, prop in node.get("properties", {}).items():
            yield f"{path}/{name}", prop
        for key, value in node.items():
            yield from _properties(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _properties(value, f"{path}/{i}")


def test_every_field_has_a_description() -> None:
    missing = [p for p, prop in _properties(rubric_json_schema()) if not prop.get("description")]
    assert not missing


def test_schema_is_strict_and_offers_compact_ranges() -> None:
    schema = rubric_json_schema()
    assert schema["additionalProperties"] is False
    assert {v.get("type") for v in schema["$defs"]["Range"]["anyOf"]} >= {"string", "number", "object"}
    json.dumps(schema)


def test_models_are_frozen() -> None:
    rubric = Rubric(id="x", title="x", version="1")
    with pytest.raises(Exception):
        rubric.title = "y"  # type: ignore[misc]


def test_all_exercises_have_a_bundled_rubric() -> None:
    assert {p.stem for p in BUNDLED} == EXPECTED
    assert set(bundled_rubrics()) >= EXPECTED
    assert resolve_rubric("nn-basics-keras") == ROOT / "rubrics" / "nn-basics-keras.yaml"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_rubric_is_valid(path: Path) -> None:
    rubric = load_rubric(path)
    assert rubric.id == path.stem
    assert rubric.max_score == 100
    assert all(item.title for item, _ in rubric.criteria() if item.points), "give scored criteria a title"


def test_nn_basics_thresholds_are_the_exercise_s() -> None:
    rubric = load_rubric(ROOT / "rubrics" / "nn-basics-keras.yaml")
    slots = {s.id: s for s in rubric.slots}
    assert slots["one.big"].match.trainable_params == Range(min=300000)
    assert slots["one.small"].match.trainable_params == Range(lt=50000)
    assert slots["two.tiny"].match.units == Range(lt=10)
    assert [m.expect for m in slots["three.best"].metrics] == [Range(gt=0.92)] * 2


@pytest.mark.parametrize("text,inside,outside", [
    (">=300000", [300000, 4e5], [299999]),
    ("<50,000", [49999], [50000]),
    ("==1", [1], [0, 2]),
    ("10..50", [10, 50], [9, 51]),
    (">92%", [0.93], [0.92]),
    (3, [3], [3.1]),
    ({"min": 1, "lt": 5}, [1, 4.9], [5]),
])
def test_range_forms(text: object, inside: list[float], outside: list[float]) -> None:
    r = Range.model_validate(text)
    assert all(r.contains(v) for v in inside) and not any(r.contains(v) for v in outside)
    assert not r.contains(None)


def test_cli_schema_validate_show_list(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(rubric_group, ["schema"])
    assert out.exit_code == 0 and json.loads(out.output)["title"] == "grader rubric"
    target = tmp_path / "s.json"
    assert runner.invoke(rubric_group, ["schema", "-o", str(target)]).exit_code == 0
    assert target.read_text() == schema_text()

    ok = runner.invoke(rubric_group, ["validate", *map(str, BUNDLED)])
    assert ok.exit_code == 0 and ok.output.count("ok:") == len(BUNDLED)
    bad = tmp_path / "bad.yaml"
    bad.write_text('id: b\ntitle: B\nversion: "1"\nrequirements:\n  - id: r\n    optimiser: sgd\n')
    res = runner.invoke(rubric_group, ["validate", str(bad), "nn-basics-keras"])
    assert res.exit_code == 2
    assert f"{bad}:6:" in res.output and "did you mean 'optimizer'?" in res.output
    assert "ok: nn-basics-keras" in res.output

    shown = runner.invoke(rubric_group, ["show", "cnn-mnist-tutorial"])
    assert shown.exit_code == 0 and "slot tutorial.cnn" in shown.output and "100 points" in shown.output
    assert runner.invoke(rubric_group, ["show", "nn-basic-keras"]).exit_code == 2

    listed = runner.invoke(rubric_group, ["list"])
    assert listed.exit_code == 0
    assert all(name in listed.output for name in EXPECTED)
