"""The rubric file, as immutable pydantic models (one YAML file per exercise in ``rubrics/``).

Every field carries a description: the JSON Schema in ``rubrics/rubric.schema.json`` is generated
from them, so editors can complete and check rubric files, and ``grader rubric show`` explains them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Any, Iterator, Literal

from pydantic import Field, PrivateAttr, field_validator

from grader.evidence.model import LimitSource, Limits
from grader.rubric.constraints import ModelConstraints
from grader.rubric.environment import EnvironmentSpec
from grader.rubric.criteria import (
    ID_PATTERN, ArtifactCriterion, CountCriterion, CriterionBase, CustomCriterion, GlobalRequirement,
    MetricCriterion, ModelCriterion, QuestionCriterion,
)
from grader.rubric.types import RubricModel

DATASETS = {"mnist", "fashion_mnist", "usa_housing", "primitive_3d_objects", "cifar10", "cifar100",
            "imdb", "reuters", "boston_housing", "california_housing"}


class Part(RubricModel):
    """A section of the exercise; the report groups criteria by part."""

    id: str = Field(pattern=ID_PATTERN, description="Unique id, e.g. 'one'.")
    title: str = Field(description="Heading shown in reports, e.g. 'Part one: a single hidden layer'.")
    description: str = Field("", description="What this part asks for, in a sentence or two.")


class RunLimits(RubricModel):
    """How to run a submission of this exercise (resource limits, compatibility mode); unset values keep the
    grader's defaults."""

    timeout_s: float | None = Field(None, gt=0, description="Wall-clock limit for the whole run, in seconds.")
    cell_timeout_s: float | None = Field(None, gt=0, description="Wall-clock limit for one notebook cell.")
    memory_mb: int | None = Field(None, ge=512, description="Memory limit in MiB.")
    compat: Literal["keras2"] | None = Field(
        None, description="Compatibility mode: 'keras2' lets Keras 2 calls (SGD(lr=...), np_utils, predict_classes, "
                          "history['acc'], nb_epoch, fit_generator, ...) run on Keras 3, each one listed in the report "
                          "as forgiven. Unset: plain Keras 3. The --compat option of run/check/grade overrides it.")
    seed: Annotated[int, Field(ge=0, lt=2**32)] | Literal["none"] | None = Field(
        None,
        description="Seed for Python's random, NumPy, TensorFlow and Keras, set before the submission's first line "
                    "with TensorFlow's op determinism on, so a regrade gives the same figures (a seed the submission "
                    "sets itself still wins). 'none': unseeded. Unset: the grader's default seed. The --seed option "
                    "overrides it.")

    def to_limits(self, base: Limits | None = None) -> Limits:
        base = base or Limits()
        own = self.model_dump(exclude_none=True, exclude={"compat", "seed"})
        # Each time limit carries where it came from: a timeout message names it ("set by the rubric").
        sources = {f"{k.removesuffix('_s')}_source": LimitSource.RUBRIC for k in ("timeout_s", "cell_timeout_s")
                   if k in own}
        return Limits(**{**base.model_dump(), **own, **sources}).with_seed(self.seed)


class Slot(RubricModel):
    """A named role a model must play (e.g. 'the big single-hidden-layer network').

    Models are assigned to slots by best fit over the ``match`` constraints; the slot's own criterion
    (id = the slot id) passes when its model meets all of them.
    """

    id: str = Field(pattern=ID_PATTERN, description="Unique id; also the id of the 'slot filled' criterion.")
    title: str = Field(description="The role in words, e.g. 'Single hidden layer, at least 300,000 parameters'.")
    part: str | None = Field(None, description="Part id this slot belongs to.")
    description: str = Field("", description="Longer explanation of the role.")
    points: float = Field(1.0, ge=0, description="Points for a model that meets every match constraint.")
    partial: str = Field("none", pattern="^(none|proportional)$",
                         description="'proportional': earn the fraction of match constraints met.")
    feedback: str = Field("", description="What to change when no model fills the slot properly.")
    hidden: bool = Field(False, description="Show the slot criterion to students only as hidden.")
    bonus: bool = Field(False, description="Extra credit: the slot's criteria add to the score, not the maximum.")
    match: ModelConstraints = Field(description="Constraints that decide which model fills the slot.")
    require: list[ModelCriterion] = Field(
        default_factory=list, description="More constraints graded on the slot's model (not used to pick it).")
    metrics: list[MetricCriterion] = Field(default_factory=list, description="Metric thresholds for the slot's "
                                           "model; decided on verified figures.")


