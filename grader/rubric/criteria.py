"""Rubric criteria: each one is graded to an outcome and earns some of its points."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from grader.rubric.constraints import ConstrainedCriterionMixin
from grader.rubric.ranges import Range
from grader.rubric.types import MetricName, RubricModel

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
Split = Literal["validation", "test", "train"]
BorderlineRule = Literal["review", "pass", "fail"]


class Tier(RubricModel):
    """One step of tiered partial credit."""

    expect: Range = Field(description="When the measured value is in this range, this tier applies.")
    credit: float = Field(ge=0, le=1, description="Fraction of the points this tier earns (0 to 1).")


class Tiers(RubricModel):
    """Tiered partial credit: the best tier whose range holds gives the credit."""

    tiers: list[Tier] = Field(min_length=1, description="Tiers, in any order; the highest credit that applies wins.")


Partial = Literal["none", "proportional"] | Tiers


class CriterionBase(RubricModel):
    """What every criterion has: identity, points, and what to tell the student."""

    id: str = Field(pattern=ID_PATTERN, description="Unique id across the rubric, e.g. 'one.big.params'.")
    title: str = Field("", description="Short human title; derived from the check when left out.")
    part: str | None = Field(None, description="Id of the part this criterion belongs to (slot criteria "
                             "default to their slot's part).")
    points: float = Field(1.0, ge=0, description="Points earned when the criterion passes in full.")
    feedback: str = Field("", description="What to change when the criterion does not pass.")
    hidden: bool = Field(False, description="Graded, but shown to students only as a hidden criterion.")
    bonus: bool = Field(False, description="Extra credit: its points add to the score but not to the maximum, "
                        "and failing it does not fail the submission.")
    partial: Partial = Field(
        "none", description="Partial credit: 'none' (all or nothing), 'proportional' (fraction of the way: "
        "constraints met, models meeting a requirement, or linear from zero_at to the threshold), "
        "or {tiers: [...]} on the measured value.")


class ModelCriterion(CriterionBase, ConstrainedCriterionMixin):
    """Constraints graded on a slot's model; all keys given must hold."""


class GlobalRequirement(ModelCriterion):
    """Constraints every model in scope must meet (the exercise's rules for all networks)."""

    scope: Literal["trained", "all", "slotted"] = Field(
        "trained", description="Which models must comply: 'trained' (every model the submission fit), "
        "'all' (every compiled model), 'slotted' (only models that filled a slot).")


class MetricCriterion(CriterionBase):
    """A metric of the slot's model on a data split must fall in a range."""

    metric: MetricName = Field(description="accuracy, loss, mae, mse, rmse, mape or relative_error "
                               "(mean absolute error over the mean absolute target).")
    split: Split = Field(description="Data split the metric is measured on: validation, test or train.")
    expect: Range = Field(description="Range the metric must fall in, e.g. '>0.92' or '<=0.15'.")
    zero_at: float | None = Field(
        None, description="For proportional credit: the value that earns nothing; credit grows linearly "
        "from here to the threshold.")
    reported_credit: float | None = Field(
        None, ge=0, le=1, description="Fraction of the points a figure only reported by the submission "
        "(not verified by the grader) can earn; defaults to the rubric's reported_credit.")
    verify_on: Literal["test", "hidden"] = Field(
        "test", description="'test': the grader re-measures on the whole test split. 'hidden': the run is served "
        "only part of the test split (half, chosen by a fixed seed) and test figures are measured on the rest, which "
        "the submission never receives. One such criterion makes the whole run hidden-split.")
    borderline: BorderlineRule = Field(
        "review", description="What a verified figure whose 95% interval (Wilson for accuracy, a bootstrap for "
        "regression errors) straddles the bar earns: 'review' (the measured verdict stands and the result is "
        "flagged for review), 'pass' (judged at the interval's favourable end) or 'fail' (at its unfavourable end).")


