"""Artifacts: curves that show a fit's history, confusion matrices, models that reload safely."""

from __future__ import annotations

import evidence_factory as f

from grader.checks.artifacts import check_artifact
from grader.checks.base import Outcome
from grader.checks.context import GradeContext
from grader.evidence.model import AxesInfo, FigureRecord, LineInfo, RunStatus
from grader.rubric.criteria import ArtifactCriterion
from grader.verify.verified import VerificationStatus


def crit(**kw) -> ArtifactCriterion:
    return ArtifactCriterion.model_validate({"id": "a", "artifact": "training_curves", **kw})


def check(c: ArtifactCriterion, verified, slot_model: str | None = None):
    ctx = GradeContext.build(verified)
    return check_artifact(c, ctx, ctx.model(slot_model) if slot_model else None)


def fig(*axes: AxesInfo, suptitle: str = "") -> FigureRecord:
    return FigureRecord(index=0, axes=list(axes), suptitle=suptitle)


def lines(*ys: list[float]) -> AxesInfo:
    return AxesInfo(lines=[LineInfo(points=len(y), y=y) for y in ys])


def test_curves_matching_history() -> None:
    m = f.dense_model("m1", [300])
    res = check(crit(require_history_match=True), f.verify(f.evidence([m], figures=[f.curves(m)])))
    assert res.outcome == Outcome.PASSED


def test_curves_that_do_not_show_history() -> None:
    m = f.dense_model("m1", [300])
    made_up = fig(lines([0.1, 0.2, 0.3], [0.2, 0.3, 0.4]))
    v = f.verify(f.evidence([m], figures=[made_up]))
    assert check(crit(), v).outcome == Outcome.PASSED  # two lines are enough unless a match is required
    res = check(crit(require_history_match=True), v)
    assert res.outcome == Outcome.FAILED and "none shows a fit's recorded" in res.message


def test_one_line_is_not_a_training_and_validation_plot() -> None:
    m = f.dense_model("m1", [300])
    single = fig(lines(m.fits[0].history["accuracy"]))
    assert check(crit(), f.verify(f.evidence([m], figures=[single]))).outcome == Outcome.FAILED


def test_curves_of_the_slot_model_only() -> None:
    a, b = f.dense_model("m1", [300], val_acc=0.9), f.dense_model("m2", [30], val_acc=0.7)
    v = f.verify(f.evidence([a, b], figures=[f.curves(b)]))
    assert check(crit(slot="s", require_history_match=True), v, "m2").outcome == Outcome.PASSED
    assert check(crit(slot="s", require_history_match=True), v, "m1").outcome == Outcome.FAILED


def test_min_count_and_partial() -> None:
    m = f.dense_model("m1", [300])
    v = f.verify(f.evidence([m], figures=[f.curves(m)]))
    res = check(crit(min_count=2, partial="proportional"), v)
    assert res.outcome == Outcome.FAILED and res.credit == 0.5


def test_no_figures_after_a_crash_says_so() -> None:
    res = check(crit(), f.verify(f.evidence([], status=RunStatus.TIMEOUT, message="ran past 3600 s")))
    assert res.outcome == Outcome.FAILED and "ran past 3600 s" in res.message


def test_confusion_matrix_forms() -> None:
    c = crit(artifact="confusion_matrix")
    image = fig(AxesInfo(images=[[10, 10]]))
    titled = fig(AxesInfo(title="Confusion Matrix"))
    heatmap = fig(AxesInfo(xlabel="Predicted label", ylabel="True label"))
    suptitled = fig(AxesInfo(), suptitle="confusion by digit")
    for figure in (image, titled, heatmap, suptitled):
        assert check(c, f.verify(f.evidence([], figures=[figure]))).outcome == Outcome.PASSED
    other = fig(AxesInfo(images=[[28, 28]], title="a digit"))
    assert check(c, f.verify(f.evidence([], figures=[other]))).outcome == Outcome.FAILED


def test_saved_model() -> None:
    c = crit(artifact="saved_model")
    m = f.dense_model("m1", [300])
    assert check(c, f.verify(f.evidence([m]))).outcome == Outcome.PASSED
    res = check(c, f.verify(f.evidence([m]), status={"m1": VerificationStatus.UNSAFE}))
    assert res.outcome == Outcome.FAILED and "safe_mode" in res.message
