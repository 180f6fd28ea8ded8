"""Structural facts and constraints: hidden layers, activations, parameters, architecture."""

from __future__ import annotations

import evidence_factory as f
import pytest

from grader.checks.constraints import decide
from grader.checks.facts import model_facts
from grader.rubric.constraints import ModelConstraints


def facts(record):
    return model_facts(record, None)


def one(constraints: dict, record) -> tuple[bool, str]:
    [finding] = decide(ModelConstraints.model_validate(constraints), facts(record))
    return finding.ok, finding.words


def test_hidden_layers_exclude_output_and_non_compute_layers() -> None:
    layers = [f.layer("InputLayer"), f.layer("Flatten"), f.layer("Normalization"), f.dense(64),
              f.layer("Dropout", rate=0.2), f.dense(32), f.layer("Reshape"), f.dense(10, "softmax")]
    m = facts(f.model("m1", layers, None))
    assert [x.units for x in m.hidden] == [64, 32]
    assert m.output is not None and m.output.units == 10


def test_conv_layers_are_hidden_layers() -> None:
    m = facts(f.tutorial_cnn())
    assert len(m.hidden) == 4 and sum(x.kind == "conv2d" for x in m.hidden) == 3


def test_activation_layer_gives_a_linear_dense_its_activation() -> None:
    layers = [f.dense(64, None), f.layer("Activation", activation="sigmoid"),
              f.dense(32, "linear"), f.layer("BatchNormalization"), f.layer("Activation", activation="relu"),
              f.dense(16, "tanh"), f.layer("Activation", activation="relu"),  # not linear: keeps tanh
              f.dense(10, None), f.layer("Softmax")]
    m = facts(f.model("m1", layers, None))
    assert [x.activation for x in m.hidden] == ["sigmoid", "relu", "tanh"]
    assert m.output.activation == "softmax"


def test_activation_layer_not_directly_after_a_dense_is_ignored() -> None:
    layers = [f.dense(64, None), f.layer("Dropout", rate=0.1), f.layer("Activation", activation="sigmoid"),
              f.dense(10, "softmax")]
    assert facts(f.model("m1", layers, None)).hidden[0].activation == "linear"


@pytest.mark.parametrize("constraints,ok,words", [
    ({"hidden_layers": "==1"}, True, "1 hidden layer"),
    ({"hidden_layers": ">=10"}, False, "1 hidden layer (needs >= 10)"),
    ({"dense_layers": 1}, True, "1 hidden Dense layer"),
    ({"conv_layers": ">=1"}, False, "0 convolution layers (needs >= 1)"),
    ({"units": "300..400"}, True, "hidden units 380"),
    ({"units": "<10"}, False, "hidden units 380 (needs each < 10)"),
    ({"trainable_params": ">=300000"}, True, "302,110 trainable parameters"),
    ({"trainable_params": "<50000"}, False, "302,110 trainable parameters (needs < 50,000)"),
    ({"total_params": ">0"}, True, "302,110 parameters"),
    ({"input_size": "==784"}, True, "784 input values per sample"),
    ({"hidden_activation": "sigmoid"}, True, "hidden activation sigmoid"),
    ({"hidden_activation": ["relu", "tanh"]}, False, "hidden activation sigmoid (needs relu or tanh on every hidden layer)"),
    ({"output_activation": "softmax"}, True, "output activation softmax"),
    ({"output_units": "==10"}, True, "10 output units"),
    ({"layer_counts": {"Dense": 2, "Dropout": ">=1"}}, False, "2 Dense, 0 Dropout (needs Dropout >= 1)"),
])
def test_structural_constraints(constraints: dict, ok: bool, words: str) -> None:
    assert one(constraints, f.dense_model("m1", [380])) == (ok, words)


def test_units_need_a_hidden_dense_layer() -> None:
    layers, params = f.dense_stack(784, [])
    assert one({"units": "<10"}, f.model("m1", layers, params)) == (False, "no hidden Dense layer (needs each < 10)")
    assert one({"hidden_activation": "sigmoid"}, f.model("m1", layers, params))[0] is False


def test_unknown_parameter_count() -> None:
    record = f.model("m1", [f.dense(10)], None)
    assert one({"trainable_params": ">0"}, record) == (
        False, "parameter count unknown (the model was never built) (needs > 0)")


def test_verified_parameter_count_wins() -> None:
    v = f.verify(f.evidence([f.dense_model("m1", [380])]))
    fig = v.verifications[0].figures[0].model_copy(update={"verified": 12.0})
    ver = v.verifications[0].model_copy(update={"figures": [fig]})
    assert model_facts(v.evidence.models[0], ver).trainable_params == 12


TUTORIAL = [
    {"kind": "Conv2D", "filters": 32, "kernel_size": [3, 3], "activation": "relu"},
    {"kind": "Conv2D", "filters": 64, "kernel_size": [3, 3], "activation": "relu"},
    {"kind": "Dropout", "rate": "0.2..0.5"},
    {"kind": "Flatten"},
    {"kind": "Dense", "units": 32, "activation": "relu"},
    {"kind": "Dense", "units": 10, "activation": "softmax"},
]


def test_architecture_in_order_allows_layers_between() -> None:
    ok, _ = one({"architecture": TUTORIAL}, f.tutorial_cnn())
    assert ok


def test_architecture_names_the_first_missing_layer() -> None:
    ok, words = one({"architecture": TUTORIAL}, f.tutorial_cnn(dense_units=128))
    assert not ok
    assert "no Dense(units == 32, relu) after" in words and "Dense(128, relu)" in words


def test_architecture_exact() -> None:
    exact = [{"kind": "Flatten"}, {"kind": "Dense", "units": 380}, {"kind": "Dense", "units": 10}]
    assert one({"architecture": exact, "architecture_mode": "exact"}, f.dense_model("m1", [380]))[0]
    assert not one({"architecture": exact[1:], "architecture_mode": "exact"}, f.dense_model("m1", [380]))[0]
