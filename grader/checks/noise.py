"""Verdicts that know their noise: a threshold whose bar lies inside the figure's 95% interval is borderline.

A re-measurement on the same examples (or a re-run of an unseeded training) may land on either side of
such a bar, so the rubric says per metric what a borderline figure earns: ``review`` (the measured
verdict stands and a person is asked to look), ``pass`` (judged at the interval's favourable end) or
``fail`` (judged at its unfavourable end). Pure: a function of the figure, its interval and the bar.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pydantic import Field

from grader.evidence.model import Frozen
from grader.rubric.criteria import BorderlineRule
from grader.rubric.ranges import Range
from grader.verify.intervals import Interval


class ReviewReason(str, Enum):
    """Why a criterion's verdict asks for a person to look at it (the verdict itself is still given)."""

    BORDERLINE = "borderline"
    """The figure's 95% interval straddles the rubric's bar: within noise of it."""
    TRAINED_ON_TEST = "trained_on_test"
    """The model trained on rows of the test split, so its test figure is not a verified one."""
    STORED_RUN = "stored_run"
    """The student's own run (their notebook's stored output) and the grader's re-run land on opposite sides
    of the bar (see CriterionResult.run_comparison)."""
    OVERRIDE_CHANGED = "override_changed"
    """A TA's override is stored for this criterion but the rubric has changed the criterion since: the override
    is kept, not applied, until someone looks again (see CriterionResult.override)."""
    REPORTED_ONLY = "reported_only"
    """A figure only the submission reported (the grader could not re-measure it) decided the verdict, under the
    rubric's ``reported_credit``: e.g. the notebook's stored output, when the re-run failed for want of what the
    student's machine had."""
    # Result-level reasons (GradeResult.review): about the run, not one criterion's figure.
    ADAPTATION = "adaptation"
    """The grader adapted the student's code to its machine in a way that changed what ran (a relocated Keras 3
    API served, a file or dataset supplied): the grade is of the adapted run."""
    ENVIRONMENT = "environment"
    """The run failed for want of something the student's machine had (data, weights, a package, a removed API):
    the failure is attributed to the environment, not to the student's code."""


class Borderline(Frozen):
    """A figure within noise of a bar, and what the rubric's rule made of it."""

    value: float = Field(description="The measured figure.")
    interval: Interval
    bar: float = Field(description="The bar (a bound of the rubric's range) that lies inside the interval.")
    expect: str = Field(description="The rubric's range, in words, e.g. '> 0.92'.")
    rule: BorderlineRule = Field(description="The rubric's rule: review, pass or fail.")
    measured_holds: bool = Field(description="Whether the measured figure itself is in the range.")
    judged_at: float = Field(description="The value the verdict was decided on: the measured figure (review), "
                                         "or the interval's favourable (pass) or unfavourable (fail) end.")

    def describe(self, fmt: Callable[[float], str] = "{:.4f}".format, rows: str = "examples") -> str:
        """'0.9187, 95% interval 0.9133-0.9239 over 10,000 test examples: within noise of 0.92'."""
        return (f"{fmt(self.value)}, {self.interval.level:.0%} interval {fmt(self.interval.low)}-"
                f"{fmt(self.interval.high)} over {self.interval.n:,} {rows}: within noise of {_bar(self.bar)}")


def _bar(value: float) -> str:
    """A bar as the rubric would write it: '0.92', '80,000'."""
    return f"{value:,.0f}" if float(value).is_integer() and abs(value) >= 1 else f"{value:g}"


def bars(expect: Range) -> list[float]:
    """The range's finite edges: the values a figure can fall either side of."""
    return [b for b in dict.fromkeys((expect.low(), expect.high())) if b is not None]


def borderline(value: float, interval: Interval, expect: Range, rule: BorderlineRule) -> Borderline | None:
    """The borderline decision for ``value``, or None when its interval lies wholly on one side of every bar."""
    bar = next((b for b in bars(expect) if interval.low <= b <= interval.high), None)
    if bar is None:
        return None
    ends = (interval.low, interval.high)
    inside = [e for e in ends if expect.contains(e)]
    outside = [e for e in ends if not expect.contains(e)]
    judged = value
    if rule == "pass":
        # The favourable end: inside the range when either end is (an interval around an 'eq' bar may have neither).
        judged = inside[0] if inside else (bar if expect.contains(bar) else value)
    elif rule == "fail":
        judged = outside[0] if outside else value
    return Borderline(value=value, interval=interval, bar=bar, expect=expect.describe(), rule=rule,
                      measured_holds=expect.contains(value), judged_at=judged)


_REVIEW_WORDS = {ReviewReason.BORDERLINE: "the figure is within noise of the bar",
                 ReviewReason.TRAINED_ON_TEST: "the model trained on rows of the test split",
                 ReviewReason.OVERRIDE_CHANGED: "override needs another look: the rubric changed this criterion",
                 ReviewReason.STORED_RUN: "the student's run and the grader's re-run land on opposite sides of the bar",
                 ReviewReason.REPORTED_ONLY: "decided on a figure only the submission reported",
                 ReviewReason.ADAPTATION: "the grader adapted the code to its machine",
                 ReviewReason.ENVIRONMENT: "the run failed for want of something the student's machine had"}


def review_text(reasons: tuple[ReviewReason, ...], edge: Borderline | None) -> str:
    """Why a verdict is flagged, in words: 'the figure is within noise of the bar (95% interval ... holds 0.92)'."""
    words = []
    for reason in reasons:
        text = _REVIEW_WORDS.get(reason, reason.value)
        if reason is ReviewReason.BORDERLINE and edge is not None:
            text += f" ({edge.interval.describe()} holds {_bar(edge.bar)})"
        words.append(text)
    return "; ".join(words)