class ArtifactCriterion(CriterionBase):
    """Something the submission must have produced: a plot, a confusion matrix, a savable model."""

    artifact: Literal["training_curves", "confusion_matrix", "saved_model"] = Field(
        description="'training_curves': a figure with training and validation lines; 'confusion_matrix': an "
        "NxN image or an axes titled or labelled as a confusion matrix; 'saved_model': a trained model that "
        "was saved and reloads safely.")
    slot: str | None = Field(None, description="Only count artifacts of this slot's model (curves matching its "
                             "history, its saved file); any model when left out.")
    min_count: int = Field(1, ge=1, description="How many distinct such artifacts are needed.")
    min_lines: int = Field(2, ge=1, description="training_curves: lines a figure's axes must show.")
    require_history_match: bool = Field(
        False, description="training_curves: require lines whose data equal a fit's recorded training and "
        "validation history (otherwise any figure with enough lines counts).")
    classes: int = Field(10, ge=2, description="confusion_matrix: number of classes (image side).")


class QuestionCriterion(CriterionBase):
    """A number the student must state in their own words; the grader computes the true value from the evidence.

    Answers are read from markdown and from lines the student's code printed, never from Keras's output
    (summary tables, training logs), warnings or the grader's notes. In a notebook, an answer counts for
    the model whose part of the notebook it sits in (from the cell that builds, compiles, trains or
    evaluates it to the next cell that touches another model), unless ``anywhere`` is set.
    """

    slot: str = Field(description="Slot whose model the question is about.")
    answer: Literal["trainable_params", "total_params", "weights", "biases", "accuracy", "loss",
                    "seconds_per_epoch", "epochs"] = Field(description="What the true value is.")
    split: Split | None = Field(None, description="Data split, for accuracy and loss answers.")
    tolerance: float | None = Field(None, ge=0, description="Absolute tolerance. Defaults by answer: exact for "
                                    "counts (parameters, weights, biases, epochs), 0.02 for accuracy ('97.3', "
                                    "'97.3%' and '0.973' all read as 0.973), 10% relative for loss, a factor of 3 "
                                    "for seconds per epoch.")
    rel_tolerance: float | None = Field(None, ge=0, description="Relative tolerance, e.g. 0.05 for 5%.")
    factor: float | None = Field(None, gt=1, description="Accept answers within this factor of the true value "
                                 "(default 3 for seconds per epoch, which are checked against the epoch times "
                                 "of the student's own run when their notebook's stored output shows them).")
    near: list[str] = Field(default_factory=list, description="Only count numbers written close to one of "
                            "these words (case-insensitive), e.g. ['weight'].")
    sources: list[Literal["markdown", "printed"]] = Field(
        default_factory=lambda: ["markdown", "printed"],
        description="Where to look for the answer: notebook markdown, lines the student's code printed "
                    "(Keras's own output excluded), or both.")
    anywhere: bool = Field(False, description="Accept an answer anywhere in the notebook, not only in the part "
                           "about the slot's model (for exercises that collect all answers in one place).")

class CountCriterion(CriterionBase, ConstrainedCriterionMixin):
    """How many models meet the constraints (e.g. several trained variants of an experiment)."""

    count: Range = Field(default_factory=lambda: Range(min=1),
                         description="How many models must meet the constraints, e.g. '>=3'.")
    distinct: bool = Field(False, description="Count a model only when its configuration (layers, "
                           "optimizer, loss, training settings) differs from the previous counted one.")


class CustomCriterion(CriterionBase):
    """An escape hatch: a Python function, run by the grader (never in the sandbox) on the evidence."""

    function: str = Field(pattern=r"^[^:]+:[A-Za-z_][A-Za-z0-9_]*$", description="'package.module:function' "
                          "or 'file.py:function' relative to the rubric file. Called as function(evidence, "
                          "params, slots) and returns a bool, (bool, message) or (credit 0-1, message).")
    params: dict[str, Any] = Field(default_factory=dict, description="Keyword data passed to the function.")
    needs_training: bool = Field(False, description="Skip it in quick mode (it depends on full training).")


def describe_partial(partial: Partial) -> str:
    if isinstance(partial, Tiers):
        return "tiers " + ", ".join(f"{t.expect}: {t.credit:g}" for t in partial.tiers)
    return partial
