"""How a run was seeded: the probe's `seeding`, `seed_set` and `determinism_failed` events, folded."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from grader.evidence.events import ProbeEvent
from grader.evidence.model import Limits, RunInfo, Seeding


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


def seed_line(run: RunInfo) -> str:
    """'1, TensorFlow op determinism on': how the run was seeded, in the words the reports show."""
    seeding = run.seeding
    seed = run.limits.seed
    if seed is None:
        text = "none: unseeded, so figures may differ from one run to the next"
    elif seeding is not None and seeding.fallback is not None:
        text = (f"{seed}, TensorFlow op determinism off: an op had no deterministic implementation "
                f"({seeding.fallback[:160]}), so the run was repeated with the seed alone")
    elif seeding is not None and seeding.op_determinism:
        text = f"{seed}, TensorFlow op determinism on"
    else:
        text = f"{seed} (Python's random and NumPy; TensorFlow was not imported)"
    if seeding is not None and seeding.student_seeds:
        text += "; the submission set its own, which wins: " + ", ".join(seeding.student_seeds[:5])
    return text


__all__ = ["determinism_failed", "fold_seeding", "seed_line"]