class Rubric(RubricModel):
    """One exercise's rubric."""

    id: str = Field(pattern=ID_PATTERN, description="Rubric id, also its bundled name, e.g. 'nn-basics-keras'.")
    title: str = Field(description="Exercise title.")
    version: str = Field(description="Rubric version; bump it when grading changes.")
    summary: str = Field("", description="What the exercise asks, in a few sentences.")
    datasets: list[str] = Field(default_factory=list, description="Datasets a submission needs, e.g. [mnist].")
    limits: RunLimits = Field(default_factory=RunLimits, description="Run limits for a submission.")
    continue_on_error: bool = Field(True, description="Keep running a notebook's later cells after one raises.")
    environment: EnvironmentSpec | None = Field(
        None, description="Interpreter and Keras runtime the submissions run under (a course's own TensorFlow); "
        "unset: the grader's own.")
    reported_credit: float = Field(0.0, ge=0, le=1, description="Default fraction of a metric criterion's points "
                                   "that a figure only reported by the submission (not verified) can earn.")
    parts: list[Part] = Field(default_factory=list, description="Sections of the exercise, in report order.")
    requirements: list[GlobalRequirement] = Field(
        default_factory=list, description="Rules every model in scope must follow.")
    slots: list[Slot] = Field(default_factory=list, description="Roles that models fill, with their criteria.")
    artifacts: list[ArtifactCriterion] = Field(default_factory=list, description="Plots and files to produce.")
    questions: list[QuestionCriterion] = Field(default_factory=list, description="Numbers the student must state.")
    counts: list[CountCriterion] = Field(default_factory=list, description="How many models must meet something.")
    custom: list[CustomCriterion] = Field(default_factory=list, description="Criteria decided by Python functions.")

    _path: Path | None = PrivateAttr(None)
    _sha256: str | None = PrivateAttr(None)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, v: Any) -> Any:
        # YAML reads `version: 1.0` as a float; a version is text.
        return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v

    @field_validator("datasets")
    @classmethod
    def _known_datasets(cls, v: list[str]) -> list[str]:
        from grader.rubric.types import _checked

        return [_checked("dataset", lambda s: s.strip().lower().replace("-", "_"), DATASETS)(d) for d in v]

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def sha256(self) -> str:
        if self._sha256 is None:
            self._sha256 = hashlib.sha256(self.model_dump_json().encode()).hexdigest()
        return self._sha256

    def with_source(self, path: Path | None, sha256: str | None) -> Rubric:
        self._path, self._sha256 = path, sha256
        return self

    def criteria(self) -> Iterator[tuple[CriterionBase | Slot, Slot | None]]:
        """Every graded item in report order, with the slot it belongs to."""
        yield from ((c, None) for c in self.requirements)
        for slot in self.slots:
            yield slot, slot
            yield from ((c, slot) for c in slot.require)
            yield from ((c, slot) for c in slot.metrics)
        for group in (self.artifacts, self.questions, self.counts, self.custom):
            yield from ((c, None) for c in group)

    def part_of(self, item: CriterionBase | Slot, slot: Slot | None) -> str | None:
        return item.part or (slot.part if slot else None)

    def is_bonus(self, item: CriterionBase | Slot, slot: Slot | None) -> bool:
        return item.bonus or bool(slot and slot.bonus)

    @property
    def max_score(self) -> float:
        """Points available, extra credit aside."""
        return sum(item.points for item, slot in self.criteria() if not self.is_bonus(item, slot))
