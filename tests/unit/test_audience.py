"""The audience is applied once, to the result: the student's copy withholds hidden criteria and the
grader's notes, keeps every total, and no renderer can show what the copy does not hold."""

from __future__ import annotations

from pathlib import Path

import pytest
import test_report_samples as s
from click.testing import CliRunner

from grader.cli.report import report_command
from grader.faults import Culprit, Fault, Phase
from grader.grading.result import GradeResult
from grader.render.audience import (
    DEFAULT_AUDIENCE, HIDDEN_TITLE, Audience, audience_of, for_audience, for_audience_all,
)
from grader.render.exports.json import load_results, render_json
from grader.render.html.report import render_report


def test_the_instructors_copy_is_the_result() -> None:
    r = s.failing_result()
    assert for_audience(r, Audience.INSTRUCTOR) is r and for_audience(r, "instructor") is r


def test_the_students_copy_conceals_hidden_criteria_and_keeps_every_total() -> None:
    r = s.failing_result()
    red = for_audience(r, Audience.STUDENT)
    hidden = [c for c in r.criteria if c.hidden]
    concealed = [c for c in red.criteria if c.concealed]
    assert len(hidden) == 2 and [c.id for c in concealed] == ["hidden-1", "hidden-2"]
    for before, after in zip(hidden, concealed):
        assert after.title == HIDDEN_TITLE and after.hidden and after.outcome == before.outcome
        assert (after.message, after.feedback, after.detail, after.points, after.max_points) == ("", "", "", 0, 0)
        assert after.check == "hidden" and after.model_id is after.slot is after.figure_status is None
        assert after.part == before.part and after.bonus == before.bonus
    # what the student sees anyway stays: the totals, the counts, the other criteria (less the notes)
    for field in ("score", "max_score", "percent", "status", "outcome_counts", "parts", "evidence", "quick"):
        assert getattr(red, field) == getattr(r, field), field
    shown = [c for c in r.criteria if not c.hidden]
    assert [c.model_copy(update={"detail": "", "true_value": None}) for c in shown] == \
           [c for c in red.criteria if not c.concealed]


def test_the_students_copy_drops_the_graders_notes() -> None:
    r = s.small_result()
    question = r.criterion("report.params")
    assert question.detail or question.true_value  # the sample's question carries the true value
    r = r.model_copy(update={"rubric": r.rubric.model_copy(update={"path": "/home/prof/course/secret.yaml"})})
    red = for_audience(r, "student")
    assert all(not c.detail and c.true_value is None for c in red.criteria)
    assert red.rubric.path is None and red.rubric.sha256 == r.rubric.sha256


def test_a_student_copy_stays_one() -> None:
    red = for_audience(s.failing_result(), "student")
    assert for_audience(red, "student") == red and for_audience(red, "instructor") is red
    stored = GradeResult.model_validate_json(render_json(red))  # as `grader report` reads it back
    assert stored == red and for_audience(stored, "student") == red


def test_a_hidden_slot_takes_its_assignment_and_the_reasons_naming_it_along() -> None:
    r = s.hidden(s.small_result(), "net")
    assert any(sl.slot == "net" for sl in r.slots)
    red = for_audience(r, "student")
    assert not any(sl.slot == "net" for sl in red.slots)
    assert all("net" not in u.reasons for u in red.unassigned)


def test_faults_about_hidden_criteria_go_and_tracebacks_are_for_instructors() -> None:
    r = s.failing_result()
    secret = next(c for c in r.criteria if c.hidden)
    faults = (Fault(phase=Phase.CHECK, culprit=Culprit.RUBRIC, kind="ValueError", message="secret check broke",
                    detail="Traceback: secret", subject=secret.id),
              Fault(phase=Phase.VERIFY, culprit=Culprit.STUDENT, kind="load", message="m2 does not load",
                    detail="Traceback: keras", subject="m2"))
    red = for_audience(r.model_copy(update={"faults": faults}), "student")
    assert [(f.subject, f.message, f.detail) for f in red.faults] == [("m2", "m2 does not load", "")]


