"""How a run was seeded: the probe's `seeding`, `seed_set` and `determinism_failed` events, folded."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from grader.evidence.events import ProbeEvent
from grader.evidence.model import Limits, Seeding


def fold_seeding(events: Iterable[dict[str, Any]], limits: Limits) -> Seeding | None:
    """The run's Seeding; None for an unseeded run in which the submission set no seed of its own."""
    op_determinism, student = False, []
    for ev in events:
        kind = ProbeEvent.of(ev.get("event"))
        if kind is ProbeEvent.SEEDING:
            op_determinism = bool(ev.get("op_determinism"))
        elif kind is ProbeEvent.SEED_SET:
            value = ev.get("value")
            where = f" at line {ev['line']}" if isinstance(ev.get("line"), int) else ""
            student.append(f"{ev.get('via')}({value if isinstance(value, int) else '...'}){where}"[:200])
    if limits.seed is None and not student:
        return None
    return Seeding(seed=limits.seed, op_determinism=op_determinism, student_seeds=student)


def determinism_failed(events: Iterable[dict[str, Any]]) -> str | None:
    """The error of the op that had no deterministic implementation, when one stopped the run."""
    for ev in events:
        if ProbeEvent.of(ev.get("event")) is ProbeEvent.DETERMINISM_FAILED:
            return f"{ev.get('ename')}: {ev.get('evalue')}"[:500]
    return None


__all__ = ["determinism_failed", "fold_seeding"]
