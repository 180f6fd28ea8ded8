"""Plain-data snapshots of Keras models (Keras 3 and legacy tf_keras alike)."""

from __future__ import annotations

import math
from typing import Any

_SCALAR = (int, float, str, bool, type(None))
_WEIGHT_NAMES = {"kernel", "recurrent_kernel", "depthwise_kernel", "pointwise_kernel", "embeddings"}


def _tuple(value: Any) -> list[int] | None:
    if value is None:
        return None
    if isinstance(value, int):
        return [value]
    try:
        return [int(v) for v in value]
    except Exception:
        return None


def _shape(value: Any) -> list[int | None] | None:
    try:
        return [None if d is None else int(d) for d in tuple(value)]
    except Exception:
        return None


def activation_name(fn: Any) -> str | None:
    if fn is None:
        return None
    name = getattr(fn, "__name__", None) or type(fn).__name__
    return str(name).lower()


def _var_name(var: Any) -> str:
    name = str(getattr(var, "name", "") or "")
    return name.split("/")[-1].split(":")[0]


def _count(shape: Any) -> int:
    try:
        return int(math.prod(int(d) for d in tuple(shape)))
    except Exception:
        return 0


def weight_info(var: Any, trainable: bool) -> dict[str, Any]:
    return {
        "name": _var_name(var),
        "path": str(getattr(var, "path", "") or getattr(var, "name", "")),
        "shape": [int(d) for d in tuple(var.shape)],
        "count": _count(var.shape),
        "trainable": trainable,
    }


def _leaf_layers(model: Any) -> list[Any]:
    out: list[Any] = []
    for layer in getattr(model, "layers", []) or []:
        if type(layer).__name__ == "InputLayer":
            continue
        if hasattr(layer, "layers") and getattr(layer, "layers", None) and hasattr(layer, "fit"):
            out.extend(_leaf_layers(layer))  # nested Sequential/functional models
        else:
            out.append(layer)
    return out


def layer_info(layer: Any) -> dict[str, Any]:
    trainable_ids = {id(v) for v in getattr(layer, "trainable_weights", [])}
    weights = [weight_info(v, id(v) in trainable_ids) for v in getattr(layer, "weights", [])]
    info: dict[str, Any] = {
        "name": str(getattr(layer, "name", "")),
        "class_name": type(layer).__name__,
        "units": getattr(layer, "units", None) if isinstance(getattr(layer, "units", None), int) else None,
        "filters": getattr(layer, "filters", None) if isinstance(getattr(layer, "filters", None), int) else None,
        "kernel_size": _tuple(getattr(layer, "kernel_size", None)),
        "strides": _tuple(getattr(layer, "strides", None)),
        "pool_size": _tuple(getattr(layer, "pool_size", None)),
        "activation": activation_name(getattr(layer, "activation", None)),
        "rate": float(layer.rate) if isinstance(getattr(layer, "rate", None), (int, float)) else None,
        "params": sum(w["count"] for w in weights),
        "trainable_params": sum(w["count"] for w in weights if w["trainable"]),
        "weights": weights,
    }
    try:
        info["output_shape"] = _shape(layer.output.shape)
    except Exception:
        info["output_shape"] = None
    return info


def model_kind(model: Any) -> str:
    names = {c.__name__ for c in type(model).__mro__}
    if "Sequential" in names:
        return "sequential"
    if type(model).__name__ in ("Functional", "Model") or getattr(model, "_is_graph_network", False):
        return "functional"
    return "subclassed"


def param_counts(model: Any) -> dict[str, int] | None:
    try:
        trainable = [weight_info(v, True) for v in model.trainable_weights]
        frozen = [weight_info(v, False) for v in model.non_trainable_weights]
    except Exception:
        return None
    t = sum(w["count"] for w in trainable)
    nt = sum(w["count"] for w in frozen)
    biases = sum(w["count"] for w in trainable if w["name"] == "bias")
    # Connection weights only: BatchNormalization's gamma/beta are neither weights nor biases.
    weights = sum(w["count"] for w in trainable if w["name"] in _WEIGHT_NAMES)
    return {"total": t + nt, "trainable": t, "non_trainable": nt, "weights": weights, "biases": biases}


def optimizer_info(opt: Any) -> dict[str, Any] | None:
    if opt is None:
        return None
    if isinstance(opt, str):
        return {"class_name": opt}
    info: dict[str, Any] = {"class_name": type(opt).__name__}
    raw = getattr(opt, "_learning_rate", None)
    if raw is not None and hasattr(raw, "get_config") and callable(raw):
        info["schedule"] = type(raw).__name__
    try:
        info["learning_rate"] = float(getattr(opt, "learning_rate"))
    except Exception:
        try:
            info["learning_rate"] = float(raw(0)) if callable(raw) else None
        except Exception:
            info["learning_rate"] = None
    try:
        cfg = opt.get_config()
        info["config"] = {k: v for k, v in cfg.items() if isinstance(v, _SCALAR) and k != "name"}
    except Exception:
        info["config"] = {}
    return info


def loss_name(loss: Any) -> str | None:
    if loss is None:
        return None
    if isinstance(loss, str):
        return loss
    if isinstance(loss, (list, tuple)):
        return ",".join(str(loss_name(item)) for item in loss)
    if isinstance(loss, dict):
        return ",".join(f"{k}:{loss_name(v)}" for k, v in loss.items())
    name = getattr(loss, "__name__", None)
    return str(name) if name else type(loss).__name__


def metric_names(metrics: Any) -> list[str]:
    if metrics is None:
        return []
    if isinstance(metrics, dict):
        metrics = [m for v in metrics.values() for m in (v if isinstance(v, (list, tuple)) else [v])]
    if not isinstance(metrics, (list, tuple)):
        metrics = [metrics]
    return [str(m) if isinstance(m, str) else str(getattr(m, "name", None) or loss_name(m)) for m in metrics]


def snapshot(model: Any, model_id: str, framework: str) -> dict[str, Any]:
    built = bool(getattr(model, "built", False))
    layers = [layer_info(layer) for layer in _leaf_layers(model)] if built or model_kind(model) != "subclassed" else []
    try:
        input_shape = _shape(model.inputs[0].shape) if getattr(model, "inputs", None) else None
    except Exception:
        input_shape = None
    return {
        "id": model_id,
        "name": str(getattr(model, "name", "")),
        "class_name": type(model).__name__,
        "framework": framework,
        "kind": model_kind(model),
        "built": built,
        "layers": layers,
        "params": param_counts(model) if built else None,
        "input_shape": input_shape,
        "optimizer": optimizer_info(getattr(model, "optimizer", None)),
        "loss": loss_name(getattr(model, "loss", None)),
    }