def test_audiences_are_named_exactly() -> None:
    assert audience_of("student") is Audience.STUDENT and audience_of(Audience.INSTRUCTOR) is Audience.INSTRUCTOR
    assert DEFAULT_AUDIENCE is Audience.STUDENT  # an output whose audience nobody chose must not leak
    with pytest.raises(ValueError, match="audience must be one of student, instructor"):
        for_audience(s.small_result(), "everyone")
    assert len(for_audience_all(s.class_results(), "student")) == 5


def test_html_shows_only_what_the_copy_holds() -> None:
    r = s.failing_result()
    title = next(c.title for c in r.criteria if c.hidden)
    student, instructor = render_report(for_audience(r, "student")), render_report(r)
    assert title not in student and "2 hidden criteria withheld" in student
    assert title in instructor and "withheld" not in instructor
    assert "Hidden until grades are released" in student and student.count("badge b-hidden") == 2


def test_report_for_students_leaks_no_hidden_title_into_the_class_page(tmp_path: Path) -> None:
    """The issue's defect: `grader report --audience student` wrote a hidden title into index.html."""
    results = [s.hidden(r, "general.loss", "three.best.test") for r in s.class_results()]
    hidden_titles = {c.title for r in results for c in r.criteria if c.hidden}
    assert len(hidden_titles) == 3  # and erin's small rubric has its own hidden rule
    stored = tmp_path / "stored"
    stored.mkdir()
    for r in results:
        (stored / f"{Path(r.submission.path).parent.name}.json").write_text(render_json(r), encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(report_command, [str(stored), "--out", str(out), "--audience", "student",
                                              "--format", "html,csv,json,junit,gradescope,md"])
    assert res.exit_code == 0, res.output
    files = [p for p in out.rglob("*") if p.is_file()]
    assert (out / "index.html") in files and len(files) > 10
    for p in files:
        text = p.read_text(encoding="utf-8-sig")
        assert not [t for t in hidden_titles if t in text], p
    bob = load_results(out / "results" / "bob.json")[0]
    assert [c.concealed for c in bob.criteria if c.hidden] == [True, True]


def test_check_prints_and_writes_only_the_students_copy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`grader check` is the student's command: its summary, --json, reports and JUnit conceal alike."""
    import evidence_factory as f
    from test_report_cli import fake_run

    from grader.cli.check import check_command

    rubric = tmp_path / "small.yaml"
    rubric.write_text(s.SMALL_RUBRIC, encoding="utf-8")
    sub = tmp_path / "hw.ipynb"
    sub.write_text("{}")
    m = f.dense_model("m1", [50], val_acc=0.95, test_acc=0.95, name="small", optimizer="Adam")
    fake_run(monkeypatch, f.verify(f.evidence([m], markdown="It has 39,760 trainable parameters.")))
    secrets = ("Secret rule", "A secret hint", "build.secret")
    out, junit = tmp_path / "out", tmp_path / "junit.xml"
    runner = CliRunner()
    res = runner.invoke(check_command, [str(sub), "--rubric", str(rubric), "--out", str(out), "--junit", str(junit),
                                        "--format", "html,csv,json,junit,gradescope,md,text"])
    assert res.exit_code == 1, res.output  # build.sgd and the hidden build.secret failed (adam, not sgd)
    assert "Hidden criterion" in res.output and not [x for x in secrets if x in res.output]
    written = [p for p in out.rglob("*") if p.is_file()] + [junit]
    assert len(written) >= 7
    for p in written:
        assert not [x for x in secrets if x in p.read_text(encoding="utf-8-sig")], p
    as_json = runner.invoke(check_command, [str(sub), "--rubric", str(rubric), "--json"]).output
    assert '"concealed": true' in as_json and not [x for x in secrets if x in as_json]
