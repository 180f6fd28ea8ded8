"""Student text made safe once per medium: terminal, HTML, CSV, XML, Markdown.

The terminal case is the issue's defect: a file named ``ev\\x1b[2J\\x1b[31mil.py`` cleared the
instructor's screen and turned it red. No student-controlled text reaches a terminal with its control
characters, in any of the texts the grader prints."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from importlib.resources import files

import click
import pytest
import test_report_samples as s

from grader.evidence.model import CellError
from grader.grading.result import GradeResult
from grader.render.audience import for_audience
from grader.render.exports.csv import render_gradebook
from grader.render.run_summary import render_run
from grader.render.safe import for_csv, for_html, for_markdown, for_terminal, for_xml
from grader.render.terminal import render_summary

CLEAR_RED = "ev\x1b[2J\x1b[31mil.py"
# BEL, backspace, NUL, DEL, the one-byte CSI, a right-to-left override, an OSC that retitles the window,
# a bare escape.
CONTROLS = "a\x07b\x08c\x00d\x7fe\x9b2Jg\u202eh\x1b]0;pwned\x07i\x1b"
PAYLOAD = CLEAR_RED + " " + CONTROLS
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def terminal_unsafe(text: str) -> list[str]:
    """Characters a terminal would act on instead of showing (newlines are the renderer's own)."""
    return [c for c in text if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) <= 0x9F or c in _BIDI]


def hostile_terminal_result() -> GradeResult:
    """Every string a student controls carries the payload: path, run message, models, errors, messages."""
    r = s.with_path(s.hostile_result(), f"submissions/{CLEAR_RED}/{CONTROLS}.ipynb")
    ev = r.evidence.evidence
    models = [m.model_copy(update={"name": PAYLOAD, "loss": PAYLOAD}) for m in ev.models]
    err = CellError(cell_index=1, ename=PAYLOAD, evalue=PAYLOAD, traceback=PAYLOAD)
    run = ev.run.model_copy(update={"message": PAYLOAD, "cell_errors": [err]})
    inner = ev.model_copy(update={"models": models, "run": run, "warnings": [PAYLOAD], "datasets": [PAYLOAD]})
    crit = [c.model_copy(update={"message": PAYLOAD, "feedback": PAYLOAD, "title": PAYLOAD}) for c in r.criteria]
    slots = [sl.model_copy(update={"message": PAYLOAD}) for sl in r.slots]
    return r.model_copy(update={"criteria": crit, "slots": slots, "run": r.run.model_copy(update={"message": PAYLOAD}),
                                "evidence": r.evidence.model_copy(update={"evidence": inner})})


def test_for_terminal_removes_sequences_and_shows_other_controls() -> None:
    assert for_terminal(CLEAR_RED) == "evil.py"
    out = for_terminal(CONTROLS)
    assert not terminal_unsafe(out) and "pwned" not in out
    assert "\\x07" in out and "\\u202e" in out  # shown, so two names that differ only by them still differ
    assert for_terminal("one\ntwo\tthree") == "one two three"
    assert for_terminal("one\ntwo", multiline=True) == "one\ntwo"
    assert for_terminal("alice\rbob") == "alice\\rbob"  # a name cannot print as another one
    assert for_terminal("50%|███   \r100%|█████", multiline=True) == "100%|█████"  # a log's progress bar
    assert for_terminal(None) == "" and for_terminal("alice") == "alice"


@pytest.mark.parametrize("color", [False, True])
def test_the_summary_prints_no_student_control_character(color: bool) -> None:
    r = hostile_terminal_result()
    for result in (r, for_audience(r, "student")):
        text = render_summary(result, color=color, verbose=True)
        assert "evil.py" in text
        assert "\x1b[2J" not in text and "\x1b]0;" not in text and "\x9b" not in text
        assert not terminal_unsafe(click.unstyle(text))
        if not color:
            assert not terminal_unsafe(text)


def test_grader_run_prints_no_student_control_character() -> None:
    text = render_run(hostile_terminal_result().evidence)
    assert "evil.py" in text and PAYLOAD not in text
    assert not terminal_unsafe(text)


def test_for_html_leaves_escaping_to_the_template_and_drops_controls() -> None:
    assert for_html("<b>a & b</b>") == "<b>a & b</b>"  # autoescape escapes once; escaping here would show &amp;
    assert not terminal_unsafe(for_html(PAYLOAD))


def test_no_template_marks_student_text_safe() -> None:
    """Autoescape is the HTML medium's safety: `|safe` is allowed only on the page's own script."""
    folder = files("grader.render.html").joinpath("templates")
    uses = [(t.name, m.group()) for t in folder.iterdir() if t.name.endswith(".j2")
            for m in re.finditer(r"\{\{[^}]*\|\s*safe[^}]*\}\}", t.read_text(encoding="utf-8"))]
    assert uses and all(re.fullmatch(r"\{\{\s*script\s*\|\s*safe\s*\}\}", u) for _, u in uses), uses


@pytest.mark.parametrize("bad", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=x", "\x1b[31m=x"])
def test_for_csv_neutralises_formulas(bad: str) -> None:
    assert for_csv(bad).startswith("'")


def test_the_gradebook_carries_no_formula_and_no_control_character() -> None:
    r = hostile_terminal_result()
    rows = list(csv.reader(io.StringIO(render_gradebook([r], [f"=cmd|{PAYLOAD}"]))))
    cells = [c for row in rows for c in row]
    assert rows[2][0].startswith("'=cmd") and rows[2][1].startswith("submissions/evil.py/")
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    assert not [c for c in cells if terminal_unsafe(c)]


def test_for_xml_keeps_only_what_xml_allows() -> None:
    every = "".join(chr(i) for i in range(0, 0x3000)) + "\ud800\udfff\ufffe\uffff" + PAYLOAD
    element = ET.Element("x", value=for_xml(every))
    element.text = for_xml(every)
    parsed = ET.fromstring(ET.tostring(element, encoding="unicode"))  # an illegal character would raise
    assert "evil.py" in parsed.text and "<" in parsed.text


def test_for_markdown_is_one_inert_line() -> None:
    text = for_markdown(f"| <img src=x> **bold** [link](http://x) {PAYLOAD}\nnext")
    assert "\n" not in text and "<img" not in text and "\\|" in text and "\\*\\*bold\\*\\*" in text
    assert "\\[link\\]" in text and not terminal_unsafe(text)
