"""How far a measured figure could move by chance: 95% intervals over the examples it was measured on.

An accuracy measured on n test images is a proportion, so its interval is Wilson's score interval
(well behaved near 0 and 1, unlike the normal approximation). A regression error (MAE, RMSE, ...) has
no closed form worth trusting on a few hundred rows, so it gets a percentile bootstrap over the rows,
seeded so that the same measurement always gives the same interval. Pure: no I/O, no TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from pydantic import Field, model_validator

from grader.evidence.model import Frozen

Z95 = 1.959963984540054
"""The standard normal quantile of a two-sided 95% interval."""
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 0


class Interval(Frozen):
    """A 95% interval around a measured figure."""

    low: float
    high: float
    n: int = Field(ge=1, description="How many examples the figure was measured on.")
    method: Literal["wilson", "bootstrap"]
    level: float = 0.95

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if self.low > self.high:
            raise ValueError(f"an interval's low end ({self.low}) is above its high end ({self.high})")
        return self

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def describe(self) -> str:
        """'95% interval 0.9132-0.9239' (four decimals for small figures, one for errors in dollars)."""
        spec = ".4f" if max(abs(self.low), abs(self.high)) < 10 else ",.1f"
        return f"{self.level:.0%} interval {self.low:{spec}}-{self.high:{spec}}"


def wilson(p: float, n: int, z: float = Z95) -> Interval:
    """Wilson's score interval for a proportion ``p`` observed over ``n`` examples."""
    if n < 1:
        raise ValueError("an interval needs at least one example")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"a proportion lies in [0, 1], not {p}")
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # Clamp rounding noise only: the true interval always lies in [0, 1].
    return Interval(low=max(0.0, centre - half), high=min(1.0, centre + half), n=n, method="wilson")


def regression_statistic(metric: str, errors, targets):
    """A regression error over rows (NumPy arrays; a 2-D array is one resample per row): ``errors`` are
    prediction - target, ``targets`` the true values."""
    import numpy as np

    errors, targets = np.asarray(errors, dtype=np.float64), np.asarray(targets, dtype=np.float64)
    if metric == "mae":
        return np.abs(errors).mean(axis=-1)
    if metric == "mse":
        return (errors ** 2).mean(axis=-1)
    if metric == "rmse":
        return np.sqrt((errors ** 2).mean(axis=-1))
    if metric == "mape":
        safe = np.where(targets == 0, np.inf, np.abs(targets))  # rows with a zero target add nothing, as Keras
        return 100.0 * (np.abs(errors) / safe).mean(axis=-1)
    if metric == "relative_error":
        return np.abs(errors).sum(axis=-1) / np.abs(targets).sum(axis=-1)
    raise ValueError(f"no bootstrap statistic for {metric!r}")


def bootstrap(metric: str, errors: Sequence[float], targets: Sequence[float], *,
              resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> Interval:
    """Percentile bootstrap interval of a regression error, resampling rows with replacement."""
    import numpy as np

    e, t = np.asarray(errors, dtype=np.float64), np.asarray(targets, dtype=np.float64)
    n = len(e)
    if n < 1 or len(t) != n:
        raise ValueError("a bootstrap needs one target per error, and at least one row")
    idx = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    stats = regression_statistic(metric, e[idx], t[idx])
    lo, hi = np.quantile(stats, [0.025, 0.975])
    return Interval(low=float(lo), high=float(hi), n=n, method="bootstrap")
