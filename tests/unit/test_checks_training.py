"""Training constraints: optimizer and loss names, epochs, fit settings, and counting models."""

from __future__ import annotations

import evidence_factory as f
import pytest

from grader.checks.base import Outcome
from grader.checks.constraints import decide
from grader.checks.facts import model_facts
from grader.checks.training import count_models
from grader.rubric.constraints import ModelConstraints
from grader.rubric.criteria import CountCriterion


def one(constraints: dict, record) -> tuple[bool, str]:
    [finding] = decide(ModelConstraints.model_validate(constraints), model_facts(record, None))
    return finding.ok, finding.words


@pytest.mark.parametrize("spelling", ["SGD", "sgd", "keras.optimizers.SGD", "legacy.SGD"])
def test_optimizer_names_are_case_insensitive(spelling: str) -> None:
    assert one({"optimizer": "sgd"}, f.dense_model("m1", [10], optimizer=spelling))[0]
    assert one({"optimizer": "SGD"}, f.dense_model("m1", [10], optimizer=spelling))[0]


def test_wrong_optimizer_says_what_it_was() -> None:
    assert one({"optimizer": "sgd"}, f.dense_model("m1", [10], optimizer="Adam")) == (
        False, "optimizer adam (needs sgd)")


@pytest.mark.parametrize("spelling", ["categorical_crossentropy", "CategoricalCrossentropy",
                                      "keras.losses.CategoricalCrossentropy", "categorical_cross_entropy"])
def test_loss_names_are_normalised(spelling: str) -> None:
    assert one({"loss": "categorical_crossentropy"}, f.dense_model("m1", [10], loss=spelling))[0]


def test_sparse_loss_only_where_accepted() -> None:
    record = f.dense_model("m1", [10], loss="SparseCategoricalCrossentropy")
    assert not one({"loss": "categorical_crossentropy"}, record)[0]
    assert one({"loss": ["categorical_crossentropy", "sparse_categorical_crossentropy"]}, record)[0]
    assert one({"loss": "mse"}, f.dense_model("m1", [10], loss="MeanSquaredError"))[0]


def test_epochs_sum_over_fits() -> None:
    record = f.model("m1", *f.dense_stack(784, [10]), fits=[f.fit(4), f.fit(7, index=1)])
    assert one({"epochs": ">=10"}, record) == (True, "trained 11 epochs")
    assert one({"epochs": ">=12"}, record) == (False, "trained 11 epochs (needs >= 12)")


def test_fit_settings() -> None:
    record = f.model("m1", *f.dense_stack(784, [10]), fits=[f.fit(3, batch_size=64, shuffle=False)])
    assert one({"batch_size": 64}, record)[0]
    assert one({"shuffle": True}, record) == (False, "shuffle=False (needs shuffle=True)")
    default = f.dense_model("m1", [10])  # Keras defaults: batch 32, shuffled
    assert one({"batch_size": "==32"}, default)[0] and one({"shuffle": True}, default)[0]


def test_validation_and_training_state() -> None:
    assert one({"validation": True}, f.dense_model("m1", [10]))[0]
    assert one({"validation": True}, f.dense_model("m1", [10], validation=False)) == (
        False, "no validation data during training (needs validation data (validation_data or validation_split))")
    assert one({"trained": True}, f.dense_model("m1", [10], trained=False)) == (
        False, "never finished a fit (needs a finished fit)")
    assert one({"evaluated": True}, f.dense_model("m1", [10]))[0]
    assert not one({"evaluated": True}, f.dense_model("m1", [10], test_acc=None))[0]


def test_callbacks() -> None:
    record = f.model("m1", *f.dense_stack(784, [10]), fits=[f.fit(3, callbacks=("EarlyStopping",))])
    assert one({"callbacks": ["early_stopping"]}, record)[0]
    assert not one({"callbacks": ["EarlyStopping", "ModelCheckpoint"]}, record)[0]


def test_learning_rate() -> None:
    assert one({"learning_rate": "0.001..0.1"}, f.dense_model("m1", [10], lr=0.01))[0]


def _count(**kw) -> CountCriterion:
    return CountCriterion.model_validate({"id": "c", "trained": True, **kw})


def test_count_distinct_models_each_changing_the_previous() -> None:
    same = [model_facts(f.dense_model(f"m{i}", [64]), None) for i in range(3)]
    assert count_models(_count(count=">=3"), same).outcome == Outcome.PASSED
    res = count_models(_count(count=">=3", distinct=True), same)
    assert res.outcome == Outcome.FAILED and "1 distinct models" in res.message
    varied = [model_facts(f.dense_model(f"m{i}", [64 * (i + 1)]), None) for i in range(3)]
    assert count_models(_count(count=">=3", distinct=True), varied).outcome == Outcome.PASSED


def test_count_partial_credit() -> None:
    two = [model_facts(f.dense_model(f"m{i}", [8 * (i + 1)]), None) for i in range(2)]
    res = count_models(_count(count=">=3", partial="proportional"), two)
    assert res.outcome == Outcome.FAILED and res.credit == pytest.approx(2 / 3)
    tiers = _count(count=">=3", partial={"tiers": [{"expect": ">=2", "credit": 0.5}]})
    assert count_models(tiers, two).credit == 0.5
