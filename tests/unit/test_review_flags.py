"""Result-level review flags, and reported credit for what the grading machine could not re-run.

A notebook whose re-run failed for want of what the student's machine had (a data file, weights, a package,
an API Keras 3 removed) has its stored figures graded as *reported*: at most the rubric's reported_credit,
and flagged. The same stored figures earn nothing when the student's own code broke. Pure: evidence built
in Python, the real-world corpus rubric.
"""

from __future__ import annotations

from pathlib import Path

import evidence_factory as f
import pytest

from grader.checks.base import Outcome
from grader.checks.environment import behaviour_adaptations, environment_causes
from grader.checks.noise import ReviewReason
from grader.evidence.model import CellError, Diagnosis, NoteTopic, RunNote, RunStatus
from grader.evidence.reported import (
    NotebookRecord, ReportedCell, ReportedEpoch, ReportedEvaluate, ReportedFit, ReportedRun,
)
from grader.grading.grade import grade
from grader.grading.result import GradeResult
from grader.render.audience import for_audience
from grader.rubric.loader import load_rubric, parse_rubric
from grader.verify.verified import FigureStatus

CORPUS_RUBRIC = Path(__file__).resolve().parents[1] / "corpus" / "realworld" / "realworld-corpus.yaml"
MISSING_CSV = "/content/drive/MyDrive/mnist_train.csv"


def rubric(reported_credit: float | None = None):
    if reported_credit is None:
        return load_rubric(CORPUS_RUBRIC)
    text = CORPUS_RUBRIC.read_text() + f"\nreported_credit: {reported_credit}\n"
    return parse_rubric(text, file=str(CORPUS_RUBRIC), rubric_dir=CORPUS_RUBRIC.parent)


def stored(test_acc: float = 0.9712, val_acc: float = 0.9655) -> NotebookRecord:
    """The student's own run as their notebook stored it: a fit log and an evaluate bar, in cells the re-run
    never reached (so attached to no model of the re-run)."""
    fit = ReportedFit(cell_index=4, format="keras2", epochs_requested=2, epochs=[
        ReportedEpoch(epoch=1, metrics={"loss": 0.31, "accuracy": 0.91, "val_loss": 0.2, "val_accuracy": 0.95}),
        ReportedEpoch(epoch=2, metrics={"loss": 0.15, "accuracy": 0.96, "val_loss": 0.12, "val_accuracy": val_acc})])
    ev = ReportedEvaluate(cell_index=5, metrics={"loss": 0.1, "accuracy": test_acc})
    return NotebookRecord(stored=ReportedRun(cells=[ReportedCell(cell_index=4, fits=[fit]),
                                                     ReportedCell(cell_index=5, evaluations=[ev])]))


def failed_run(*, notes: list[RunNote] = (), diagnoses: list[Diagnosis] = (), record: NotebookRecord | None = None,
               error: CellError | None = None):
    """A notebook whose cell 2 failed and built no model."""
    ev = f.evidence([], status=RunStatus.COMPLETED_WITH_ERRORS, message="a cell raised an error")
    err = error or CellError(cell_index=2, ename="FileNotFoundError",
                             evalue=f"[Errno 2] No such file or directory: '{MISSING_CSV}'")
    ev = ev.model_copy(update={"run": ev.run.model_copy(update={"cell_errors": [err]}), "run_notes": list(notes),
                               "diagnoses": list(diagnoses), "notebook": record if record is not None else stored()})
    return f.verify(ev)


def data_note(**kw) -> RunNote:
    return RunNote(kind="failed", topic=NoteTopic.ADAPTATION, cell_index=2, line=3, caused_error=True,
                   detail=f"could not read {MISSING_CSV}: the grader would make MNIST in CSV from its copy, but "
                          "this exercise does not serve it", subjects=[MISSING_CSV], **kw)


def by_id(result: GradeResult) -> dict:
    return {c.id: c for c in result.criteria}


