"""Derived facts about one model, computed once per grade from its evidence and verification.

This is where the rubric's semantics live: which layers are *hidden*, what activation a layer
really has, how many epochs were trained. Checks read these facts, never raw evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce

from grader.evidence.customtraining import CustomTraining
from grader.evidence.model import FitRecord, LayerInfo, ModelRecord
from grader.rubric import names
from grader.verify.verified import ModelVerification, VerificationStatus

# Layers an activation layer may look through to reach its Dense/conv layer: normalisation sits
# between them in the common Dense -> BatchNormalization -> Activation idiom.
_TRANSPARENT = {"batchnormalization", "layernormalization"}
_KERAS_DEFAULT_BATCH = 32


@dataclass(frozen=True)
class LayerView:
    kind: str  # squashed class name, e.g. 'conv2d'
    class_name: str
    units: int | None
    filters: int | None
    kernel_size: tuple[int, ...] | None
    pool_size: tuple[int, ...] | None
    rate: float | None
    activation: str  # canonical, with a following Activation layer folded in

    @property
    def is_compute(self) -> bool:
        return self.kind == "dense" or self.kind in names.CONV_KINDS

    def describe(self) -> str:
        bits = [f"{v}" for v in (self.units, self.filters) if v is not None]
        if self.kernel_size:
            bits.append("x".join(map(str, self.kernel_size)))
        if self.pool_size:
            bits.append("x".join(map(str, self.pool_size)))
        if self.rate is not None:
            bits.append(f"{self.rate:g}")
        if self.is_compute:
            bits.append(self.activation)
        return f"{self.class_name}({', '.join(bits)})"


@dataclass(frozen=True)
class ModelFacts:
    record: ModelRecord
    verification: ModelVerification | None
    layers: tuple[LayerView, ...]
    hidden: tuple[LayerView, ...]
    output: LayerView | None
    trainable_params: int | None
    total_params: int | None
    weights: int | None
    biases: int | None
    optimizer: str | None
    learning_rate: float | None
    loss: str | None
    epochs: int
    trained: bool
    validation: bool
    evaluated: bool
    callbacks: frozenset[str]
    batch_sizes: tuple[int, ...]
    shuffles: tuple[bool, ...]
    input_size: int | None
    fits: tuple[FitRecord, ...] = field(repr=False)
    # Set for a hand-written training loop (see grader.checks.loopfacts): some keys cannot be judged.
    low_level: CustomTraining | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def label(self) -> str:
        return f"{self.record.id} '{self.record.name}'"

    def signature(self) -> tuple[object, ...]:
        """What makes two experiments different: architecture and training settings."""
        return (tuple(layer.describe() for layer in self.layers), self.optimizer, self.learning_rate,
                self.loss, self.epochs, self.batch_sizes, self.validation)


def model_facts(record: ModelRecord, verification: ModelVerification | None) -> ModelFacts:
    verified = verification is not None and verification.status == VerificationStatus.VERIFIED
    # The saved file is what the grader re-measured, so prefer its layers and counts when it loaded.
    raw_layers = verification.layers if verified and verification.layers else record.layers
    layers = _views(raw_layers)
    compute = [layer for layer in layers if layer.is_compute]
    params = (verification.params if verified and verification.params else None) or record.params
    counts = {k: getattr(params, k) if params else None for k in ("total", "trainable", "weights", "biases")}
    for key in counts:  # the grader's recount, where it made one, is the count that decides
        fig = verification.figure(f"params.{key}") if verification is not None else None
        if fig is not None and fig.value is not None:
            counts[key] = int(fig.value)
    finished = tuple(f for f in record.fits if f.finished)
    shape = list((record.input_shape or [])[1:])
    if not shape and record.fits and record.fits[0].x and record.fits[0].x.shape:
        shape = record.fits[0].x.shape[1:]  # a subclassed model may not report its input shape
    return ModelFacts(
        record=record, verification=verification, layers=tuple(layers),
        hidden=tuple(compute[:-1]), output=compute[-1] if compute else None,
        trainable_params=counts["trainable"], total_params=counts["total"],
        weights=counts["weights"], biases=counts["biases"],
        optimizer=names.optimizer(record.optimizer.class_name) if record.optimizer else None,
        learning_rate=record.optimizer.learning_rate if record.optimizer else None,
        loss=names.loss(record.loss) if record.loss else None,
        epochs=sum(f.epochs_run for f in record.fits),
        trained=bool(finished),
        # Settings are what the fit call asked for, finished or not: a crash is not a choice of settings.
        validation=any(f.has_validation_data or (f.validation_split or 0) > 0 for f in record.fits),
        evaluated=bool(record.evaluations),
        callbacks=frozenset(names.callback(c.class_name) for f in record.fits for c in f.callbacks),
        batch_sizes=tuple(f.batch_size or _KERAS_DEFAULT_BATCH for f in record.fits),
        shuffles=tuple(True if f.shuffle is None else f.shuffle for f in record.fits),
        input_size=reduce(lambda a, b: a * b, shape, 1) if shape and all(isinstance(d, int) for d in shape) else None,
        fits=tuple(record.fits),
    )


def _views(raw: list[LayerInfo]) -> list[LayerView]:
    """Layer views with InputLayer and activation layers removed, their activation folded back."""
    views: list[LayerView] = []
    pending: list[int] = []  # index in `views` of the last compute layer an activation may still apply to
    for info in raw:
        kind = names.layer_kind(info.class_name)
        if kind == "inputlayer":
            continue
        if kind in names.ACTIVATION_LAYERS:
            act = names.ACTIVATION_LAYERS[kind] or names.activation(info.activation)
            if pending and views[pending[-1]].activation == "linear":
                v = views[pending[-1]]
                views[pending[-1]] = LayerView(**{**v.__dict__, "activation": act})
            pending.clear()
            continue
        views.append(LayerView(
            kind=kind, class_name=names.layer_class(kind) if kind in names.LAYER_KINDS else info.class_name,
            units=info.units, filters=info.filters,
            kernel_size=tuple(info.kernel_size) if info.kernel_size else None,
            pool_size=tuple(info.pool_size) if info.pool_size else None,
            rate=info.rate, activation=names.activation(info.activation),
        ))
        if views[-1].is_compute:
            pending = [len(views) - 1]
        elif kind not in _TRANSPARENT:
            pending.clear()
    return views
