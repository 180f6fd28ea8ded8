"""Slot matching: one optimal assignment, with reasons for every model left out."""

from __future__ import annotations

import evidence_factory as f

from grader.checks.context import GradeContext
from grader.grading.matching import match_slots
from grader.rubric.model import Slot


def slot(sid: str, **match) -> Slot:
    return Slot.model_validate({"id": sid, "title": sid, "match": match})


def assign(models, slots, score=lambda s, m: 0.0):
    ctx = GradeContext.build(f.verify(f.evidence(models)))
    result = match_slots(ctx, slots, score)
    return {sid: m.model_id for sid, m in result.slots.items()}, result


def test_optimal_where_first_come_first_served_is_wrong() -> None:
    # The small single-hidden-layer model fits both slots; greedy gives it the first slot, and
    # the deep model then fits nothing. The optimal assignment swaps them.
    small = f.dense_model("m1", [40])
    deep = f.dense_model("m2", [64, 64, 64])
    slots = [slot("any", hidden_layers=">=1"), slot("single", hidden_layers="==1", trainable_params="<50000")]
    chosen, result = assign([small, deep], slots)
    assert chosen == {"any": "m2", "single": "m1"}
    assert result.slots["single"].unmet == [] and result.slots["any"].unmet == []


def test_fewer_unmet_constraints_win_over_order() -> None:
    near = f.dense_model("m1", [200])  # 1 hidden layer, ~159k params: misses the params bound
    exact = f.dense_model("m2", [400])
    chosen, result = assign([near, exact], [slot("big", hidden_layers="==1", trainable_params=">=300000")])
    assert chosen == {"big": "m2"}
    assert result.rejections["m1"]["big"][0].startswith("159,010 trainable parameters (needs >= 300,000)")
    assert "the slot went to m2 'model_m2'" in result.rejections["m1"]["big"][-1]


def test_criteria_score_breaks_ties() -> None:
    weak, strong = f.dense_model("m1", [64] * 3, val_acc=0.8), f.dense_model("m2", [64] * 3, val_acc=0.95)
    score = lambda s, m: m.record.fits[0].history["val_accuracy"][-1]  # noqa: E731
    chosen, result = assign([weak, strong], [slot("best", hidden_layers=">=3")], score)
    assert chosen == {"best": "m2"}
    assert result.rejections["m1"]["best"] == ["the slot went to m2 'model_m2', a better fit"]


def test_untrained_models_rank_below_trained_ones() -> None:
    crashed = f.dense_model("m1", [400], trained=False)
    trained = f.dense_model("m2", [400])
    chosen, result = assign([crashed, trained], [slot("big", hidden_layers="==1")])
    assert chosen == {"big": "m2"}
    assert "never finished a fit" in result.rejections["m1"]["big"]
    # ... even when the untrained one meets more of the slot's constraints
    partial = f.dense_model("m3", [100])
    chosen, _ = assign([crashed, partial], [slot("big", hidden_layers="==1", trainable_params=">=300000")])
    assert chosen == {"big": "m3"}
    # ... but an untrained model still fills a slot no trained model fits
    chosen, _ = assign([crashed], [slot("big", hidden_layers="==1")])
    assert chosen == {"big": "m1"}


def test_a_model_fills_at_most_one_slot_and_unrelated_models_fill_none() -> None:
    only = f.dense_model("m1", [400])
    slots = [slot("a", hidden_layers="==1"), slot("b", hidden_layers="==1"), slot("c", conv_layers=">=1")]
    chosen, result = assign([only], slots)
    assert list(chosen.values()).count("m1") == 1 and chosen["c"] is None
    assert "none of the 1 model(s) meets any" in result.slots["c"].why_empty
    assert "0 convolution layers (needs >= 1)" in result.slots["c"].why_empty


def test_no_models_or_no_slots() -> None:
    chosen, result = assign([], [slot("a", trained=True)])
    assert chosen == {"a": None} and "built no model" in result.slots["a"].why_empty
    assert assign([f.dense_model("m1", [4])], [])[0] == {}


def test_six_networks_of_the_basics_exercise() -> None:
    models = f.nn_basics_models()[::-1]  # order must not matter
    slots = [slot("big", hidden_layers="==1", trainable_params=">=300000"),
             slot("small", hidden_layers="==1", trainable_params="<50000"),
             slot("best", hidden_layers=">=3"),
             slot("tiny", hidden_layers=">=10", units="<10"),
             slot("narrow", hidden_layers=">=10", units="10..50"),
             slot("wide", hidden_layers=">=10", units="50..100")]
    chosen, result = assign(models, slots)
    assert chosen == {"big": "m1", "small": "m2", "best": "m6", "tiny": "m3", "narrow": "m4", "wide": "m5"}
    assert result.rejections == {}


def test_empty_slot_names_the_model_that_plays_another_role() -> None:
    deep = f.dense_model("m1", [8] * 10)
    slots = [slot("tiny", hidden_layers=">=10", units="<10"), slot("best", hidden_layers=">=3")]
    chosen, result = assign([deep, f.dense_model("m2", [300])], slots)
    assert chosen == {"tiny": "m1", "best": None}
    assert "m1 'model_m1' would fit but already fills 'tiny'" in result.slots["best"].why_empty


