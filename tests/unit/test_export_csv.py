"""Gradebook CSV: read back with pandas, points-possible row, formula injection neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import test_report_samples as s

from grader.render.exports.csv import FIXED_COLUMNS, POINTS_POSSIBLE, render_gradebook, write_gradebook
from grader.render.safe import for_csv


def test_one_row_per_student_a_column_per_criterion_and_the_total(tmp_path: Path) -> None:
    results = s.class_results()
    path = write_gradebook(results, tmp_path / "gradebook.csv")
    df = pd.read_csv(path, encoding="utf-8-sig")
    crit_ids = list(dict.fromkeys(c.id for r in results for c in r.criteria))
    assert list(df.columns) == FIXED_COLUMNS + crit_ids + ["Total", "Percent"]
    assert df["Student"].tolist() == [POINTS_POSSIBLE, "alice", "bob", "carol", "dan", "erin"]
    students = df.iloc[1:].set_index("Student")
    assert students.loc["alice", "Total"] == 100 and students.loc["alice", "Percent"] == 100
    assert students.loc["bob", "Total"] == results[1].score and students.loc["bob", "Run status"] == "crashed"
    assert pd.isna(students.loc["dan", "general.epochs"])  # skipped in quick mode: not graded, not zero
    assert pd.isna(students.loc["alice", "build.sgd"])  # a criterion of erin's rubric only
    assert students.loc["erin", "build.sgd"] == 2
    maxrow = df.iloc[0]
    assert maxrow["general.sigmoid"] == 5 and maxrow["Total"] == 100 and maxrow["Percent"] == 100
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM, so Excel reads UTF-8


def test_without_the_points_row() -> None:
    df = pd.read_csv(io.StringIO(render_gradebook([s.good_result()], ["alice"], max_row=False)))
    assert df["Student"].tolist() == ["alice"] and df["Total"].tolist() == [100]


def test_formula_injection_is_neutralised() -> None:
    for bad in ("=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=x"):
        assert for_csv(bad).startswith("'")
    assert for_csv("alice") == "alice" and for_csv("a=b") == "a=b"
    r = s.hostile_result()
    text = render_gradebook([r, r], names=["=HYPERLINK(\"http://evil\",\"click\")", "@SUM(1)"])
    rows = list(csv.reader(io.StringIO(text)))
    cells = [c for row in rows for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    assert not [c for c in cells if c.startswith("-") and not c[1:].replace(".", "").isdigit()]
    assert rows[2][0] == "'=HYPERLINK(\"http://evil\",\"click\")" and rows[2][1].startswith("'=HYPERLINK")


def test_golden_gradebook(golden: Callable[[str, str], None]) -> None:
    golden("small-gradebook.csv", render_gradebook([s.small_result(), s.small_result(0.8, optimizer="Adam")],
                                                   ["ana", "ben"]))
