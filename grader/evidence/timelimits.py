"""Which time limit stopped a run, and how far training had got: read from the event log.

A timeout message has to name the limit that fired, its value and where it came from, and what the
submission was doing ('epoch 23 of 60'); a fit cut by it is marked so its figures are not taken for
those of the finished training.
"""

from __future__ import annotations

from typing import Any

from grader.evidence.events import ProbeEvent
from grader.evidence.model import Limits, ModelRecord, TimeLimitHit

# How a fit that a time limit stopped ends: the driver interrupts a notebook's kernel, and raises
# RunLimitReached (a KeyboardInterrupt) in a script.
_INTERRUPTS = ("KeyboardInterrupt", "RunLimitReached")


def fold_time_limits(events: list[dict[str, Any]], limits: Limits, host_timed_out: bool) -> list[TimeLimitHit]:
    """Every time limit that fired, in order: the driver's own (a cell's limit, or the run's reached in a
    cell), then the host's kill of the whole run if it came to that."""
    hits: list[TimeLimitHit] = []
    window: list[dict[str, Any]] = []  # the events since the running cell started
    cell: int | None = None
    for ev in events:
        kind = ProbeEvent.of(ev.get("event"))
        if kind is ProbeEvent.CELL_START:
            window, cell = [], _int(ev.get("index"))
        elif kind is ProbeEvent.TIME_LIMIT and ev.get("limit") in ("run", "cell"):
            started = ev.get("started") is not False  # False: the run's time was spent between cells
            hits.append(_hit(ev["limit"], limits, _int(ev.get("cell_index")), window if started else [],
                             started=started))
        else:
            window.append(ev)
    if host_timed_out:
        hits.append(_hit("run", limits, cell, window, killed=True))
    return hits


def timeout_message(hit: TimeLimitHit, limits: Limits) -> str:
    """'cell 10 was interrupted by the per-cell time limit of 900 s (set by the rubric), in epoch 23 of 60 of
    m2's training'."""
    what = limits.describe(hit.limit)
    if hit.killed or hit.cell_index is None:
        text = f"the run was stopped by {what}" + (f" in cell {hit.cell_index}" if hit.cell_index is not None else "")
    elif hit.started:
        text = f"cell {hit.cell_index} was interrupted by {what}"
    else:
        return f"{what} was spent before cell {hit.cell_index}, which did not run, nor any after it"
    if hit.model_id is not None and hit.epochs_done is not None:
        text += f", {hit.progress()} of {hit.model_id}'s training"
    if hit.limit == "run" and not hit.killed and hit.cell_index is not None:
        text += "; the cells after it did not run"
    return text


def mark_cut(models: list[ModelRecord], hits: list[TimeLimitHit]) -> list[ModelRecord]:
    """The fits a time limit interrupted, marked ``cut``: their figures are those of an unfinished training."""
    running = {(h.model_id, h.fit_index) for h in hits if h.model_id is not None}
    out = []
    for m in models:
        fits = [f.model_copy(update={"cut": True}) if (m.id, f.index) in running and not f.finished else f
                for f in m.fits]
        out.append(m.model_copy(update={"fits": fits}) if fits != m.fits else m)
    return out


def _hit(limit: str, limits: Limits, cell: int | None, window: list[dict[str, Any]], *, started: bool = True,
         killed: bool = False) -> TimeLimitHit:
    value, source = ((limits.timeout_s, limits.timeout_source) if limit == "run"
                     else (limits.cell_timeout_s or 0.0, limits.cell_timeout_source))
    where = {"limit": limit, "seconds": value, "source": source, "cell_index": cell, "started": started,
             "killed": killed}
    running = _running_fit(window)
    if running is None:
        return TimeLimitHit(**where)
    model, fit, done, requested = running
    return TimeLimitHit(**where, model_id=model, fit_index=fit, epochs_done=done, epochs_requested=requested)


def _running_fit(window: list[dict[str, Any]]) -> tuple[str, int, int, int | None] | None:
    """The fit that was running when the limit fired: the last one started whose end was an interrupt
    (or never came, when the host killed the run)."""
    start = next((ev for ev in reversed(window) if ProbeEvent.of(ev.get("event")) is ProbeEvent.FIT_START), None)
    if start is None or not isinstance(start.get("model"), str):
        return None
    model, fit = start["model"], _int(start.get("fit"))
    end = next((ev for ev in window if ProbeEvent.of(ev.get("event")) is ProbeEvent.FIT and isinstance(ev.get("fit"), dict)
                and ev["fit"].get("index") == fit), None)
    if end is not None:
        record = end["fit"]
        if record.get("finished") or not str(record.get("error") or "").startswith(_INTERRUPTS):
            return None  # it ended on its own before the limit fired
    done = sum(1 for ev in window if ProbeEvent.of(ev.get("event")) is ProbeEvent.EPOCH and ev.get("model") == model and ev.get("fit") == fit)
    return model, fit if fit is not None else -1, done, _int(start.get("epochs"))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
