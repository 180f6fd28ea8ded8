"""Model constraints: what a model must look like or how it must have been trained.

The same vocabulary serves three places: global requirements (every model in scope must meet
them), slot matching (which model plays which role) and slot criteria (graded on the model that
filled the slot). Every key is optional; the ones given must all hold.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from grader.rubric.ranges import Range
from grader.rubric.types import Activations, ActivationName, CallbackName, LayerKind, Losses, Optimizers, RubricModel

# Keys whose value only means something after full-length training: skipped in quick mode.
TRAINING_KEYS = frozenset({"epochs"})


class LayerSpec(RubricModel):
    """One expected layer in an architecture; attributes left out are not checked."""

    kind: LayerKind = Field(description="Layer class, e.g. Conv2D, MaxPooling2D, Dropout, Flatten, Dense.")
    units: Range | None = Field(None, description="Units of a Dense layer.")
    filters: Range | None = Field(None, description="Filters of a convolution.")
    kernel_size: list[int] | None = Field(None, description="Kernel size of a convolution, e.g. [3, 3].")
    pool_size: list[int] | None = Field(None, description="Pool size of a pooling layer, e.g. [2, 2].")
    activation: ActivationName | None = Field(
        None, description="Activation, counting an Activation layer directly after the layer.")
    rate: Range | None = Field(None, description="Rate of a Dropout layer.")


class ModelConstraints(RubricModel):
    """Facts about one model. Hidden layers are the Dense and convolution layers except the output layer."""

    hidden_layers: Range | None = Field(None, description="Number of hidden layers (Dense and convolution).")
    dense_layers: Range | None = Field(None, description="Number of hidden Dense layers.")
    conv_layers: Range | None = Field(None, description="Number of convolution layers.")
    layer_counts: dict[LayerKind, Range] | None = Field(
        None, description="Number of layers of each named kind, e.g. {MaxPooling2D: '>=1', Dropout: '>=1'}.")
    units: Range | None = Field(None, description="Units of every hidden Dense layer.")
    filters: Range | None = Field(None, description="Filters of every convolution layer.")
    trainable_params: Range | None = Field(
        None, description="Trainable parameters (the verified count when the grader could recount it).")
    total_params: Range | None = Field(None, description="All parameters, trainable or not.")
    input_size: Range | None = Field(
        None, description="Number of input values per sample (28x28x1 images are 784; 5 features are 5).")
    hidden_activation: Activations | None = Field(
        None, description="Activation every hidden layer must use (one name, or a list of accepted names).")
    output_activation: Activations | None = Field(None, description="Activation of the output layer.")
    output_units: Range | None = Field(None, description="Units of the output layer.")
    architecture: list[LayerSpec] | None = Field(
        None, description="Layers the model must contain, in this order (see architecture_mode).")
    architecture_mode: Literal["in_order", "exact"] = Field(
        "in_order", description="'in_order': the layers appear in this order, others may sit between; "
        "'exact': the model's layers (Input and Activation layers aside) are exactly these.")
    optimizer: Optimizers | None = Field(
        None, description="Optimizer, case-insensitive (one name or a list of accepted names).")
    learning_rate: Range | None = Field(None, description="Optimizer learning rate.")
    loss: Losses | None = Field(
        None, description="Loss (one name or a list of accepted names); spellings are normalised, so "
        "'CategoricalCrossentropy' is 'categorical_crossentropy'. List the sparse variant to accept it.")
    epochs: Range | None = Field(
        None, description="Epochs trained, summed over the model's fit calls. Skipped in quick mode.")
    batch_size: Range | None = Field(None, description="Batch size of every fit call (Keras's default is 32).")
    shuffle: bool | None = Field(None, description="Whether every fit call shuffled (Keras's default is yes).")
    validation: bool | None = Field(None, description="Whether the model was trained with validation data.")
    callbacks: list[CallbackName] | None = Field(
        None, description="Callbacks some fit call must have used, e.g. [EarlyStopping].")
    trained: bool | None = Field(None, description="Whether the model finished at least one fit call.")
    evaluated: bool | None = Field(None, description="Whether the submission evaluated the model.")

    def constraint_keys(self) -> list[str]:
        """The keys this rubric entry actually sets, in declaration order."""
        skip = {"architecture_mode"}
        return [k for k in ModelConstraints.model_fields if k not in skip and getattr(self, k) is not None]

    def constraints_only(self) -> ModelConstraints:
        """Just the constraint part of a subclass instance (criteria add metadata fields)."""
        keys = set(ModelConstraints.model_fields)
        return ModelConstraints(**{k: v for k, v in self.__dict__.items() if k in keys})


class ConstrainedCriterionMixin(ModelConstraints):
    """Criteria built from constraints must set at least one."""

    @model_validator(mode="after")
    def _needs_a_constraint(self) -> ConstrainedCriterionMixin:
        if not ModelConstraints.constraint_keys(self):
            raise ValueError("this criterion sets no model constraint (e.g. optimizer, loss, hidden_layers)")
        return self
