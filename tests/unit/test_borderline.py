"""Borderline verdicts: a verified figure whose 95% interval straddles the bar, decided by the rubric's rule.

The figures are built by the verifier's own figure code (grader.verify.figures) from a worker-style response,
so the interval travels the way it does in a real grade.
"""

from __future__ import annotations

import evidence_factory as f
import pytest

from grader.checks.base import Outcome
from grader.checks.context import GradeContext
from grader.checks.metrics import check_metric
from grader.checks.noise import ReviewReason, borderline
from grader.grading.grade import grade
from grader.render.audience import for_audience
from grader.rubric.criteria import MetricCriterion
from grader.rubric.ranges import Range
from grader.verify.figures import model_figures
from grader.verify.intervals import wilson
from grader.verify.verified import FigureStatus, ModelVerification, VerificationStatus, VerifiedEvidence

N = 10_000


def crit(**kw) -> MetricCriterion:
    return MetricCriterion.model_validate({"id": "m", "metric": "accuracy", "split": "test", "expect": ">0.92", **kw})


def measured_evidence(test_acc: float, *, n: int = N, overlap: int | None = None,
                      reported: float | None = None) -> VerifiedEvidence:
    """A model the grader re-measured at ``test_acc`` over ``n`` test rows (worker response shape)."""
    model = f.dense_model("m1", [300], val_acc=0.9)
    if reported is not None:
        from grader.evidence.model import EvaluateRecord

        model = model.model_copy(update={"evaluations": [EvaluateRecord(index=0, results={"accuracy": reported})]})
    resp = {"metrics": {"test": {"accuracy": test_acc}}, "n": {"test": n}, "eval_matches_test": [True]}
    if overlap is not None:
        resp["test_overlap"] = overlap
    ver = ModelVerification(model_id="m1", status=VerificationStatus.VERIFIED,
                            figures=model_figures(model, model.fits[-1], resp), test_overlap=overlap, test_rows=n,
                            trained_on_test=bool(overlap))
    return VerifiedEvidence(evidence=f.evidence([model]), verifications=[ver])


def check(c: MetricCriterion, ev: VerifiedEvidence, reported_credit: float = 0.0):
    ctx = GradeContext.build(ev, quick=False, reported_credit=reported_credit)
    return check_metric(c, ctx, ctx.model("m1"), "the slot")


# -- the rule itself, at and around the bar -------------------------------------------------------------------

@pytest.mark.parametrize("value, straddles", [
    (0.9000, False), (0.9140, False), (0.9150, True), (0.9187, True), (0.9200, True),
    (0.9240, True), (0.9255, False), (0.9300, False),
])
def test_borderline_exactly_when_the_interval_holds_the_bar(value: float, straddles: bool) -> None:
    interval = wilson(value, N)
    assert (interval.low <= 0.92 <= interval.high) == straddles  # the table is about the interval, not the rule
    edge = borderline(value, interval, Range.model_validate(">0.92"), "review")
    assert (edge is not None) == straddles
    if edge is not None:
        assert edge.bar == 0.92 and edge.judged_at == value and edge.measured_holds == (value > 0.92)


def test_pass_and_fail_judge_at_the_interval_s_ends() -> None:
    interval = wilson(0.9187, N)
    bar = Range.model_validate(">0.92")
    assert borderline(0.9187, interval, bar, "pass").judged_at == interval.high
    assert borderline(0.9187, interval, bar, "fail").judged_at == interval.low
    upper = Range.model_validate("<0.92")  # an error-like bar: lower is better
    assert borderline(0.9187, interval, upper, "pass").judged_at == interval.low
    assert borderline(0.9187, interval, upper, "fail").judged_at == interval.high


def test_a_two_sided_range_uses_whichever_edge_lies_inside() -> None:
    span = Range.model_validate("0.80..0.92")
    assert borderline(0.9187, wilson(0.9187, N), span, "review").bar == 0.92
    assert borderline(0.8010, wilson(0.8010, N), span, "review").bar == 0.80
    assert borderline(0.8600, wilson(0.8600, N), span, "review") is None


