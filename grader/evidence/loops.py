"""Folding the probe's ``custom_training`` events into CustomTraining evidence.

Each event is a full snapshot of one hand-written loop; a later snapshot of the same id
supersedes an earlier one (the probe writes them after cells, periodically and at the end).
The events are untrusted: validated against the schema, capped, and the weights file must be
a plain file inside the run's output folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from grader.evidence.events import ProbeEvent
from grader.evidence.customtraining import CustomTraining
from grader.evidence.dense_inference import infer_dense_network

MAX_TRAININGS = 50


def fold_custom_training(events: list[dict[str, Any]], out_dir: Path, warnings: list[str]) -> list[CustomTraining]:
    latest: dict[str, dict[str, Any]] = {}
    for ev in events:
        if ProbeEvent.of(ev.get("event")) is not ProbeEvent.CUSTOM_TRAINING or not isinstance(ev.get("training"), dict):
            continue
        tid = ev["training"].get("id")
        if isinstance(tid, str) and (tid in latest or len(latest) < MAX_TRAININGS):
            latest[tid] = ev["training"]
    out = []
    for tid, raw in latest.items():
        try:
            record = CustomTraining(**{k: v for k, v in raw.items() if k != "network"})
        except (ValidationError, TypeError) as exc:
            warnings.append(f"hand-written training {tid}: evidence did not match the schema "
                            f"({str(exc).splitlines()[0][:200]})")
            continue
        update: dict[str, Any] = {"network": infer_dense_network(record.variables)}
        if record.weights_file and not _inside(out_dir, record.weights_file):
            update.update(weights_file=None, save_error="the reported weights file is not in the output folder")
        out.append(record.model_copy(update=update))
    return out


def _inside(out_dir: Path, rel: str) -> bool:
    try:
        base = out_dir.resolve()
        path = (out_dir / rel).resolve()
        return path.is_relative_to(base) and path.is_file() and not (out_dir / rel).is_symlink()
    except (OSError, ValueError):
        return False