def test_a_stored_figure_stands_in_at_the_rubrics_reported_credit_when_the_data_was_not_there() -> None:
    result = grade(failed_run(notes=[data_note()]), rubric(reported_credit=0.5))
    test = by_id(result)["net.test"]
    assert test.figure_status is FigureStatus.REPORTED
    assert test.outcome is Outcome.FAILED and test.points == pytest.approx(2.0)  # half of 4, not 0, not 4
    assert "stored output shows test accuracy 0.9712" in test.message and MISSING_CSV in test.message
    assert test.review_reasons == (ReviewReason.REPORTED_ONLY,)
    reasons = [(fl.reason, fl.criterion_id) for fl in result.review]
    assert (ReviewReason.REPORTED_ONLY, "net.test") in reasons and (ReviewReason.ENVIRONMENT, None) in reasons
    assert result.needs_review and [c.id for c in result.flagged_criteria] == ["net.test"]
    # Only metric criteria take the student's figures: the slot itself is still empty, at no credit.
    assert by_id(result)["net"].outcome is Outcome.FAILED and by_id(result)["net"].points == 0


def test_full_reported_credit_passes_and_a_stored_figure_below_the_bar_earns_nothing() -> None:
    full = by_id(grade(failed_run(notes=[data_note()]), rubric(reported_credit=1.0)))["net.test"]
    assert full.outcome is Outcome.PASSED and full.points == 4
    low = by_id(grade(failed_run(notes=[data_note()], record=stored(test_acc=0.41)), rubric(1.0)))["net.test"]
    assert low.outcome is Outcome.FAILED and low.points == 0
    assert low.review_reasons == (ReviewReason.REPORTED_ONLY,)  # still said, and flagged: not a silent 0


def test_the_rubrics_default_reported_credit_of_zero_still_says_what_the_notebook_showed() -> None:
    test = by_id(grade(failed_run(notes=[data_note()]), rubric()))["net.test"]
    assert test.points == 0 and test.figure_status is FigureStatus.REPORTED
    assert "at most 0 of the points" in test.message and test.review_reasons == (ReviewReason.REPORTED_ONLY,)


def test_an_api_keras_3_removed_is_the_environment_too() -> None:
    idiom = Diagnosis(idiom="np-utils", title="from keras.utils import np_utils", fix="use keras.utils.to_categorical",
                      cell_index=2, line=1, caused_error=True)
    err = CellError(cell_index=2, ename="ImportError", evalue="cannot import name 'np_utils' from 'keras.utils'")
    verified = failed_run(diagnoses=[idiom], error=err)
    (cause,) = environment_causes(verified.evidence)
    assert cause.source == "diagnosis" and cause.cell_index == 2
    result = grade(verified, rubric(reported_credit=1.0))
    assert by_id(result)["net.test"].outcome is Outcome.PASSED
    assert [fl.reason for fl in result.review if fl.criterion_id is None] == [ReviewReason.ENVIRONMENT]


def test_the_students_own_failure_never_borrows_the_stored_figures() -> None:
    own = CellError(cell_index=2, ename="ValueError", evalue="Shapes (None, 10) and (None, 1) are incompatible")
    not_linked = data_note().model_copy(update={"caused_error": False})  # a note that explains no error
    for verified in (failed_run(error=own), failed_run(error=own, notes=[not_linked])):
        result = grade(verified, rubric(reported_credit=1.0))
        test = by_id(result)["net.test"]
        assert test.outcome is Outcome.FAILED and test.points == 0 and test.figure_status is None
        assert test.review_reasons == () and not result.needs_review and result.review == ()


