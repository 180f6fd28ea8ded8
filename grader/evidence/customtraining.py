"""Evidence of a hand-written TensorFlow training loop (tf.Variables, GradientTape, no Model.fit).

The probe (``grader_probe/tfloop.py``) reports one ``custom_training`` event per set of
variables a loop differentiated; :mod:`grader.evidence.assembly` folds them into :class:`CustomTraining`,
adding the dense network :func:`grader.evidence.dense_inference.infer_dense_network` reads off the
variables' shapes. Like all evidence this is what the submission's process reported.

Kept apart from :mod:`grader.evidence.model` (which imports it) so the two never import each other.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LoopVariable(_Frozen):
    """One variable a hand-written loop differentiated and updated."""

    key: str = Field(description="Array name in the saved .npz (v0, v1, ... in the loop's order).")
    name: str = Field(description="The variable's name or Keras path, e.g. 'W1:0' or 'dense/kernel'.")
    shape: list[int]
    dtype: str
    count: int = Field(description="Number of values (product of the shape).")
    trainable: bool = True


class LoopOptimizer(_Frozen):
    """A Keras optimizer object the loop stepped (apply_gradients/apply)."""

    class_name: str
    learning_rate: float | None = None
    schedule: str | None = Field(None, description="Class of a learning-rate schedule, if any.")
    config: dict[str, Any] = Field(default_factory=dict)


class LossSample(_Frozen):
    step: int = Field(description="0-based gradient call the value was read at.")
    value: float | None = None


class InferredLayer(_Frozen):
    """A dense layer read off a (n_in, n_out) kernel and, where one matches, its (n_out,) bias."""

    n_in: int
    n_out: int
    kernel: str = Field(description="Name of the kernel variable.")
    bias: str | None = Field(None, description="Name of the bias variable, if one matched.")
    params: int


class InferredNetwork(_Frozen):
    """What the variables' shapes say about the network, and what they cannot say."""

    layers: list[InferredLayer] = Field(default_factory=list, description="Dense layers, input to output.")
    input_size: int | None = None
    output_units: int | None = None
    hidden_units: list[int] = Field(default_factory=list, description="Units of every layer but the last.")
    weights: int = Field(0, description="Kernel entries of the chain.")
    biases: int = Field(0, description="Bias entries of the chain.")
    trainable_params: int = Field(0, description="Values in every trainable variable of the loop.")
    total_params: int = Field(0, description="Values in every variable of the loop.")
    complete: bool = Field(False, description="True when the chain explains every trainable variable.")
    unexplained: list[str] = Field(default_factory=list, description="Variables the chain does not explain.")
    not_inferred: list[str] = Field(default_factory=list, description="What the shapes cannot tell, in words.")

    def describe(self) -> str:
        if not self.layers:
            return "no dense chain"
        sizes = [self.layers[0].n_in] + [layer.n_out for layer in self.layers]
        return " -> ".join(str(s) for s in sizes)


class CustomTraining(_Frozen):
    """One hand-written training loop: the variables it trained and how far it got."""

    id: str = Field(description="Stable id within the run: t1, t2, ... in order of first sight.")
    variables: list[LoopVariable] = Field(default_factory=list)
    steps: int | None = Field(None, description="Update steps taken, when known (see steps_source).")
    steps_source: str | None = Field(
        None, description="'optimizer.iterations', 'optimizer calls' or 'gradient calls'; None when unknown "
        "(a loop inside tf.function with no optimizer object).")
    gradient_calls: int = Field(0, description="Eager GradientTape.gradient calls on these variables.")
    traced_gradient_calls: int = Field(0, description="Calls seen while a tf.function traced (not steps).")
    optimizer: LoopOptimizer | None = None
    optimizer_calls: int = Field(0, description="Eager optimizer steps seen by the probe.")
    update: str = Field("unknown", description="'optimizer', 'assign' (hand-written assign/assign_sub) or "
                        "'unknown'.")
    manual_updates: int = Field(0, description="assign/assign_sub calls on the variables outside an optimizer.")
    loss_stride: int = Field(1, description="Every loss_stride-th gradient call was sampled.")
    losses: list[LossSample] = Field(default_factory=list, description="Sampled scalar gradient targets.")
    weights_file: str | None = Field(None, description="Relative path of the .npz of the final variable values.")
    save_error: str | None = None
    network: InferredNetwork | None = Field(None, description="The dense network the shapes imply.")

    @property
    def trained(self) -> bool:
        return bool(self.steps or self.gradient_calls or self.traced_gradient_calls)
