"""Identical stored outputs: two students' training logs that agree, figure for figure, over several epochs.

Training starts from random weights and shuffles its batches, so two independent trainings print
different losses from the first epoch on, even with the same code. Equal figures, to the precision
Keras printed them, over ``MIN_EQUAL_EPOCHS`` epochs in a row mean one notebook's outputs came from
the other's run. A log whose figures do not move (a model that does not learn) proves nothing and is
not counted.
"""

from __future__ import annotations

import math

from grader.evidence.reported import ReportedEpoch, ReportedFit, ReportedRun
from grader.similarity.model import EqualEpoch, OutputMatch

MIN_EQUAL_EPOCHS = 3


def _fits(run: ReportedRun | None) -> list[ReportedFit]:
    return [f for c in run.cells for f in c.fits if f.epochs] if run is not None else []


def _figures(epoch: ReportedEpoch) -> dict[str, float]:
    return {k: v for k, v in epoch.metrics.items() if math.isfinite(v)}


def _equal(x: ReportedEpoch, y: ReportedEpoch) -> dict[str, float] | None:
    fx, fy = _figures(x), _figures(y)
    common = fx.keys() & fy.keys()
    if not common or any(fx[k] != fy[k] for k in common):
        return None
    return {k: fx[k] for k in sorted(common)}


def _longest_run(a: ReportedFit, b: ReportedFit) -> list[EqualEpoch]:
    """The longest stretch of consecutive epochs, same numbers in both logs, whose figures are equal."""
    by_epoch = {e.epoch: e for e in b.epochs}
    best: list[EqualEpoch] = []
    current: list[EqualEpoch] = []
    for e in sorted(a.epochs, key=lambda e: e.epoch):
        other = by_epoch.get(e.epoch)
        same = _equal(e, other) if other is not None else None
        if same is not None and (not current or current[-1].epoch == e.epoch - 1):
            current.append(EqualEpoch(epoch=e.epoch, metrics=same))
        else:
            current = [EqualEpoch(epoch=e.epoch, metrics=same)] if same is not None else []
        if len(current) > len(best):
            best = list(current)
    return best


def _moving(epochs: list[EqualEpoch], n: int) -> bool:
    """Figures that change from epoch to epoch: a flat log (nan, a stuck 0.1000) matches by chance."""
    return len({tuple(sorted(e.metrics.items())) for e in epochs}) >= n


def compare(a: ReportedRun | None, b: ReportedRun | None, *, min_epochs: int = MIN_EQUAL_EPOCHS) -> OutputMatch | None:
    """The longest equal stretch between any of A's stored logs and any of B's, when it is long enough."""
    best: tuple[list[EqualEpoch], ReportedFit, ReportedFit] | None = None
    for fa in _fits(a):
        for fb in _fits(b):
            run = _longest_run(fa, fb)
            if len(run) >= min_epochs and _moving(run, min_epochs) and (best is None or len(run) > len(best[0])):
                best = (run, fa, fb)
    if best is None:
        return None
    evals_a = [e.metrics or {str(i): v for i, v in enumerate(e.values)} for c in a.cells for e in c.evaluations] if a else []
    evals_b = [e.metrics or {str(i): v for i, v in enumerate(e.values)} for c in b.cells for e in c.evaluations] if b else []
    equal_evals = [x for x in evals_a if x and x in evals_b]
    return OutputMatch(cell_a=best[1].cell_index, cell_b=best[2].cell_index, epochs=best[0],
                       equal_evaluations=equal_evals)


__all__ = ["MIN_EQUAL_EPOCHS", "compare"]