# -- the metric check ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, outcome", [(0.9187, Outcome.FAILED), (0.9213, Outcome.PASSED)])
def test_review_keeps_the_measured_verdict_and_flags_it(value: float, outcome: Outcome) -> None:
    res = check(crit(), measured_evidence(value))
    assert res.outcome == outcome and res.figure_status == FigureStatus.VERIFIED
    assert res.borderline is not None and res.borderline.rule == "review"
    assert res.review == (ReviewReason.BORDERLINE,)
    assert f"{value:.4f}, 95% interval" in res.message and "over 10,000 test examples: within noise of" in res.message


def test_pass_rule_passes_a_figure_just_below_the_bar() -> None:
    res = check(crit(borderline="pass"), measured_evidence(0.9187))
    assert res.outcome == Outcome.PASSED and res.credit == 1.0 and res.review == ()
    assert res.borderline is not None and not res.borderline.measured_holds


def test_fail_rule_fails_a_figure_just_above_the_bar_with_the_credit_of_its_low_end() -> None:
    res = check(crit(borderline="fail"), measured_evidence(0.9213))
    assert res.outcome == Outcome.FAILED and res.credit == 0.0
    partial = check(crit(borderline="fail", partial="proportional", zero_at=0.82), measured_evidence(0.9213))
    low = partial.borderline.interval.low
    assert partial.outcome == Outcome.FAILED and partial.credit == pytest.approx((low - 0.82) / (0.92 - 0.82))


@pytest.mark.parametrize("rule", ["review", "pass", "fail"])
def test_outside_the_noise_the_rule_changes_nothing(rule: str) -> None:
    clear_pass = check(crit(borderline=rule), measured_evidence(0.9400))
    clear_fail = check(crit(borderline=rule), measured_evidence(0.9000))
    assert clear_pass.outcome == Outcome.PASSED and clear_fail.outcome == Outcome.FAILED
    assert clear_pass.borderline is None and clear_fail.borderline is None and clear_pass.review == ()
    assert "95% interval 0.9352-0.9445 over 10,000 test examples" in clear_pass.message


def test_fewer_examples_make_a_wider_noise_band() -> None:
    # 0.93 is clear of 0.92 over 10,000 images, but not over 500.
    assert check(crit(), measured_evidence(0.93, n=10_000)).borderline is None
    assert check(crit(), measured_evidence(0.93, n=500)).borderline is not None


def test_a_figure_only_reported_has_no_interval_and_is_never_borderline() -> None:
    ev = measured_evidence(0.9187)
    unsafe = ev.model_copy(update={"verifications": [
        ModelVerification(model_id="m1", status=VerificationStatus.UNSAFE,
                          figures=model_figures(ev.evidence.models[0], ev.evidence.models[0].fits[-1], {}))]})
    res = check(crit(split="validation"), unsafe, reported_credit=1.0)
    assert res.figure_status == FigureStatus.REPORTED and res.borderline is None


def test_a_derived_metric_carries_its_interval_through_the_transform() -> None:
    model = f.dense_model("m1", [300], val_acc=0.9)
    rows = {"error": [0.1 * ((i % 7) - 3) for i in range(400)], "target": [1.0 + i % 5 for i in range(400)],
            "affine": [1.0, 0.0]}
    mse = sum(e * e for e in rows["error"]) / 400
    resp = {"metrics": {"test": {"mse": mse}}, "rows": {"test": rows}}
    figs = model_figures(model, model.fits[-1], resp)
    ver = ModelVerification(model_id="m1", status=VerificationStatus.VERIFIED, figures=figs)
    ev = VerifiedEvidence(evidence=f.evidence([model]), verifications=[ver])
    mse_fig = next(x for x in figs if x.name == "mse")
    rmse = mse ** 0.5
    res = check(MetricCriterion.model_validate({"id": "r", "metric": "rmse", "split": "test",
                                                 "expect": f"<{rmse:.6f}"}), ev)
    assert res.borderline is not None
    assert res.borderline.interval.low == pytest.approx(mse_fig.interval.low ** 0.5)
    assert res.borderline.interval.method == "bootstrap"


