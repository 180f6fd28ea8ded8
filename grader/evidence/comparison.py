"""The student's stored run beside the grader's re-run, and the bars a regrade could land either side of.

Training is not deterministic unless seeded: a re-run may land a hair below a bar the student's own run
cleared (or the other way). Neither run is wrong; the report shows both and flags the bar between them
for a person to review, rather than silently deciding on one draw.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import Field

from grader.evidence.reported import Frozen, ReportedRun

_SPLIT_WORDS = {"validation": "validation", "train": "training", "test": "test"}


@dataclass(frozen=True)
class Bar:
    """A rubric threshold on one figure: ``holds`` says whether a value clears it, ``text`` how it reads."""

    metric: str
    split: str
    text: str
    holds: Callable[[float], bool]
    criterion_id: str | None = None


class RunComparison(Frozen):
    """One figure as the student's stored run showed it and as the grader's re-run measured it."""

    model_id: str
    metric: str = Field(description="'accuracy', 'loss', ... as Keras logged it, without 'val_'.")
    split: str = Field(description="'validation', 'train' or 'test'.")
    stored: float = Field(description="The student's run (their notebook's stored output): reported, never verified.")
    rerun: float = Field(description="The grader's re-run.")
    bar: str | None = Field(None, description="A rubric bar that one run clears and the other does not, e.g. '> 0.92'.")
    criterion_id: str | None = Field(None, description="The criterion whose bar it is.")

    @property
    def crosses_bar(self) -> bool:
        return self.bar is not None

    def message(self) -> str:
        what = f"{_SPLIT_WORDS.get(self.split, self.split)} {self.metric}"
        text = f"your notebook showed {what} {_fmt(self.stored)}; the grader's re-run reached {_fmt(self.rerun)}"
        if self.bar is not None:
            text += (f"; the bar ({self.bar}) lies between them, so the verdict depends on the training run: "
                     "flagged for review")
        return text


def stored_figures(stored: ReportedRun, model_id: str) -> dict[tuple[str, str], float]:
    """The model's final figures in the student's run: (metric, split) -> value.

    Validation and training figures come from its last stored training log, test figures from its last
    stored `evaluate` bar.
    """
    out: dict[tuple[str, str], float] = {}
    fits = stored.fits_of(model_id)
    if fits:
        last = fits[-1]
        for ep in last.epochs:
            for key, value in ep.metrics.items():
                split = "validation" if key.startswith("val_") else "train"
                out[(key.removeprefix("val_"), split)] = value
    for ev in stored.evaluations:
        if ev.model_id == model_id:
            for key, value in ev.metrics.items():
                out[(key, "test")] = value
    return out


def compare_runs(stored: ReportedRun | None, model_id: str, rerun: Mapping[tuple[str, str], float],
                 bars: Sequence[Bar] = ()) -> list[RunComparison]:
    """Each figure both runs have, with the first bar (if any) that only one of them clears.

    ``rerun`` maps (metric, split) to the grader's value (verified figures where there are some).
    """
    if stored is None:
        return []
    return compare_figures(model_id, stored_figures(stored, model_id), rerun, bars)


def compare_figures(model_id: str, stored: Mapping[tuple[str, str], float], rerun: Mapping[tuple[str, str], float],
                    bars: Sequence[Bar] = ()) -> list[RunComparison]:
    """:func:`compare_runs` on figures already read: (metric, split) -> value on each side."""
    out = []
    for key in sorted(set(stored) & set(rerun)):
        metric, split = key
        theirs, ours = stored[key], rerun[key]
        crossed = next((b for b in bars if (b.metric, b.split) == key and b.holds(theirs) != b.holds(ours)), None)
        out.append(RunComparison(model_id=model_id, metric=metric, split=split, stored=theirs, rerun=ours,
                                 bar=crossed.text if crossed else None,
                                 criterion_id=crossed.criterion_id if crossed else None))
    return out


def _fmt(v: float) -> str:
    return f"{v:.4f}".rstrip("0").rstrip(".") if abs(v) < 1000 else f"{v:,.0f}"
