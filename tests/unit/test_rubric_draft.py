"""Rubric drafts from a reference's verified evidence (no TensorFlow: the evidence is built in Python).
tests/integration/test_rubric_draft.py drafts from a real sandboxed run."""

from __future__ import annotations

import pytest
from evidence_factory import dense_model, evidence, nn_basics_evidence, verify
from ruamel.yaml import YAML

from grader.checks.base import Outcome
from grader.grading.grade import grade
from grader.rubric.draft import accuracy_bar, between, draft_rubric, error_bar, nice_range, round_down
from grader.rubric.loader import parse_rubric


@pytest.fixture(scope="module")
def nn_draft():
    return draft_rubric(nn_basics_evidence(), rubric_id="nn-draft", title="NN basics", reference="ref.ipynb")


@pytest.mark.parametrize(("value", "digits", "expected"), [(407050, 1, 400000), (407050, 2, 400000),
                                                           (25450, 2, 25000), (7018, 1, 7000), (9, 1, 9), (0, 1, 0)])
def test_round_down(value: int, digits: int, expected: int) -> None:
    assert round_down(value, digits) == expected


@pytest.mark.parametrize(("low", "high"), [(39760, 302110), (25450, 407050), (99, 101), (1000, 1001), (7018, 88330)])
def test_a_bound_between_two_counts_is_round_and_strictly_between(low: int, high: int) -> None:
    b = between(low, high)
    assert low < b <= high
    assert len(str(b).rstrip("0")) <= len(str(high).rstrip("0"))


def test_units_ranges_and_bars() -> None:
    assert [nice_range(u) for u in (8, 32, 64, 512)] == ["5..10", "20..50", "50..100", "500..1000"]
    assert accuracy_bar(0.9734) == 0.95 and accuracy_bar(0.92) == 0.90
    assert error_bar(0.083) == 0.1 and error_bar(1234.0) == 1500.0


def test_the_draft_validates_and_the_reference_earns_full_marks(nn_draft) -> None:
    rubric = parse_rubric(nn_draft.text, file="draft.yaml")
    result = grade(nn_basics_evidence(), rubric)
    assert result.percent == 100.0 and nn_draft.unearned == ()
    assert all(c.outcome == Outcome.PASSED for c in result.criteria)


def test_one_slot_per_trained_model_with_its_constraints(nn_draft) -> None:
    slots = {s.id: s for s in nn_draft.rubric.slots}
    assert list(slots) == ["big", "small", "deep_tiny", "deep_narrow", "deep_wide", "best"]
    match = {sid: s.match.model_dump(exclude_none=True, exclude_defaults=True) for sid, s in slots.items()}
    # big (302,110) and small (39,760) share one hidden layer: a round bound between them tells them apart.
    assert match["big"]["trainable_params"] == {"min": 100000.0} and match["small"]["trainable_params"] == {"lt": 100000.0}
    assert match["big"]["hidden_layers"] == {"eq": 1.0} and match["best"]["hidden_layers"] == {"min": 3.0}
    assert [match[s]["units"] for s in ("deep_tiny", "deep_narrow", "deep_wide")] == [
        {"min": 5.0, "max": 10.0}, {"min": 20.0, "max": 50.0}, {"min": 50.0, "max": 100.0}]
    assert all(s.require[0].trained for s in slots.values())


def test_shared_requirements_and_metric_bars_under_the_verified_figures(nn_draft) -> None:
    reqs = {r.id: r for r in nn_draft.rubric.requirements}
    assert reqs["general.activation"].hidden_activation and reqs["general.optimizer"].optimizer
    assert reqs["general.validation"].validation is True
    bars = {m.id: m.expect.min for s in nn_draft.rubric.slots for m in s.metrics}
    # best: verified 0.951 (validation) and 0.948 (test) in the factory's evidence; near-chance models get no bar.
    assert bars["best.validation_accuracy"] == 0.93 and bars["best.test_accuracy"] == 0.92
    assert not any(k.startswith("deep_") for k in bars)


def test_proposals_the_reference_misses_are_left_out_and_said_so(nn_draft) -> None:
    assert "general.confusion" in nn_draft.dropped  # the factory's figures are curves only
    kept = {q.id for q in nn_draft.rubric.questions}
    assert "big.q.trainable_params" in kept and not kept & set(nn_draft.dropped)
    assert "Left out (the reference does not earn them): general.confusion" in nn_draft.text


def test_the_draft_is_commented_yaml() -> None:
    draft = draft_rubric(nn_basics_evidence(), rubric_id="nn-draft", title="NN basics", reference="ref.ipynb")
    assert draft.text.startswith("# yaml-language-server: $schema=rubric.schema.json")
    assert "# the reference's model has 302,110" in draft.text
    assert "# the reference's verified figure: 0.9510" in draft.text
    YAML(typ="safe").load(draft.text)


def test_a_reference_with_mixed_choices_gets_no_shared_requirement_for_them() -> None:
    models = [dense_model("m1", [64], activation="relu", name="a", optimizer="Adam"),
              dense_model("m2", [64, 64], activation="sigmoid", name="b")]
    draft = draft_rubric(verify(evidence(models)), rubric_id="mixed", title="Mixed", reference="ref.py")
    ids = {r.id for r in draft.rubric.requirements}
    assert "general.activation" not in ids and "general.optimizer" not in ids and "general.loss" in ids
    assert draft.unearned == ()


def test_a_convolutional_reference_drafts_a_rubric_it_passes() -> None:
    from evidence_factory import tutorial_cnn

    draft = draft_rubric(verify(evidence([tutorial_cnn()])), rubric_id="cnn", title="CNN", reference="cnn.py")
    assert draft.unearned == () and len(draft.rubric.slots) == 1
    match = draft.rubric.slots[0].match
    assert match.hidden_layers is not None and match.units is None  # conv and dense layers: no shared unit count
    assert grade(verify(evidence([tutorial_cnn()])), draft.rubric).percent == 100.0
