"""A broken rubric is refused before anything runs, with file, line and a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.errors import RubricError
from grader.rubric.loader import RubricErrors, load_rubric, parse_rubric

HEAD = 'id: t\ntitle: T\nversion: "1"\n'


def _errors(tmp_path: Path, body: str) -> list[RubricError]:
    path = tmp_path / "r.yaml"
    path.write_text(HEAD + body)
    with pytest.raises(RubricErrors) as info:
        load_rubric(path)
    for err in info.value.errors:
        assert err.file == str(path)
    return info.value.errors


def _one(tmp_path: Path, body: str) -> RubricError:
    errors = _errors(tmp_path, body)
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def test_minimal_rubric_loads(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(HEAD)
    rubric = load_rubric(path)
    assert rubric.id == "t" and rubric.max_score == 0 and rubric.path == path
    assert len(rubric.sha256) == 64


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    err = _one(tmp_path, "slots:\n  - id: s\n    title: S\n    match:\n      hidden_layers: 1\n      unit: '<10'\n")
    assert err.line == 9
    assert "unknown key 'unit'" in err.message
    assert err.hint == "did you mean 'units'?"


def test_unknown_top_level_key(tmp_path: Path) -> None:
    err = _one(tmp_path, "requirments: []\n")
    assert (err.line, err.hint) == (4, "did you mean 'requirements'?")


def test_wrong_type_points_at_its_line(tmp_path: Path) -> None:
    err = _one(tmp_path, "requirements:\n  - id: r\n    optimizer: sgd\n    points: lots\n")
    assert err.line == 7
    assert "points" in err.message and "'lots'" in err.message


@pytest.mark.parametrize("key,value,hint", [
    ("hidden_activation", "sigmod", "did you mean 'sigmoid'?"),
    ("optimizer", "SDG", "did you mean 'sgd'?"),
    ("loss", "categorical_crossentropie", "did you mean 'categorical_crossentropy'?"),
])
def test_unknown_names(tmp_path: Path, key: str, value: str, hint: str) -> None:
    err = _one(tmp_path, f"requirements:\n  - id: r\n    {key}: {value}\n")
    assert err.line == 6
    assert f"'{value}'" in err.message and err.hint == hint


def test_unknown_layer_kind_is_shown_as_a_class_name(tmp_path: Path) -> None:
    err = _one(tmp_path, "requirements:\n  - id: r\n    layer_counts:\n      MaxPoling2D: '>=1'\n")
    assert err.line == 7 and err.hint == "did you mean 'MaxPooling2D'?"


def test_names_are_normalised(tmp_path: Path) -> None:
    rubric = parse_rubric(HEAD + "requirements:\n  - id: r\n    optimizer: SGD\n    loss: CategoricalCrossentropy\n")
    assert rubric.requirements[0].optimizer == ["sgd"]
    assert rubric.requirements[0].loss == ["categorical_crossentropy"]


def test_duplicate_ids(tmp_path: Path) -> None:
    err = _one(tmp_path, "requirements:\n  - id: a\n    optimizer: sgd\n  - id: a\n    loss: mse\n")
    assert err.line == 7 and "duplicate id 'a'" in err.message
    assert "requirements.0" in err.hint


def test_slot_id_clashes_with_criterion_id(tmp_path: Path) -> None:
    err = _one(tmp_path, "slots:\n  - id: s\n    title: S\n    match: {trained: true}\n"
                         "    require:\n      - id: s\n        trained: true\n")
    assert err.line == 9 and "duplicate id 's'" in err.message


def test_missing_part_and_slot_references(tmp_path: Path) -> None:
    errors = _errors(tmp_path, "parts:\n  - id: one\n    title: One\n"
                               "questions:\n  - id: q\n    part: onee\n    slot: big\n    answer: weights\n")
    assert [(e.line, e.hint) for e in errors] == [(9, "did you mean 'one'?"), (10, "add a 'slots' section first")]


def test_threshold_out_of_range(tmp_path: Path) -> None:
    err = _one(tmp_path, "slots:\n  - id: s\n    title: S\n    match: {trained: true}\n    metrics:\n"
                         "      - id: m\n        metric: accuracy\n        split: validation\n        expect: '>92'\n")
    assert err.line == 12 and "outside 0..1" in err.message and "92%" in err.hint


def test_credit_out_of_range(tmp_path: Path) -> None:
    err = _one(tmp_path, "reported_credit: 1.5\n")
    assert err.line == 4 and "reported_credit" in err.message


def test_unreadable_range(tmp_path: Path) -> None:
    err = _one(tmp_path, "requirements:\n  - id: r\n    epochs: 'lots'\n")
    assert err.line == 6 and "cannot read 'lots' as a range" in err.message


def test_empty_range(tmp_path: Path) -> None:
    err = _one(tmp_path, "requirements:\n  - id: r\n    units: {min: 50, max: 10}\n")
    assert err.line == 6 and "empty range" in err.message


def test_invalid_literal_suggests(tmp_path: Path) -> None:
    err = _one(tmp_path, "slots:\n  - id: s\n    title: S\n    match: {trained: true}\n    metrics:\n"
                         "      - id: m\n        metric: accuracy\n        split: valdation\n        expect: '>0.9'\n")
    assert err.line == 11 and err.hint == "did you mean 'validation'?"


def test_criterion_without_constraint(tmp_path: Path) -> None:
    err = _one(tmp_path, "requirements:\n  - id: r\n    points: 2\n")
    assert err.line == 5 and "sets no model constraint" in err.message


def test_missing_required_key(tmp_path: Path) -> None:
    err = _one(tmp_path, "slots:\n  - id: s\n    match: {trained: true}\n")
    assert err.line == 5 and "missing required key 'title'" in err.message


def test_yaml_syntax_error_with_hint_for_unquoted_range(tmp_path: Path) -> None:
    err = _one(tmp_path, "requirements:\n  - id: r\n    epochs: >=10\n")
    assert err.line == 6 and "quote ranges" in err.hint


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    err = _one(tmp_path, "title: again\n")
    assert err.line == 4 and "duplicate key" in err.message


def test_metric_proportional_needs_zero_at(tmp_path: Path) -> None:
    err = _one(tmp_path, "slots:\n  - id: s\n    title: S\n    match: {trained: true}\n    metrics:\n"
                         "      - id: m\n        metric: accuracy\n        split: test\n        expect: '>0.9'\n"
                         "        partial: proportional\n")
    assert err.line == 13 and "zero_at" in err.hint


def test_missing_custom_file(tmp_path: Path) -> None:
    err = _one(tmp_path, "custom:\n  - id: c\n    function: 'nothere.py:check'\n")
    assert err.line == 6 and "does not exist" in err.message


def test_empty_and_non_mapping_files(tmp_path: Path) -> None:
    for text, message in (("", "empty"), ("- a\n- b\n", "mapping")):
        path = tmp_path / "x.yaml"
        path.write_text(text)
        with pytest.raises(RubricError, match=message):
            load_rubric(path)


def test_every_error_is_reported_at_once(tmp_path: Path) -> None:
    errors = _errors(tmp_path, "requirements:\n  - id: a\n    optimiser: sgd\n  - id: b\n    loss: msee\n")
    assert [e.line for e in errors] == [6, 8]


def test_hints_inside_nested_lists(tmp_path: Path) -> None:
    errors = _errors(tmp_path, "slots:\n  - id: s\n    title: S\n    match: {trained: true}\n    require:\n"
                               "      - id: r\n        architecture:\n          - {kind: Conv2D, filter: 32}\n"
                               "    metrics:\n      - id: m\n        metric: accuracy\n        split: test\n"
                               "        expect: '>0.9'\n        partial: {tiers: [{expect: '>0.8', credt: 0.5}]}\n")
    assert [(e.line, e.hint) for e in errors] == [(11, "did you mean 'filters'?"), (17, "did you mean 'credit'?")]