# Near misses: a model that meets no slot exactly goes where it misses by least.

def test_a_near_miss_goes_to_the_slot_it_was_written_for() -> None:
    # 784-64-10: 50,890 parameters, 890 over the small slot's bar and 249,110 short of the big one's.
    # Both slots miss one constraint; before distances counted, the first slot in the rubric won.
    near = f.dense_model("m1", [64])
    for order in ([BIG, SMALL], [SMALL, BIG]):
        chosen, result = assign([near], order)
        assert chosen == {"big": None, "small": "m1"}
        assert result.slots["small"].unmet == [
            "50,890 trainable parameters (needs < 50,000): 890 parameters over 50,000"]
        assert [m.words for m in result.slots["small"].misses] == ["890 parameters over 50,000"]
        assert "m1 'model_m1' would fit but already fills 'small'" in result.slots["big"].why_empty


def test_the_distance_is_relative_to_the_bound() -> None:
    # 1 layer of 500 units (397,510 parameters) misses '< 50,000' by 695% but is a clean big network;
    # a second, 62-unit one (49,282) fits the small slot exactly: no swap may put either in the other.
    chosen, result = assign([f.dense_model("m1", [62]), f.dense_model("m2", [500])], [BIG, SMALL])
    assert chosen == {"big": "m2", "small": "m1"} and result.slots["small"].misses == []
    # A model missing both bars lands in the one it misses by less, whichever is first.
    chosen, result = assign([f.dense_model("m3", [300])], [BIG, SMALL])  # 238,510: 20% short of 300,000
    assert chosen == {"big": "m3", "small": None}
    assert result.slots["big"].misses[0].words == "61,490 parameters short of 300,000"


def test_layers_short_of_a_deep_slot_say_how_many() -> None:
    eight = f.dense_model("m1", [32] * 8)
    chosen, result = assign([eight], [TINY, NARROW, WIDE])
    assert chosen == {"tiny": None, "narrow": "m1", "wide": None}
    assert result.slots["narrow"].unmet == ["8 hidden layers (needs >= 10): 2 hidden layers short of 10"]


def test_units_past_a_range_go_to_the_nearer_range() -> None:
    # Ten layers of 55 units miss 'units < 10' by 45 and 'units 10..50' by 5: the medium slot is meant.
    chosen, result = assign([f.dense_model("m1", [55] * 10)], [TINY, NARROW])
    assert chosen == {"tiny": None, "narrow": "m1"}
    assert [m.words for m in result.slots["narrow"].misses] == ["the widest layer has 5 units over 50"]


def test_fewer_unmet_constraints_still_come_before_distance() -> None:
    # Two layers of 20 units (16,330 parameters) miss 'deep' by one constraint, far (6 layers short of
    # 8), and 'lean' by two, narrowly (330 parameters, 1 unit): the count of unmet constraints decides.
    model = f.dense_model("m1", [20, 20])
    slots = [slot("lean", hidden_layers="==2", trainable_params="<16000", units="<=19"),
             slot("deep", hidden_layers=">=8", units="<50")]
    chosen, result = assign([model], slots)
    assert chosen == {"lean": None, "deep": "m1"}
    assert result.slots["deep"].unmet == ["2 hidden layers (needs >= 8): 6 hidden layers short of 8"]


def test_the_rubric_message_names_the_miss() -> None:
    # The NN-basics exercise, with a small network of 64 units instead of at most 62.
    from pathlib import Path

    from grader.grading.grade import grade
    from grader.rubric.loader import load_rubric

    rubric = load_rubric(Path(__file__).resolve().parents[2] / "rubrics" / "nn-basics-keras.yaml")
    models = f.nn_basics_models()
    models[1] = f.dense_model("m2", [64], val_acc=0.895, test_acc=0.89, name="small")
    result = grade(f.verify(f.evidence(models)), rubric)
    slots = {s.slot: s for s in result.slots}
    assert slots["one.big"].model_id == "m1" and slots["one.small"].model_id == "m2"
    small = next(c for c in result.criteria if c.id == "one.small")
    assert small.outcome.value == "failed" and small.points == 4.0  # one of two constraints, proportional
    assert small.message.endswith("; 890 parameters over 50,000")
    # Without the big network, the 64-unit one still goes to the small slot, not the big one.
    result = grade(f.verify(f.evidence([m for m in models if m.id != "m1"])), rubric)
    slots = {s.slot: s for s in result.slots}
    assert slots["one.big"].model_id is None and slots["one.small"].model_id == "m2"


BIG = slot("big", hidden_layers="==1", trainable_params=">=300000")
SMALL = slot("small", hidden_layers="==1", trainable_params="<50000")
TINY = slot("tiny", hidden_layers=">=10", units="<10")
NARROW = slot("narrow", hidden_layers=">=10", units="10..50")
WIDE = slot("wide", hidden_layers=">=10", units="50..100")