# -- trained on test: the figure is not verified --------------------------------------------------------------

def test_overlap_with_the_test_split_makes_the_test_figure_reported_and_flags_it() -> None:
    res = check(crit(), measured_evidence(0.99, overlap=100), reported_credit=0.5)
    assert res.figure_status == FigureStatus.REPORTED and res.outcome == Outcome.FAILED and res.credit == 0.5
    assert ReviewReason.TRAINED_ON_TEST in res.review and res.borderline is None
    assert "trained on 100 of the 10,000 test rows" in res.message
    clean = check(crit(), measured_evidence(0.99, overlap=0))
    assert clean.figure_status == FigureStatus.VERIFIED and clean.outcome == Outcome.PASSED and clean.review == ()


# -- through the grade and the audience ------------------------------------------------------------------------

def test_the_grade_carries_the_typed_borderline_and_its_review_reason() -> None:
    from grader.rubric.loader import parse_rubric

    rubric = parse_rubric(
        "id: t\ntitle: T\nversion: '1'\nslots:\n  - id: one\n    title: One\n    match: {hidden_layers: '==1'}\n    metrics:\n"
        "      - {id: acc, metric: accuracy, split: test, expect: '>0.92'}\n"
        "      - {id: acc.hidden, metric: accuracy, split: test, expect: '>0.92', hidden: true}\n")
    result = grade(measured_evidence(0.9187), rubric)
    acc = result.criterion("acc")
    assert acc.borderline is not None and acc.borderline.bar == 0.92 and acc.review_reasons == (ReviewReason.BORDERLINE,)
    assert [c.id for c in result.flagged_criteria] == ["acc", "acc.hidden"]
    student = for_audience(result, "student")
    assert student.criterion("acc").borderline == acc.borderline  # a student may see that a verdict is noisy
    concealed = next(c for c in student.criteria if c.concealed)
    assert concealed.borderline is None and concealed.review_reasons == ()


# -- what the outputs show -------------------------------------------------------------------------------------

def _graded(value: float, rule: str = "review"):
    from grader.rubric.loader import parse_rubric

    rubric = parse_rubric(
        "id: t\ntitle: T\nversion: '1'\nslots:\n  - id: one\n    title: One\n    match: {hidden_layers: '==1'}\n"
        f"    metrics:\n      - {{id: acc, metric: accuracy, split: test, expect: '>0.92', borderline: {rule}}}\n"
        "      - {id: params, metric: loss, split: test, expect: '<5'}\n")
    return grade(measured_evidence(value), rubric)


def test_reports_say_a_borderline_pass_is_flagged_and_why() -> None:
    from grader.render.html.report import render_report
    from grader.render.terminal import render_summary

    flagged, clear = _graded(0.9213), _graded(0.9400)
    text = render_summary(flagged)
    assert "0.9213, 95% interval 0.9159-0.9264 over 10,000 test examples: within noise of 0.92" in text
    assert "flagged for review: the figure is within noise of the bar (95% interval 0.9159-0.9264 holds 0.92)" in text
    assert "flagged for review" not in render_summary(clear)
    assert "Flagged for review:</strong> the figure is within noise of the bar" in render_report(flagged)
    assert "Flagged for review" not in render_report(clear)
    ruled = render_summary(_graded(0.9187, "pass"), verbose=True)
    assert "counts a figure within noise of the bar as passing" in ruled and "flagged for review" not in ruled


def test_the_class_page_counts_borderline_students_per_threshold() -> None:
    from grader.render.html.class_page import criterion_stats, render_class_summary

    results = [_graded(v) for v in (0.9187, 0.9213, 0.9400, 0.9000, 0.9199)]
    stats = {s.id: s for s in criterion_stats(results)}
    assert stats["acc"].threshold and stats["acc"].borderline == 3
    assert not stats["one"].threshold  # a slot criterion has no figure, so no borderline count
    page = render_class_summary(results, names=[f"s{i}" for i in range(5)])
    assert '<td data-label="Borderline" class="num">3</td>' in page
