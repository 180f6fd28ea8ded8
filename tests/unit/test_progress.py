import io
import re

import pytest
import test_report_samples as sample

from grader.render.progress import ClassProgress, ProgressLine
from grader.render.safe import for_terminal


def test_tty_line_shows_cell_model_and_epoch_metrics():
    out = io.StringIO()
    line = ProgressLine(out, tty=True)
    line({"event": "cell_start", "n": 3, "of": 12})
    line({"event": "epoch", "model": "m2", "epoch": 4, "epochs": 10, "seconds": 1.5, "logs": {"loss": 0.31, "accuracy": 0.91}})
    text = out.getvalue()
    assert "cell 3/12" in text and "m2 epoch 4/10" in text and "accuracy 0.9100" in text
    line({"event": "run_end"})
    assert out.getvalue().endswith("\r")


def test_plain_stream_gets_one_line_per_fit_and_no_carriage_returns():
    out = io.StringIO()
    line = ProgressLine(out, tty=False)
    line({"event": "epoch", "model": "m1", "epoch": 1, "epochs": 2, "logs": {}})
    line({"event": "fit", "model": {"id": "m1"}, "fit": {"epochs_run": 2}})
    assert "\r" not in out.getvalue() and "m1: trained 2 epoch(s)" in out.getvalue()


EVIL = "ev\x1b[2J\x1b[31mil.py"
# Anything a terminal would act on: C0 and C1 controls (ESC among them) and DEL.
_CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def _events(name: str) -> list[dict]:
    """A run's events as a hostile submission shapes them: its file, model and metric names are its own."""
    return [{"event": "entry_start", "worker": "w1", "student": name, "entry": name, "n": 1, "of": 1},
            {"event": "cell_start", "worker": "w1", "student": name, "n": f"1{name}", "of": 2},
            {"event": "fit_start", "worker": "w1", "student": name, "model": name, "epochs": "3\r\x1b[K"},
            {"event": "epoch", "worker": "w1", "student": name, "model": name, "epoch": 1, "epochs": 3,
             "seconds": "soon\x07", "logs": {name: 0.5, "loss": 0.25}},
            {"event": "fit", "model": {"id": name}, "fit": {"epochs_run": name}}]


@pytest.mark.parametrize("tty", [True, False])
def test_progress_line_prints_no_escape_or_control_character_of_the_submission(tty: bool) -> None:
    out = io.StringIO()
    with ProgressLine(out, tty=tty) as line:
        for event in _events(EVIL):
            line(event)
    text = out.getvalue()
    assert "il.py" in text
    own = text.replace("\r", "") if tty else text  # the line's own rewriting
    assert not _CONTROLS.search(own), repr(own)
    assert "\x1b" not in text


@pytest.mark.parametrize("tty", [True, False])
def test_class_progress_prints_no_escape_or_control_character_of_the_submission(tty: bool) -> None:
    out = io.StringIO()
    with ClassProgress(out, tty=tty, redraw_s=0) as progress:
        progress({"event": "plan", "students": 1, "cached": 0, "regraded": 0, "to_run": 1, "jobs": 1,
                  "cpus_per_job": 2})
        for event in _events(EVIL):
            progress(event)
        assert tty == ("il.py" in out.getvalue())  # the live worker lines (only on a terminal)
        progress({"event": "done", "student": EVIL, "how": "ran", "result": sample.failing_result(),
                  "seconds": 2.0, "worker": "w1"})
    text = out.getvalue()
    assert f"[1/1] {for_terminal(EVIL)}: failed" in text
    own = re.sub(r"\x1b\[\d+F\x1b\[J", "", text)  # the bar's own: back to its first line, clear below
    assert tty == (own != text)
    assert not _CONTROLS.search(own), repr(own)


def test_class_summary_prints_no_escape_or_control_character_of_the_submission(tmp_path) -> None:
    from grader.intake.discovery import Student
    from grader.pipeline.classgrade import ClassResult, StudentResult
    from grader.render.class_summary import class_summary

    result = sample.failing_result()
    run = result.run.model_copy(update={"message": "crashed\x1b]0;pwned\x07\r\nScore 100/100 - passed"})
    result = result.model_copy(update={"run": run})
    graded = ClassResult([StudentResult(Student(name=EVIL, root=tmp_path, entries=(EVIL,)), "k", result, "ran")])
    text = class_summary(graded)
    assert "il.py" in text and "Score 100/100" in text
    assert not _CONTROLS.search(text.replace("\n", "")), repr(text)
    assert len(text.splitlines()) == 3  # the message's newline prints no fake line of its own
