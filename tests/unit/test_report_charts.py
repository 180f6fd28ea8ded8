"""SVG charts and the text helpers every renderer uses."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from grader.render.html.charts import Series, histogram, history_charts, line_chart, nice_ticks
from grader.render.safe import clean, num, seconds, slug, student_names

SVG = "{http://www.w3.org/2000/svg}"


def test_nice_ticks_cover_the_range() -> None:
    assert nice_ticks(0.52, 0.97) == [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    assert nice_ticks(3, 3)[0] <= 3 <= nice_ticks(3, 3)[-1]
    assert nice_ticks(0, 1234)[-1] >= 1234


def test_history_charts_pair_train_and_validation_loss_first() -> None:
    h = {"accuracy": [0.5, 0.7], "loss": [1.0, 0.6], "val_loss": [1.1, 0.8], "val_accuracy": [0.4, 0.6],
         "mae": [3.0, 2.0], "learning_rate": [0.01, 0.01]}
    charts = history_charts(h)
    assert [c.title for c in charts] == ["loss per epoch", "accuracy per epoch", "mae per epoch"]
    assert charts[0].labels == ["train loss", "validation loss"] and charts[0].rows[1] == (2, ["0.6", "0.8"])
    svg = ET.fromstring(str(charts[1].svg))  # well-formed XML
    assert svg.tag == f"{SVG}svg" and len(svg.findall(f"{SVG}polyline")) == 2
    assert svg.find(f"{SVG}polyline[@stroke-dasharray]") is not None  # validation is dashed


def test_epoch_ticks_are_round_numbers() -> None:
    from grader.render.html.charts import _x_ticks

    assert [i + 1 for i in _x_ticks(10)] == list(range(1, 11))
    assert [i + 1 for i in _x_ticks(40)] == [1, 5, 10, 15, 20, 25, 30, 35, 40]
    assert [i + 1 for i in _x_ticks(400)] == [1, 50, 100, 150, 200, 250, 300, 350, 400]


def test_nan_breaks_the_line_and_empty_history_draws_nothing() -> None:
    svg = ET.fromstring(str(line_chart([Series("loss", [1.0, 0.8, math.nan, 0.5, 0.4])], title="t")))
    assert len(svg.findall(f"{SVG}polyline")) == 2
    assert str(line_chart([Series("loss", [])], title="t")) == "" and history_charts({}) == []
    one = ET.fromstring(str(line_chart([Series("loss", [0.3])], title="one epoch")))
    assert len(one.findall(f"{SVG}circle")) == 1


def test_labels_are_escaped_in_svg() -> None:
    text = str(line_chart([Series("<script>x</script>", [1.0, 2.0])], title="a & b"))
    assert "<script>" not in text and "a &amp; b" in text
    ET.fromstring(text)


def test_histogram_puts_100_in_the_last_bin() -> None:
    svg = str(histogram([0, 55, 100, 100, math.nan]))
    assert "90–100: 2" in svg and "0–10: 1" in svg and "50–60: 1" in svg
    ET.fromstring(svg)


def test_clean_removes_terminal_codes_and_redraws() -> None:
    assert clean("\x1b[31mred\x1b[0m \x1b]0;title\x07ok\x00") == "red ok"
    assert clean("10%\r50%\r100%\nnext") == "100%\nnext" and clean(None) == ""


def test_bidi_overrides_and_foreign_links_are_dropped() -> None:
    from grader.render.safe import relative_link

    assert clean("alice\u202egnp.exe") == "alicegnp.exe"
    assert [relative_link(h) for h in ("a.html", "sub/b.html#x", "javascript:x", " JAVASCRIPT:x", "//evil", None)] \
        == ["a.html", "sub/b.html#x", None, None, None, None]


def test_student_names_are_short_and_unique() -> None:
    assert student_names(["s/alice/hw.ipynb", "s/bob/hw.ipynb"]) == ["alice", "bob"]
    assert student_names(["alice.ipynb", "bob.py"]) == ["alice", "bob"]
    assert student_names(["a/x/hw.ipynb", "b/x/hw.ipynb"]) == ["a", "b"]
    assert student_names(["a/x/hw.ipynb", "a/y/hw.ipynb"]) == ["x", "y"]
    assert student_names(["hw.ipynb"]) == ["hw"] and student_names(["a.py", "a.py"]) == ["a", "a#2"]
    assert slug("../../etc/passwd") == "etc_passwd" and slug("") == "submission"


def test_number_formats() -> None:
    assert num(302110) == "302,110" and num(0.91234) == "0.9123" and num(None) == "–"
    assert seconds(84.2) == "84.2 s" and seconds(3600) == "60.0 min" and seconds(1.5) == "1.50 s"
