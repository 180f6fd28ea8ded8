"""95% intervals: Wilson for a measured accuracy, a seeded bootstrap for a regression error."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grader.verify.intervals import Interval, bootstrap, regression_statistic, wilson


def test_wilson_matches_published_values() -> None:
    # Newcombe (1998), table I: 0 of 10 -> 0 to 0.2775; 81 of 263 -> 0.2553 to 0.3662.
    none = wilson(0.0, 10)
    assert none.low == 0.0 and none.high == pytest.approx(0.2775, abs=5e-5)
    some = wilson(81 / 263, 263)
    assert (some.low, some.high) == (pytest.approx(0.2553, abs=5e-5), pytest.approx(0.3662, abs=5e-5))
    # The example: 0.9187 over 10,000 test images lies within noise of 0.92.
    ten_k = wilson(0.9187, 10_000)
    assert ten_k.low < 0.92 < ten_k.high and ten_k.n == 10_000 and ten_k.method == "wilson"


def test_wilson_is_symmetric_and_narrows_with_more_examples() -> None:
    a, b = wilson(0.3, 500), wilson(0.7, 500)
    assert a.low == pytest.approx(1 - b.high) and a.high == pytest.approx(1 - b.low)
    widths = [wilson(0.92, n).high - wilson(0.92, n).low for n in (100, 1_000, 10_000)]
    assert widths[0] > widths[1] > widths[2]
    assert widths[1] / widths[2] == pytest.approx(math.sqrt(10), rel=0.05)


def test_wilson_covers_the_true_accuracy_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(7)
    p, n, trials = 0.92, 1_000, 2_000
    hits = sum(wilson(k / n, n).contains(p) for k in rng.binomial(n, p, size=trials))
    assert 0.93 <= hits / trials <= 0.97


def test_wilson_refuses_what_is_not_a_proportion() -> None:
    with pytest.raises(ValueError):
        wilson(1.2, 10)
    with pytest.raises(ValueError):
        wilson(0.5, 0)


def test_regression_statistics_match_their_definitions() -> None:
    err, target = np.array([1.0, -2.0, 3.0]), np.array([10.0, 20.0, 30.0])
    assert regression_statistic("mae", err, target) == pytest.approx(2.0)
    assert regression_statistic("mse", err, target) == pytest.approx(14 / 3)
    assert regression_statistic("rmse", err, target) == pytest.approx(math.sqrt(14 / 3))
    assert regression_statistic("mape", err, target) == pytest.approx(10.0)
    assert regression_statistic("relative_error", err, target) == pytest.approx(6 / 60)


@pytest.mark.parametrize("metric", ["mae", "rmse", "relative_error"])
def test_bootstrap_holds_the_measured_error_and_is_reproducible(metric: str) -> None:
    rng = np.random.default_rng(3)
    target = rng.uniform(1e5, 2e6, 500)
    err = rng.normal(0, 1e5, 500)
    measured = regression_statistic(metric, err, target)
    first, again = bootstrap(metric, err, target), bootstrap(metric, err, target)
    assert first == again and first.method == "bootstrap" and first.n == 500
    assert first.low < measured < first.high
    assert bootstrap(metric, err, target, seed=1) != first  # the seed is what makes it reproducible


def test_bootstrap_covers_the_true_mae_most_of_the_time() -> None:
    # |N(0, 1)| has mean sqrt(2/pi): the interval of a 300-row sample should hold it ~95% of the time.
    rng = np.random.default_rng(11)
    truth, trials = math.sqrt(2 / math.pi), 200
    hits = sum(bootstrap("mae", e, np.ones(300), resamples=400).contains(truth)
               for e in rng.normal(0, 1, size=(trials, 300)))
    assert 0.88 <= hits / trials <= 0.99


def test_an_interval_is_ordered() -> None:
    with pytest.raises(ValueError):
        Interval(low=0.5, high=0.4, n=10, method="wilson")
