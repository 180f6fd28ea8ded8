"""Pure functions turning a model's evidence and the verifier's measurements into CheckedFigures."""

from __future__ import annotations

from typing import Any

from grader.evidence.model import EvaluateRecord, FitRecord, ModelRecord
from grader.verify.intervals import bootstrap, wilson
from grader.verify.verified import CheckedFigure, FigureStatus

ACCURACY_TOLERANCE = 0.01
LOSS_RELATIVE_TOLERANCE = 0.05
# Error figures of a regression model, re-measured on held-out rows the grader rebuilt (grader_tabular).
REGRESSION_METRICS = ("mae", "mse", "rmse", "mape", "relative_error")


def compare(name: str, split: str | None, reported: float | None, verified: float | None, note: str = "") -> CheckedFigure:
    if verified is None:
        return CheckedFigure(name=name, split=split, reported=reported, verified=None,
                             status=FigureStatus.REPORTED, note=note or "not recomputed by the grader")
    if reported is None:
        return CheckedFigure(name=name, split=split, reported=None, verified=verified, status=FigureStatus.VERIFIED, note=note)
    gap = verified - reported
    if name.startswith("params."):
        ok = gap == 0
    elif name in ("loss", *REGRESSION_METRICS):
        ok = abs(gap) <= max(0.01, LOSS_RELATIVE_TOLERANCE * abs(verified))
    else:
        ok = abs(gap) <= ACCURACY_TOLERANCE
    status = FigureStatus.VERIFIED if ok else FigureStatus.MISMATCH
    if not ok and not note:
        note = f"the submission reported {reported:.4g} but the grader measured {verified:.4g}"
    return CheckedFigure(name=name, split=split, reported=reported, verified=verified, status=status,
                         gap=round(gap, 6), note=note)


def _final(history: dict[str, list[float]], key: str, fit: FitRecord) -> float | None:
    values = history.get(key) or []
    if not values:
        return None
    restores = any(cb.class_name == "EarlyStopping" and cb.config.get("restore_best_weights") for cb in fit.callbacks)
    if restores:
        # The weights saved are the best epoch's, so that epoch's figure is the one to compare.
        monitor = next((str(cb.config.get("monitor", "val_loss")) for cb in fit.callbacks if cb.class_name == "EarlyStopping"), "val_loss")
        track = history.get(monitor)
        if track and len(track) == len(values):
            best = min(range(len(track)), key=track.__getitem__) if "loss" in monitor else max(range(len(track)), key=track.__getitem__)
            return values[best]
    return values[-1]


def _accuracy_key(history: dict[str, Any], prefix: str = "") -> str | None:
    for key in ("accuracy", "acc", "categorical_accuracy", "sparse_categorical_accuracy"):
        if prefix + key in history:
            return prefix + key
    return None


def model_figures(model: ModelRecord, fit: FitRecord | None, measured: dict[str, Any]) -> list[CheckedFigure]:
    figures: list[CheckedFigure] = []
    verified_params = measured.get("params") or {}
    for key in ("total", "trainable", "non_trainable", "weights", "biases"):
        reported = getattr(model.params, key) if model.params else None
        verified = verified_params.get(key)
        figures.append(compare(f"params.{key}", None, reported, float(verified) if verified is not None else None))
    metrics = measured.get("metrics") or {}
    history = fit.history if fit else {}
    val_key, train_key = _accuracy_key(history, "val_"), _accuracy_key(history)
    reported_val_acc = _final(history, val_key, fit) if fit and val_key else None
    reported_val_loss = _final(history, "val_loss", fit) if fit else None
    val = metrics.get("validation") or {}
    source = measured.get("validation_source", "")
    counted = measured.get("n") or {}
    figures.append(_with_interval(compare("accuracy", "validation", reported_val_acc, val.get("accuracy"), source),
                                  counted.get("validation")))
    figures.append(compare("loss", "validation", reported_val_loss, val.get("loss"), source))
    test = metrics.get("test") or {}
    reported_test = _reported_test(model.evaluations, measured.get("eval_matches_test") or [])
    figures.append(_with_interval(compare("accuracy", "test", _acc(reported_test), test.get("accuracy")),
                                  counted.get("test")))
    figures.append(compare("loss", "test", reported_test.get("loss") if reported_test else None, test.get("loss")))
    rows = (measured.get("rows") or {}).get("test")
    for metric in REGRESSION_METRICS:
        if metric in test:
            figures.append(_with_bootstrap(compare(metric, "test", _named(reported_test, metric), test[metric],
                                                   measured.get("held_out", "")), rows))
    if fit and train_key:
        figures.append(compare("accuracy", "train", _final(history, train_key, fit), None,
                               "the last epoch's running average during training"))
    overlap = measured.get("test_overlap")
    if isinstance(overlap, int) and overlap > 0:
        # Measured on rows the model trained on: the grader's figure is real but says nothing about unseen data,
        # so it counts as reported (capped like one), never as verified.
        note = f"not verified: the model trained on {overlap:,} of the test rows it was measured on"
        figures = [f.model_copy(update={"status": FigureStatus.REPORTED, "note": note})
                   if f.split == "test" and f.verified is not None else f for f in figures]
    return figures


def _with_interval(fig: CheckedFigure, n: object) -> CheckedFigure:
    """An accuracy the grader measured over ``n`` examples, with its Wilson interval."""
    if fig.verified is None or not isinstance(n, int) or n < 1 or not 0.0 <= fig.verified <= 1.0:
        return fig
    return fig.model_copy(update={"interval": wilson(fig.verified, n)})


def _with_bootstrap(fig: CheckedFigure, rows: dict[str, Any] | None) -> CheckedFigure:
    """A regression error the grader measured, with a bootstrap interval over its per-row errors."""
    if fig.verified is None or not rows or fig.name not in REGRESSION_METRICS:
        return fig
    try:
        error, target = list(map(float, rows["error"])), list(map(float, rows["target"]))
        if fig.name == "relative_error":  # in the table's own units (dollars), as the worker measured it
            a, b = (float(v) for v in rows["affine"])
            error, target = [e / a for e in error], [(t - b) / a for t in target]
        if not error or len(error) != len(target):
            return fig
        return fig.model_copy(update={"interval": bootstrap(fig.name, error, target)})
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return fig  # the worker's rows are data from a sandbox: malformed means no interval, never a crash


def _acc(results: dict[str, float] | None) -> float | None:
    if not results:
        return None
    for key in ("accuracy", "acc", "categorical_accuracy", "sparse_categorical_accuracy", "compile_metrics"):
        if key in results:
            return results[key]
    return None


def _named(results: dict[str, float] | None, metric: str) -> float | None:
    from grader.rubric import names

    return next((v for k, v in (results or {}).items() if names.metric(k) == metric), None)


def _reported_test(evaluations: list[EvaluateRecord], matches: list[bool]) -> dict[str, float] | None:
    """The last evaluate() the submission ran on the full test split, as it reported it."""
    chosen = None
    for record, matched in zip(evaluations, matches):
        if matched and record.x is not None and record.x.shape and record.results:
            chosen = record.results
    return chosen
