"""Grade history: every change of a student's grade kept with its reason, once, through the class pipeline (with
an executor that fakes runs), `grader history`, and the report's history section."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from test_store import RUBRIC, RUBRIC_V2, FakeExecutor, klass, run  # noqa: F401 - klass is a fixture

from grader.checks.base import Outcome
from grader.checks.noise import ReviewReason
from grader.cli.app import main
from grader.errors import ExitCode
from grader.pipeline.store import Key, ResultsStore
from grader.render.html.report import render_report
from grader.review.history_text import history_lines
from grader.review.model import HistoryReason
from grader.review.record import record_grade, record_override

RUBRIC_SGD_4 = RUBRIC.replace("points: 2", "points: 4")  # the one criterion redefined


def reasons(store_path: Path, student: str) -> list[tuple[str, float | None, float]]:
    with ResultsStore(store_path) as db:
        return [(e.reason.value, e.old_score, e.new_score) for e in db.history(student)]


def test_first_grade_then_nothing_new_is_one_entry(klass: Path, tmp_path: Path) -> None:
    run(klass, tmp_path)
    run(klass, tmp_path)  # cached: the same grade, no change to record
    assert reasons(tmp_path / "r.sqlite", "ann") == [("new_submission", None, 2.0)]


def test_a_new_submission_and_a_rubric_change_are_recorded_with_their_reason(klass: Path, tmp_path: Path) -> None:
    run(klass, tmp_path)
    graded, _ = run(klass, tmp_path, rubric=RUBRIC_V2)
    (klass / "ann.py").write_text("print('ann v2')\n")
    run(klass, tmp_path, rubric=RUBRIC_V2)
    with ResultsStore(tmp_path / "r.sqlite") as db:
        entries = db.history("ann")
    assert [e.reason for e in entries] == [HistoryReason.NEW_SUBMISSION, HistoryReason.RUBRIC_CHANGE,
                                           HistoryReason.NEW_SUBMISSION]
    assert [e.max_score for e in entries] == [2.0, 5.0, 5.0]
    assert entries[1].rubric != entries[0].rubric and entries[2].submission != entries[1].submission
    assert graded.results[0].result.history[-1].reason is HistoryReason.RUBRIC_CHANGE  # the report gets it


def test_an_override_survives_regrades_and_is_flagged_when_its_criterion_changes(klass: Path, tmp_path: Path) -> None:
    run(klass, tmp_path)
    with ResultsStore(tmp_path / "r.sqlite") as db:
        record_override(db, "cy_adam", "sgd", reviewer="ta-jane", comment="RMSprop was allowed", outcome="passed")
    graded, ex = run(klass, tmp_path)  # cached grade; override re-applied
    cy = {r.student.name: r.result for r in graded.results}["cy_adam"]
    assert ex.ran == [] and cy.score == 2.0 and cy.criterion("sgd").override.applied
    out = tmp_path / "out"
    assert "RMSprop was allowed" in (out / "results" / "cy_adam.json").read_text()
    assert ",2" in next(line for line in (out / "gradebook.csv").read_text().splitlines() if "cy_adam" in line)
    graded, _ = run(klass, tmp_path, rubric=RUBRIC_V2)  # another criterion added: sgd unchanged, still applied
    cy = {r.student.name: r.result for r in graded.results}["cy_adam"]
    assert cy.criterion("sgd").override.applied and cy.score == 5.0  # 2 (override) + 3 (the new loss criterion)
    graded, _ = run(klass, tmp_path, rubric=RUBRIC_SGD_4)  # sgd itself redefined: kept, not applied, flagged
    cy = {r.student.name: r.result for r in graded.results}["cy_adam"]
    c = cy.criterion("sgd")
    assert not c.override.applied and c.outcome is Outcome.FAILED and cy.score == 0.0
    assert ReviewReason.OVERRIDE_CHANGED in c.review_reasons
    got = reasons(tmp_path / "r.sqlite", "cy_adam")
    assert [r for r, _, _ in got] == ["new_submission", "override", "rubric_change", "rubric_change"]
    assert got[1][1:] == (0.0, 2.0) and got[2][1:] == (2.0, 5.0) and got[3][1:] == (5.0, 0.0)
    with ResultsStore(tmp_path / "r.sqlite") as db:
        assert "override needs another look: sgd" in db.history("cy_adam")[-1].detail
        assert db.history("cy_adam")[1].reviewer == "ta-jane"


def test_an_interrupted_class_records_history_once(klass: Path, tmp_path: Path) -> None:
    run(klass, tmp_path)
    with ResultsStore(tmp_path / "r.sqlite") as db:
        record_override(db, "bob", "sgd", reviewer="ta", comment="half", points=1.0)
    (klass / "ann.py").write_text("print('ann v2')\n")
    (klass / "bob.py").write_text("print('bob v2')\n")
    with pytest.raises(KeyboardInterrupt):
        run(klass, tmp_path, executor=FakeExecutor(fail_after=1))
    run(klass, tmp_path)
    run(klass, tmp_path)
    for student in ("ann", "bob"):
        assert [r for r, _, _ in reasons(tmp_path / "r.sqlite", student)].count("new_submission") == 2
    with ResultsStore(tmp_path / "r.sqlite") as db:
        assert [o.points for o in db.overrides("bob")] == [1.0]
        assert db.history("bob")[-1].new_score == 1.0  # the override, re-applied to the new submission's grade


def test_a_same_grade_regraded_with_another_score_is_a_regrade_and_a_repeat_says_so(tmp_path: Path) -> None:
    import test_report_samples as s

    from grader.review.apply import criterion_definitions

    good, failing = s.good_result(), s.failing_result()
    defs = criterion_definitions(s.keras_rubric())
    with ResultsStore(tmp_path / "r.sqlite") as db:
        record_grade(db, "x", Key("a", "e"), "r1", defs, good, now=1.0)
        record_grade(db, "x", Key("a", "e"), "r1", defs, failing, now=2.0)
        record_grade(db, "x", Key("a", "e"), "r1", defs, good, repeated=True, now=3.0)
        record_grade(db, "x", Key("a", "e"), "r1", defs, good, repeated=True, now=4.0)  # no change: no entry
        assert [e.reason for e in db.history("x")] == [HistoryReason.NEW_SUBMISSION, HistoryReason.REGRADE,
                                                       HistoryReason.REPEAT]


def test_grader_history_prints_safe_text(klass: Path, tmp_path: Path) -> None:
    run(klass, tmp_path)
    runner = CliRunner()
    shown = runner.invoke(main, ["history", "ann", "--store", str(tmp_path / "r.sqlite")])
    assert shown.exit_code == ExitCode.OK, shown.output
    assert "new_submission" in shown.output and "2 / 2" in shown.output
    unknown = runner.invoke(main, ["history", "zed", "--store", str(tmp_path / "r.sqlite")])
    assert unknown.exit_code == ExitCode.USAGE and "no grade stored" in unknown.output
    lines = history_lines("evil\x1b[2J\nScore 100/100", [])
    assert len(lines) == 1 and "\x1b" not in lines[0] and "\n" not in lines[0]


def test_the_report_shows_history_newest_first_and_hides_the_reviewer_from_students(klass: Path, tmp_path: Path) -> None:
    from grader.render.audience import for_audience

    run(klass, tmp_path)
    with ResultsStore(tmp_path / "r.sqlite") as db:
        record_override(db, "cy_adam", "sgd", reviewer="ta-jane", comment="allowed", outcome="passed")
    graded, _ = run(klass, tmp_path)
    cy = {r.student.name: r.result for r in graded.results}["cy_adam"]
    html = render_report(cy)
    assert 'id="history"' in html and html.index("override") < html.index("new submission")
    assert "ta-jane" in html
    student = render_report(for_audience(cy, "student"))
    assert 'id="history"' in student and "allowed" in student and "ta-jane" not in student
    assert "ta-jane" in (tmp_path / "out" / "results" / "cy_adam.json").read_text()  # the instructor's copy