def test_several_empty_slots_do_not_share_one_unattached_log() -> None:
    two_slots = CORPUS_RUBRIC.read_text().replace("slots:\n", """slots:
  - id: other
    title: A second classifier
    points: 1
    match:
      output_units: "==2"
    metrics:
      - id: other.test
        metric: accuracy
        split: test
        expect: ">0.5"
        points: 1
""") + "\nreported_credit: 1\n"
    result = grade(failed_run(notes=[data_note()]), parse_rubric(two_slots, file="two.yaml"))
    assert {cid: c.figure_status for cid, c in by_id(result).items() if cid.endswith(".test")} == {
        "other.test": None, "net.test": None}  # whose log it was cannot be told: nothing is guessed
    assert ReviewReason.ENVIRONMENT in {fl.reason for fl in result.review}  # the failure is still flagged


def test_adaptations_that_change_what_ran_are_flagged_and_inert_ones_are_not() -> None:
    notes = [
        RunNote(kind="provided", topic=NoteTopic.ADAPTATION, cell_index=1, line=2,
                detail="keras.layers.InputLayer served from keras.layers (Keras 3 moved it)",
                subjects=["keras.models.InputLayer"]),
        RunNote(kind="skipped", topic=NoteTopic.ADAPTATION, cell_index=0, line=1,
                detail="this notebook assumes a GPU; the grader has none: `nvidia-smi` had no effect"),
        RunNote(kind="provided", topic=NoteTopic.ADAPTATION, cell_index=3, line=1,
                detail="import visualkeras: a stand-in that draws nothing", subjects=["visualkeras"]),
        RunNote(kind="provided", topic=NoteTopic.PATH, cell_index=2, detail="read data.csv as the grader's copy"),
    ]
    ev = f.evidence([f.dense_model("m1", [32])]).model_copy(update={"run_notes": notes})
    assert behaviour_adaptations(ev) == ["cell 1, line 2: keras.layers.InputLayer served from keras.layers "
                                         "(Keras 3 moved it)"]
    result = grade(f.verify(ev), rubric())
    run_flags = [fl for fl in result.review if fl.criterion_id is None]
    assert [fl.reason for fl in run_flags] == [ReviewReason.ADAPTATION]
    assert "InputLayer" in run_flags[0].detail


def test_a_figure_only_the_submission_reported_is_flagged_on_the_result() -> None:
    from grader.verify.verified import VerificationStatus

    m = f.dense_model("m1", [32], val_acc=0.95)
    m = m.model_copy(update={"evaluations": [f.EvaluateRecord(index=0, results={"loss": 0.2, "accuracy": 0.95})]})
    verified = f.verify(f.evidence([m]), status={"m1": VerificationStatus.NOT_SAVED})
    result = grade(verified, rubric(reported_credit=1.0))
    test = by_id(result)["net.test"]
    assert test.figure_status is FigureStatus.REPORTED and test.review_reasons == ()
    assert [(fl.reason, fl.criterion_id) for fl in result.review] == [(ReviewReason.REPORTED_ONLY, "net.test")]


def test_a_clean_verified_run_asks_for_nothing() -> None:
    result = grade(f.verify(f.evidence([f.dense_model("m1", [32], val_acc=0.95)])), rubric())
    assert result.review == () and not result.needs_review and result.flagged_criteria == []


def test_the_students_copy_drops_flags_of_hidden_criteria_and_the_instructors_keeps_all() -> None:
    hidden = CORPUS_RUBRIC.read_text().replace("        expect: \">0.7\"\n",
                                               "        expect: \">0.7\"\n        hidden: true\n")
    r = parse_rubric(hidden + "\nreported_credit: 0.5\n", file="hidden.yaml")
    result = grade(failed_run(notes=[data_note()]), r)
    assert {fl.criterion_id for fl in result.review} == {"net.test", None}
    student = for_audience(result, "student")
    assert [(fl.reason, fl.criterion_id) for fl in student.review] == [(ReviewReason.ENVIRONMENT, None)]
    assert for_audience(result, "instructor").review == result.review


def test_review_flags_survive_the_json_round_trip() -> None:
    result = grade(failed_run(notes=[data_note()]), rubric(reported_credit=0.5))
    again = GradeResult.model_validate_json(result.model_dump_json())
    assert again.review == result.review and again.needs_review
