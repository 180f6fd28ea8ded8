"""Hand-written training loops as models a rubric can see, and what cannot be judged about them.

A loop's variables imply a dense network (:mod:`grader.evidence.dense_inference`), so such a loop can
fill a model slot on the properties the shapes and the probe show: layers, units, parameter
counts, the optimizer object and its learning rate, whether it trained. Everything else (the
activations, the loss, epochs, fit settings, verified metrics, history-based figures) is not
recorded for a hand-written loop; a constraint on it is *not judged*, and a criterion that
needs it is skipped with the reason in plain words. It is never passed, and never failed for
want of evidence the grader could not have.
"""

from __future__ import annotations

from typing import Any

from grader.checks.base import CheckResult, NotJudged, skipped
from grader.checks.facts import LayerView, ModelFacts
from grader.evidence.customtraining import CustomTraining
from grader.evidence.model import LayerInfo, ModelRecord, OptimizerInfo, ParamCounts
from grader.rubric import names

PREFIX = "cannot be judged from a hand-written training loop"
KIND = "hand-written loop"

_NOT_RECORDED = {
    "hidden_activation": "activations are not recorded",
    "output_activation": "activations are not recorded",
    "loss": "the loss function is not recorded",
    "epochs": "epochs are not recorded (only update steps are counted; the batch size is unknown)",
    "batch_size": "the batch size is not recorded",
    "shuffle": "shuffling is not recorded",
    "validation": "validation data is not recorded",
    "callbacks": "a hand-written loop has no Keras callbacks to record",
    "evaluated": "evaluation is not recorded for a hand-written loop",
}
# Keys decided from the inferred dense chain: judged only when it explains every variable.
_SHAPE_KEYS = {"hidden_layers", "dense_layers", "conv_layers", "units", "filters", "output_units", "input_size",
               "layer_counts", "architecture"}


def loop_facts(t: CustomTraining) -> ModelFacts:
    """ModelFacts for a loop: the inferred Dense layers (activation unknown), counts and optimizer."""
    net = t.network
    layers = [LayerInfo(name=f"dense_{i}", class_name="Dense", units=layer.n_out, params=layer.params,
                        trainable_params=layer.params) for i, layer in enumerate(net.layers if net else [])]
    params = ParamCounts(total=net.total_params, trainable=net.trainable_params,
                         non_trainable=net.total_params - net.trainable_params,
                         weights=net.weights, biases=net.biases) if net else None
    opt = t.optimizer
    record = ModelRecord(
        id=t.id, name=KIND, class_name="CustomTraining", framework="tensorflow", kind="low-level",
        layers=layers, params=params, input_shape=[None, net.input_size] if net and net.input_size else None,
        optimizer=OptimizerInfo(class_name=opt.class_name, learning_rate=opt.learning_rate, schedule=opt.schedule,
                                config=opt.config) if opt else None,
    )
    views = tuple(LayerView(kind="dense", class_name="Dense", units=x.units, filters=None, kernel_size=None,
                            pool_size=None, rate=None, activation="activation unknown") for x in layers)
    return ModelFacts(
        record=record, verification=None, layers=views, hidden=views[:-1], output=views[-1] if views else None,
        trainable_params=params.trainable if params else None, total_params=params.total if params else None,
        weights=params.weights if params else None, biases=params.biases if params else None,
        optimizer=names.optimizer(opt.class_name) if opt else None,
        learning_rate=opt.learning_rate if opt else None, loss=None, epochs=0, trained=t.trained,
        validation=False, evaluated=False, callbacks=frozenset(), batch_sizes=(), shuffles=(),
        input_size=net.input_size if net else None, fits=(), low_level=t,
    )


def cannot_judge(key: str, value: Any, t: CustomTraining) -> str | None:
    """Why constraint ``key`` cannot be decided for loop ``t``, or None when it can."""
    if key in _NOT_RECORDED:
        return _NOT_RECORDED[key]
    if key in ("optimizer", "learning_rate") and t.optimizer is None:
        return ("no optimizer object was used (the update was written by hand), so the optimizer and "
                "learning rate are not recorded")
    if key in _SHAPE_KEYS:
        net = t.network
        if net is None or not net.complete:
            detail = f": {', '.join(net.unexplained[:3])}" if net and net.unexplained else ""
            return f"the layers could not be inferred from the variables{detail}"
        if key == "layer_counts" and any(names.layer_kind(str(k)) != "dense" for k in value):
            return "only Dense layers can be inferred from the variables"
        if key == "architecture":
            if any(spec.kind != "dense" for spec in value):
                return "only Dense layers can be inferred from the variables"
            if any(spec.activation for spec in value):
                return "activations are not recorded"
    return None


def loop_message(t: CustomTraining, what: str) -> str:
    return f"{t.id} '{KIND}': {PREFIX}: {what}"


def loop_skipped(t: CustomTraining, what: str) -> CheckResult:
    """Skipped, not judged: what a criterion needs is not recorded for hand-written loop ``t``."""
    return skipped(loop_message(t, what), not_judged=NotJudged(model_ids=(t.id,), reasons=(what,)))


def unjudged_of(pairs: list[tuple[ModelFacts, list[str]]]) -> NotJudged:
    """The typed reason for (model, reasons) pairs that could not be judged."""
    return NotJudged(model_ids=tuple(m.id for m, _ in pairs),
                     reasons=tuple(dict.fromkeys(r for _, reasons in pairs for r in reasons)))


def question_unjudged(answer: str, t: CustomTraining) -> str | None:
    """Why a question about loop ``t`` cannot be checked, or None when its true value is known."""
    if answer in ("accuracy", "loss"):
        return f"the grader has no verified forward pass for it, so its {answer} is not known"
    if answer == "seconds_per_epoch":
        return "epochs are not recorded, so neither are seconds per epoch"
    if answer == "epochs":
        return _NOT_RECORDED["epochs"]
    if answer in ("weights", "biases") and not (t.network and t.network.complete):
        return "the layers could not be inferred from the variables, so weights and biases are not told apart"
    return None


def metric_unjudged(metric: str, split: str) -> str:
    return (f"the grader has no verified forward pass for it, and the loop's own {split} {metric} is not "
            "recorded")


def artifact_unjudged(artifact: str, require_history_match: bool) -> str | None:
    if artifact == "saved_model":
        return "there is no Keras model to save (the loop's variables were kept as .npz for the record)"
    if artifact == "training_curves" and require_history_match:
        return "there is no fit history to compare plotted curves with"
    return None
