"""Metric thresholds: verified figures decide; reported-only figures earn reported_credit; errors are not failures."""

from __future__ import annotations

import evidence_factory as f
import pytest

from grader.checks.base import QUICK_MESSAGE, Outcome
from grader.checks.context import GradeContext
from grader.checks.metrics import check_metric
from grader.evidence.model import RunStatus
from grader.rubric.criteria import MetricCriterion
from grader.verify.verified import FigureStatus, VerificationStatus


def crit(**kw) -> MetricCriterion:
    return MetricCriterion.model_validate({"id": "m", "metric": "accuracy", "split": "validation",
                                           "expect": ">0.92", **kw})


def run(c: MetricCriterion, verified, *, quick: bool = False, reported_credit: float = 0.0, model_id: str = "m1"):
    ctx = GradeContext.build(verified, quick=quick, reported_credit=reported_credit)
    return check_metric(c, ctx, ctx.model(model_id), "the slot")


def test_verified_pass_and_fail() -> None:
    good = f.verify(f.evidence([f.dense_model("m1", [300], val_acc=0.95)]))
    res = run(crit(), good)
    assert res.outcome == Outcome.PASSED and res.credit == 1 and res.figure_status == FigureStatus.VERIFIED
    assert "validation accuracy 0.9500 (needs > 0.92)" in res.message
    bad = f.verify(f.evidence([f.dense_model("m1", [300], val_acc=0.9205)]))
    assert run(crit(expect=">0.9205"), bad).outcome == Outcome.FAILED
    assert run(crit(expect=">=0.9205"), bad).outcome == Outcome.PASSED


def test_test_split_and_aliases() -> None:
    v = f.verify(f.evidence([f.dense_model("m1", [300], val_acc=0.9, test_acc=0.93)]))
    assert run(crit(split="test", metric="acc"), v).outcome == Outcome.PASSED


def test_mismatch_counts_the_verified_value() -> None:
    v = f.verify(f.evidence([f.dense_model("m1", [300], val_acc=0.99)]), val={"m1": 0.85})
    res = run(crit(), v)
    assert res.outcome == Outcome.FAILED and res.figure_status == FigureStatus.MISMATCH
    assert "reported 0.9900, the grader measured 0.8500" in res.message


def test_reported_only_figure_earns_reported_credit() -> None:
    v = f.verify(f.evidence([f.dense_model("m1", [300], val_acc=0.95)]), status={"m1": VerificationStatus.UNSAFE})
    res = run(crit(), v)
    assert res.outcome == Outcome.FAILED and res.credit == 0 and res.figure_status == FigureStatus.REPORTED
    assert "not verified" in res.message and "safe_mode" in res.message
    half = run(crit(), v, reported_credit=0.5)
    assert half.outcome == Outcome.FAILED and half.credit == 0.5
    assert run(crit(reported_credit=1.0), v).outcome == Outcome.PASSED


def test_no_verification_falls_back_to_the_submission_s_logs() -> None:
    v = f.verify(f.evidence([f.dense_model("m1", [300], val_acc=0.95)]))
    bare = v.model_copy(update={"verifications": []})
    res = run(crit(), bare, reported_credit=0.25)
    assert res.figure_status == FigureStatus.REPORTED and res.credit == 0.25


def test_verifier_failure_is_an_error_not_a_failure() -> None:
    v = f.verify(f.evidence([f.dense_model("m1", [300])]), status={"m1": VerificationStatus.ERROR},
                 message="evaluate() raised ValueError")
    res = run(crit(), v)
    assert res.outcome == Outcome.ERROR and "evaluate() raised ValueError" in res.message


def test_crashed_run_before_training_is_a_failure_that_says_so() -> None:
    ev = f.evidence([f.model("m1", *f.dense_stack(784, [300]), fits=[f.fit(0, finished=False)])],
                    status=RunStatus.CRASHED, message="NameError in cell 4")
    res = run(crit(), f.verify(ev))
    assert res.outcome == Outcome.FAILED
    assert "never finished training" in res.message and "crashed: NameError in cell 4" in res.message
    # A fit that crashed half-way left a history: the figure is only reported, and the crash is named.
    ev = f.evidence([f.dense_model("m1", [300], trained=False)], status=RunStatus.CRASHED, message="killed")
    res = run(crit(), f.verify(ev))
    assert res.figure_status == FigureStatus.REPORTED and "never finished training" in res.message


def test_no_validation_data_is_explained() -> None:
    v = f.verify(f.evidence([f.dense_model("m1", [300], validation=False, test_acc=None)]))
    res = run(crit(), v)
    assert res.outcome == Outcome.FAILED and "without validation data" in res.message


def test_a_grader_fault_is_an_error() -> None:
    res = run(crit(), f.not_run("bwrap missing", [f.dense_model("m1", [300])]))
    assert res.outcome == Outcome.ERROR and res.fault is not None and res.fault.message == "bwrap missing"


def test_empty_slot() -> None:
    ctx = GradeContext.build(f.verify(f.evidence([])))
    res = check_metric(crit(), ctx, None, "the big one")
    assert res.outcome == Outcome.FAILED and "no model fills the slot 'the big one'" in res.message


def test_quick_mode_skips() -> None:
    res = run(crit(), f.verify(f.evidence([f.dense_model("m1", [300], val_acc=0.99)])), quick=True)
    assert (res.outcome, res.message, res.credit) == (Outcome.SKIPPED, QUICK_MESSAGE, 0)


@pytest.mark.parametrize("value,credit", [(0.93, 1.0), (0.91, 0.5), (0.89, 0.0)])
def test_tiers(value: float, credit: float) -> None:
    c = crit(partial={"tiers": [{"expect": ">=0.90", "credit": 0.5}]})
    assert run(c, f.verify(f.evidence([f.dense_model("m1", [300], val_acc=value)]))).credit == credit


def test_proportional_between_zero_at_and_threshold() -> None:
    c = crit(expect=">=0.9", partial="proportional", zero_at=0.8)
    res = run(c, f.verify(f.evidence([f.dense_model("m1", [300], val_acc=0.85)])))
    assert res.outcome == Outcome.FAILED and res.credit == pytest.approx(0.5)


def test_regression_error_bound_from_reported_mape() -> None:
    record = f.dense_model("m1", [32], test_acc=None)
    record = record.model_copy(update={"evaluations": [f.EvaluateRecord(index=0, results={"loss": 1.0, "mape": 8.0})]})
    v = f.verify(f.evidence([record])).model_copy(update={"verifications": []})
    c = crit(metric="relative_error", split="test", expect="<=0.12", reported_credit=0.5)
    res = run(c, v)
    assert res.credit == 0.5 and "relative_error 0.0800" in res.message
