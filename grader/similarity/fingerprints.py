"""Identical model fingerprints: the same choices wherever the exercise leaves room to choose.

A fingerprint is what a student chose for a model: its architecture (layer types, sizes,
activations), optimizer, learning rate, loss, epochs, batch size and the data as it reached ``fit``
(shape, type and range: how it was scaled). Only fields that differ somewhere in the class carry a
signal (an exercise that fixes the optimizer makes everyone's equal), and a fingerprint that many
students share is the obvious solution, not a copy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from grader.evidence.model import DataFingerprint, LayerInfo, ModelRecord
from grader.evidence.reported import ReportedRun
from grader.similarity.model import ModelMatch

Fingerprint = Mapping[str, str]
FIELDS = ("architecture", "optimizer", "learning_rate", "loss", "epochs", "batch_size", "data")
MIN_FIELDS = 2
"""Fewer informative fields than this in common is too little to call two models identical."""


def _num(x: float | None) -> str | None:
    return None if x is None or not math.isfinite(x) else f"{x:.6g}"


def _layer(layer: LayerInfo) -> str:
    size = layer.units if layer.units is not None else layer.filters
    parts = [str(p) for p in (size, layer.kernel_size and "x".join(map(str, layer.kernel_size)), layer.activation,
                              layer.rate) if p is not None]
    return f"{layer.class_name}({','.join(parts)})"


def _data(x: DataFingerprint | None) -> str | None:
    if x is None or x.shape is None:
        return None
    shape = "x".join(str(d) for d in x.shape[1:]) or "scalar"
    return f"{shape} {x.dtype or x.kind} [{_num(x.min)}, {_num(x.max)}]"


def of_model(m: ModelRecord) -> dict[str, str]:
    fit = m.fits[-1] if m.fits else None
    values = {
        "architecture": " > ".join(_layer(layer) for layer in m.layers if layer.class_name != "InputLayer") or None,
        "optimizer": m.optimizer.class_name if m.optimizer else None,
        "learning_rate": (m.optimizer.schedule or _num(m.optimizer.learning_rate)) if m.optimizer else None,
        "loss": m.loss,
        "epochs": str(fit.epochs_requested) if fit and fit.epochs_requested is not None else None,
        "batch_size": str(fit.batch_size) if fit and fit.batch_size is not None else None,
        "data": _data(fit.x) if fit else None,
    }
    return {k: v for k, v in values.items() if v}


def of_stored(run: ReportedRun | None) -> list[dict[str, str]]:
    """Without a run, a notebook's stored summaries still show its architecture (layer types and sizes)."""
    out = []
    for cell in run.cells if run is not None else []:
        for s in cell.summaries:
            if s.layers:
                out.append({"architecture": " > ".join(f"{layer.class_name}[{layer.params}]" for layer in s.layers)})
    return out


def of_student(models: Sequence[ModelRecord], stored: ReportedRun | None) -> list[dict[str, str]]:
    """One fingerprint per trained model (every model when none was trained), else the stored summaries'."""
    trained = [m for m in models if m.fits] or list(models)
    return [of_model(m) for m in trained] or of_stored(stored)


def informative(fingerprints: Sequence[Sequence[Fingerprint]]) -> list[str]:
    """Fields on which the class's students differ (students with no value for a field are left out)."""
    out = []
    for f in FIELDS:
        values = {fp[f] for student in fingerprints for fp in student if f in fp}
        if len(values) > 1:
            out.append(f)
    return out


def _key(fp: Fingerprint, fields: Sequence[str]) -> tuple[tuple[str, str], ...]:
    return tuple((f, fp[f]) for f in fields if f in fp)


def compare(a: Sequence[Fingerprint], b: Sequence[Fingerprint], fields: Sequence[str],
            everyone: Sequence[Sequence[Fingerprint]]) -> ModelMatch | None:
    """The most specific fingerprint A and B share on the informative ``fields``, and how many students share it."""
    best: tuple[tuple[str, str], ...] | None = None
    for fa in a:
        ka = _key(fa, fields)
        for fb in b:
            if len(ka) >= MIN_FIELDS and ka == _key(fb, fields) and (best is None or len(ka) > len(best)):
                best = ka
    if best is None:
        return None
    shared_by = sum(1 for student in everyone if any(_key(fp, fields) == best for fp in student))
    return ModelMatch(fields=dict(best), shared_by=shared_by)


def rare(match: ModelMatch, students: int) -> bool:
    """Shared by so few that it is not just the common answer (a fifth of the class, at least two)."""
    return match.shared_by <= max(2, students // 5)


__all__ = ["FIELDS", "MIN_FIELDS", "compare", "informative", "of_model", "of_stored", "of_student", "rare"]
