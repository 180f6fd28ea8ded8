"""TA overrides: applied as a pure function of the grade, kept beside the grader's verdict, re-applied only while
the rubric defines the criterion the same way, honoured by every export, and served by the review page."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
import test_report_samples as s
from click.testing import CliRunner
from fastapi.testclient import TestClient

from grader.checks.base import Outcome
from grader.checks.noise import ReviewReason
from grader.cli.app import main
from grader.errors import ConfigError, ExitCode
from grader.grading.result import GradeResult, GradeStatus
from grader.pipeline.store import SCHEMA_VERSION, Key, ResultsStore
from grader.render.audience import for_audience
from grader.render.exports.csv import render_gradebook
from grader.render.exports.gradescope import gradescope_results
from grader.render.exports.json import render_json
from grader.render.exports.junit import render_junit
from grader.render.exports.markdown import render_markdown
from grader.render.html.report import render_report
from grader.review.app import COOKIE, create_app
from grader.review.apply import apply_overrides, criterion_definitions
from grader.review.model import Override
from grader.review.record import current_result, record_grade, record_override
from grader.rubric.loader import load_rubric

CRIT = "three.best.validation"  # failed, 0 of 4 points, in the failing sample
KEY = Key("sub-1", "env-1")


@pytest.fixture(scope="module")
def result() -> GradeResult:
    return s.failing_result()


@pytest.fixture(scope="module")
def definitions() -> dict[str, str]:
    return criterion_definitions(s.keras_rubric())


def override(definitions: dict[str, str], criterion: str = CRIT, **kw: object) -> Override:
    fields: dict[str, object] = {"student": "bob", "criterion": criterion, "definition": definitions[criterion],
                                 "comment": "the validation split was right; the grader misread it",
                                 "reviewer": "ta-jane", "created": 1000.0, "points": 3.0}
    fields.update(kw)
    return Override(**fields)  # type: ignore[arg-type]


def test_an_override_changes_points_totals_and_parts_and_keeps_the_grader_verdict(result, definitions) -> None:
    applied = apply_overrides(result, [override(definitions)], definitions)
    c = applied.criterion(CRIT)
    assert c is not None and c.override is not None and c.override.applied
    assert (c.points, c.outcome) == (3.0, Outcome.FAILED)  # points only: the verdict stays the grader's
    assert (c.override.original_points, c.override.original_outcome) == (0.0, Outcome.FAILED)
    assert applied.score == result.score + 3 and applied.max_score == result.max_score
    assert applied.percent == round(100 * applied.score / applied.max_score, 2)
    part = next(p for p in applied.parts if p.id == "three")
    before = next(p for p in result.parts if p.id == "three")
    assert part.score == before.score + 3
    untouched = [x for x in applied.criteria if x.id != CRIT]
    assert untouched == [x for x in result.criteria if x.id != CRIT]


def test_a_passed_verdict_without_points_gives_full_points_and_can_change_the_status(result, definitions) -> None:
    failed = [c.id for c in result.criteria if c.outcome is Outcome.FAILED]
    overrides = [override(definitions, cid, points=None, outcome=Outcome.PASSED) for cid in failed]
    applied = apply_overrides(result, overrides, definitions)
    assert all(applied.criterion(cid).points == applied.criterion(cid).max_points for cid in failed)
    assert applied.status is GradeStatus.PASSED and result.status is GradeStatus.FAILED
    assert applied.outcome_counts["failed"] == 0


def test_the_latest_override_of_a_criterion_wins(result, definitions) -> None:
    older, newer = override(definitions, points=1.0, created=1.0), override(definitions, points=2.0, created=2.0)
    assert apply_overrides(result, [newer, older], definitions).criterion(CRIT).points == 2.0


def test_a_changed_criterion_keeps_the_override_unapplied_and_flags_it(result, definitions) -> None:
    changed = {**definitions, CRIT: "0" * 64}  # the rubric redefined it since the TA looked
    applied = apply_overrides(result, [override(definitions)], changed)
    c = applied.criterion(CRIT)
    assert c.override is not None and not c.override.applied and c.points == 0.0
    assert ReviewReason.OVERRIDE_CHANGED in c.review_reasons
    assert applied.score == result.score
    assert any(f.reason is ReviewReason.OVERRIDE_CHANGED and f.criterion_id == CRIT for f in applied.review)


def test_overrides_of_criteria_the_result_lacks_change_nothing(result, definitions) -> None:
    gone = override(definitions).model_copy(update={"criterion": "no.such"})
    assert apply_overrides(result, [gone], definitions) is result


def test_a_definition_hash_moves_only_with_its_own_criterion(tmp_path: Path) -> None:
    text = (s.ROOT / "rubrics" / "nn-basics-keras.yaml").read_text()
    before = criterion_definitions(load_rubric(s.ROOT / "rubrics" / "nn-basics-keras.yaml"))
    edited = tmp_path / "r.yaml"
    old = "    points: 5\n"
    assert old in text
    edited.write_text(text.replace(old, "    points: 7\n", 1))
    after = criterion_definitions(load_rubric(edited))
    moved = [cid for cid in before if before[cid] != after.get(cid)]
    assert len(moved) == 1 and set(before) == set(after)


def test_an_override_needs_a_verdict_or_points_and_only_passed_or_failed(definitions) -> None:
    with pytest.raises(ValueError, match="points, a verdict"):
        override(definitions, points=None)
    with pytest.raises(ValueError, match="passed or failed"):
        override(definitions, outcome=Outcome.ERROR)


def test_students_see_the_comment_but_not_the_reviewer(result, definitions) -> None:
    applied = apply_overrides(result, [override(definitions), override(definitions, "three.best.test")], definitions)
    student = for_audience(applied, "student")
    c = student.criterion(CRIT)
    assert c.override.comment.startswith("the validation split") and c.override.reviewer == ""
    assert student.score == applied.score
    hidden = [x for x in student.criteria if x.concealed]
    assert hidden and all(x.override is None for x in hidden)  # a hidden criterion's override is concealed with it
    assert "ta-jane" not in render_report(student) and "ta-jane" in render_report(applied)


def test_every_export_counts_the_override(result, definitions) -> None:
    applied = apply_overrides(result, [override(definitions, points=None, outcome=Outcome.PASSED)], definitions)
    rows = list(csv.DictReader(io.StringIO(render_gradebook([applied], ["bob"]).lstrip("\ufeff"))))
    bob = next(r for r in rows if r["Student"] == "bob")
    assert float(bob[CRIT]) == 4 and float(bob["Total"]) == result.score + 4
    doc = json.loads(render_json(applied))
    crit = next(c for c in doc["criteria"] if c["id"] == CRIT)
    assert crit["points"] == 4 and crit["override"]["original_points"] == 0 and doc["score"] == result.score + 4
    gs = gradescope_results(applied)
    test = next(t for t in gs["tests"] if t["name"].startswith(applied.criterion(CRIT).title))
    assert test["score"] == 4 and test["status"] == "passed" and "misread it" in test["output"]
    assert sum(t["score"] for t in gs["tests"]) == pytest.approx(applied.score)
    assert f'name="{CRIT}:' in render_junit([applied]) and f'name="{CRIT}:' in render_junit([result])
    assert render_junit([applied]).count("<failure") == render_junit([result]).count("<failure") - 1
    markdown = render_markdown(applied)
    assert "| Not passed" in markdown and applied.criterion(CRIT).title not in markdown.split("| Not passed")[1].split("**Reviewed**")[0]
    assert "misread it" in markdown.split("**Reviewed**")[1]
    html = render_report(applied)
    assert "misread it" in html and "Override" in html


def test_an_unapplied_override_says_so_in_text_outputs(result, definitions) -> None:
    applied = apply_overrides(result, [override(definitions)], {**definitions, CRIT: "x"})
    assert "is not applied" in render_markdown(applied)
    assert "not applied" in render_report(applied)


def _stored(tmp_path: Path, result: GradeResult, definitions: dict[str, str]) -> Path:
    path = tmp_path / "grades" / "results.sqlite"
    with ResultsStore(path) as store:
        record_grade(store, "bob", KEY, result.rubric.sha256, definitions, result, now=1.0)
    return path


def test_record_override_refuses_what_it_cannot_apply(tmp_path, result, definitions) -> None:
    with ResultsStore(_stored(tmp_path, result, definitions)) as store:
        for kw, words in [({"student": "nobody"}, "no grade stored"), ({"criterion": "nope"}, "no criterion"),
                          ({"points": 99.0}, "between 0 and 4"), ({"outcome": "error"}, "verdict"),
                          ({"comment": "  "}, "comment"), ({"points": None}, "points .* or a verdict")]:
            args = {"student": "bob", "criterion": CRIT, "reviewer": "ta", "comment": "why", "points": 1.0, **kw}
            with pytest.raises(ConfigError, match=words):
                record_override(store, args.pop("student"), args.pop("criterion"), **args)  # type: ignore[arg-type]
        assert store.overrides() == []


def test_record_override_stores_it_and_current_result_applies_it(tmp_path, result, definitions) -> None:
    with ResultsStore(_stored(tmp_path, result, definitions)) as store:
        after = record_override(store, "bob", CRIT, reviewer="ta-jane", comment="fine", outcome="passed", now=5.0)
        assert after.score == result.score + 4
        assert current_result(store, "bob").score == after.score
        [o] = store.overrides("bob")
        assert (o.reviewer, o.created, o.outcome, o.definition) == ("ta-jane", 5.0, Outcome.PASSED, definitions[CRIT])


def test_a_version_1_store_opens_with_its_data_and_gains_the_review_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)  # the schema as version 1 wrote it
    db.executescript("""
        CREATE TABLE environments (env TEXT PRIMARY KEY, description TEXT NOT NULL);
        CREATE TABLE evidence (submission TEXT NOT NULL, env TEXT NOT NULL, quick INTEGER NOT NULL, name TEXT NOT NULL,
            verified TEXT NOT NULL, seconds REAL NOT NULL, created REAL NOT NULL, PRIMARY KEY (submission, env, quick));
        CREATE TABLE grades (submission TEXT NOT NULL, env TEXT NOT NULL, quick INTEGER NOT NULL, rubric TEXT NOT NULL,
            result TEXT NOT NULL, created REAL NOT NULL, PRIMARY KEY (submission, env, quick, rubric));
        CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, submission TEXT NOT NULL, env TEXT NOT NULL,
            quick INTEGER NOT NULL, name TEXT NOT NULL, seconds REAL NOT NULL, worker TEXT NOT NULL DEFAULT '',
            finished REAL NOT NULL);
        PRAGMA user_version=1;""")
    db.execute("INSERT INTO environments VALUES ('e', '{}')")
    db.commit()
    db.close()
    with ResultsStore(path) as store:
        assert store.counts() == {"evidence": 0, "grades": 0, "runs": 0} and store.students() == []
        assert store.overrides() == [] and store.history("anyone") == []
        assert store._db.execute("SELECT env FROM environments").fetchall() == [("e",)]
        assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_grader_override_command(tmp_path, result, definitions) -> None:
    path = _stored(tmp_path, result, definitions)
    runner = CliRunner()
    ok = runner.invoke(main, ["override", "bob", CRIT, "--points", "2", "--comment", "partly right",
                              "--reviewer", "ta-jane", "--grades", str(path.parent)])
    assert ok.exit_code == ExitCode.OK, ok.output
    assert "failed 0 -> failed 2 of 4" in ok.output
    bad = runner.invoke(main, ["override", "nobody", CRIT, "--points", "2", "--comment", "x", "--reviewer", "ta",
                               "--store", str(path)])
    assert bad.exit_code == ExitCode.USAGE and "no grade stored" in bad.output
    missing = runner.invoke(main, ["override", "bob", CRIT, "--points", "2", "--comment", "x", "--reviewer", "ta",
                                   "--grades", str(tmp_path / "nowhere")])
    assert missing.exit_code == ExitCode.USAGE and "no results store" in missing.output
    with ResultsStore(path) as store:
        assert [o.points for o in store.overrides("bob")] == [2.0]


def test_the_review_page_refuses_requests_without_the_token(tmp_path, result, definitions) -> None:
    app = create_app(_stored(tmp_path, result, definitions), "s3cret", reviewer="ta-jane")
    client = TestClient(app)
    for path in ("/", "/student?name=bob", "/nope"):
        assert client.get(path).status_code == 403
        assert client.get(path + ("&" if "?" in path else "?") + "token=wrong").status_code == 403
    denied = client.post("/override", data={"student": "bob", "criterion": CRIT, "points": "4", "comment": "x"})
    assert denied.status_code == 403
    with ResultsStore(tmp_path / "grades" / "results.sqlite") as store:
        assert store.overrides() == []


def test_the_review_page_lists_flagged_students_and_takes_an_override(tmp_path, result, definitions) -> None:
    evil = "<script>alert(1)</script>"
    path = _stored(tmp_path, result, definitions)
    with ResultsStore(path) as store:
        record_grade(store, evil, Key("sub-2", "env-1"), result.rubric.sha256, definitions, s.good_result(), now=1.0)
        store.put_override(override(definitions, definition="made-under-an-older-rubric"))  # flags bob for review
    client = TestClient(create_app(path, "s3cret", reviewer="ta-jane"))
    first = client.get("/?token=s3cret")
    assert first.status_code == 200 and client.cookies.get(COOKIE) == "s3cret"
    assert evil not in first.text and "&lt;script&gt;" in first.text
    assert first.text.index('data-student="bob"') < first.text.index('data-student="&lt;script')  # flagged first
    assert first.text.count('data-kind="override_changed"') == 1
    page = client.get("/student", params={"name": "bob"})  # the cookie carries the token now
    assert page.status_code == 200 and f'id="criterion-{CRIT}"' in page.text
    posted = client.post("/override?token=s3cret", data={"student": "bob", "criterion": CRIT, "points": "",
                                                          "verdict": "passed", "comment": "ok <b>really</b>"})
    assert posted.status_code == 200 and "ok &lt;b&gt;really&lt;/b&gt;" in posted.text  # followed the 303
    assert "ta-jane" in posted.text and "override" in posted.text
    with ResultsStore(path) as store:
        assert current_result(store, "bob").criterion(CRIT).points == 4.0
        assert store.history("bob")[-1].reason.value == "override"
    bad = client.post("/override", data={"student": "bob", "criterion": CRIT, "points": "9", "comment": "x"})
    assert bad.status_code == 400 and "between 0 and 4" in bad.text


def test_the_queue_puts_errors_flags_and_similar_pairs_first(result, definitions) -> None:
    from grader.review.queue import QueueKind, queue

    stale = apply_overrides(result, [override(definitions)], {**definitions, CRIT: "changed"})
    items = queue([("zoe", s.good_result()), ("al", s.good_result()), ("amy", s.good_result()), ("bob", stale)],
                  similar=[("amy", "zoe", "code")])
    assert [i.student for i in items] == ["amy", "bob", "zoe", "al"]  # flagged by name, then the clear ones
    assert items[-1].reasons == []
    by = {i.student: i for i in items}
    assert [r.kind for r in by["bob"].reasons] == [QueueKind.OVERRIDE_CHANGED]
    assert by["amy"].reasons[0].kind is QueueKind.SIMILARITY and "similar to zoe" in by["amy"].reasons[0].text
    assert "similar to amy" in by["zoe"].reasons[0].text


def test_similar_pairs_without_results_to_compare_are_none(tmp_path: Path) -> None:
    from grader.review.app import similar_pairs_from

    assert list(similar_pairs_from(tmp_path)()) == []


def test_grader_review_without_a_store_is_a_usage_error(tmp_path: Path) -> None:
    shown = CliRunner().invoke(main, ["review", str(tmp_path / "nowhere"), "--reviewer", "ta"])
    assert shown.exit_code == ExitCode.USAGE and "no results store" in shown.output
