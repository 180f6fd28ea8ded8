"""The class page's review queue (each flagged student and why) and the runs that failed, grouped by root cause.

Two students whose notebooks read a Drive file the grader does not have failed the same way, whatever the
file's name: one group of two, attributed to the environment. A student whose own code broke is a group of
its own and asks for no review. Pure: results graded from evidence built in Python.
"""

from __future__ import annotations

from pathlib import Path

import evidence_factory as f
import pytest
from test_report_html import Page
from test_review_flags import data_note, failed_run, rubric

from grader.checks.noise import ReviewReason
from grader.evidence.model import CellError
from grader.grading.grade import grade
from grader.grading.review import cause_shape, group_root_causes, root_cause
from grader.render.audience import for_audience_all
from grader.render.html.class_page import render_class_summary, review_queue

NAMES = ["alice", "bob", "carol", "dan"]


def drive_failure(path: str):
    note = data_note().model_copy(update={"detail": f"could not read {path}: it is not in the sandbox and no "
                                                    "file named like it is served", "subjects": [path]})
    err = CellError(cell_index=2, ename="FileNotFoundError", evalue=f"[Errno 2] No such file or directory: '{path}'")
    return grade(failed_run(notes=[note], error=err), rubric(reported_credit=0.5))


@pytest.fixture(scope="module")
def results() -> list:
    clean = grade(f.verify(f.evidence([f.dense_model("m1", [32], val_acc=0.95)])), rubric())
    own = grade(failed_run(error=CellError(cell_index=3, ename="ValueError", evalue="logits and labels must have "
                                                                                  "the same shape ((None, 10) vs (None, 1))")),
                rubric())
    return [clean, drive_failure("/content/drive/MyDrive/mnist_train.csv"),
            drive_failure("/content/drive/My Drive/data/train-2.csv"), own]


def test_a_cause_shape_masks_paths_quoted_names_and_numbers_only() -> None:
    assert cause_shape("could not read /content/drive/a.csv: row 3 of 'x_train'") == \
        "could not read <path>: row <n> of <name>"
    assert cause_shape("import visualkeras failed") == "import visualkeras failed"


def test_runs_that_failed_the_same_way_are_one_group_with_its_count(results: list) -> None:
    assert root_cause(results[0].evidence.evidence) is None  # ran cleanly
    groups = group_root_causes(results, NAMES)
    assert [(g.count, g.environment, g.submissions) for g in groups] == [
        (2, True, ["bob", "carol"]), (1, False, ["dan"])]
    assert groups[0].example.startswith("could not read /content/drive/MyDrive/mnist_train.csv")
    assert groups[1].example.startswith("ValueError: logits and labels")


def test_the_review_queue_lists_each_flagged_student_with_the_reasons(results: list) -> None:
    queue = review_queue(results, NAMES)
    assert [e.name for e in queue] == ["bob", "carol"]  # alice ran cleanly, dan's own code broke: nothing to review
    reasons = [r for r, _ in queue[0].flags]
    assert reasons == [ReviewReason.REPORTED_ONLY.value, ReviewReason.ENVIRONMENT.value]


def test_the_class_page_shows_the_queue_and_the_root_causes(results: list) -> None:
    html = render_class_summary(results, names=NAMES)
    page = Page(html)
    assert 'id="review-queue"' in html and 'href="#review-queue"' in html
    flagged = [li["data-reason"] for li in page.all("li") if "data-reason" in li]
    assert flagged == ["reported_only", "environment"] * 2
    assert [li["data-count"] for li in page.all("li") if "data-count" in li] == ["2", "1"]
    assert "Review queue" in page.visible and "By root cause" in page.visible
    assert "(the grading environment)" in html and "bob, carol" in html


def test_a_class_with_nothing_to_review_has_no_queue() -> None:
    clean = grade(f.verify(f.evidence([f.dense_model("m1", [32], val_acc=0.95)])), rubric())
    html = render_class_summary([clean], names=["alice"])
    assert "review-queue" not in html and "root-causes" not in html


def test_the_student_copies_keep_run_flags_and_drop_nothing_the_queue_needs(results: list) -> None:
    copies = for_audience_all(results, "student")
    assert [len(r.review) for r in copies] == [len(r.review) for r in results]  # no hidden criteria here
    assert [e.name for e in review_queue(copies, NAMES)] == ["bob", "carol"]


def test_the_terminal_summary_names_the_queue_and_the_root_causes(results: list, tmp_path: Path) -> None:
    from grader.intake.discovery import Student
    from grader.pipeline.classgrade import ClassResult, StudentResult
    from grader.render.class_summary import class_summary

    graded = ClassResult([StudentResult(Student(name=n, root=tmp_path, entries=(f"{n}.ipynb",)), "k", r, "ran")
                          for n, r in zip(NAMES, results)])
    text = class_summary(graded)
    assert "review queue: 2 submission(s) ask for a look: bob (reported_only, environment), carol " in text
    assert "did not run cleanly, by root cause:" in text
    assert "  2 x could not read /content/drive/MyDrive/mnist_train.csv" in text and "[environment]" in text
