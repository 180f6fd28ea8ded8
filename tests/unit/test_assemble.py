"""Event log -> Evidence: status decisions and the handling of untrusted, malformed logs."""

import json
from pathlib import Path

import pytest

from grader.evidence.assembly import assemble, decide_status, filter_noise, read_events
from grader.evidence.model import CellError, Isolation, Limits, RunStatus
from grader.sandbox.runner import SandboxResult
from grader.intake.submission import Submission


def result(tmp_path: Path, **kw) -> SandboxResult:
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    base = dict(run_dir=tmp_path, out_dir=out, isolation=Isolation.BWRAP, notes=[], returncode=0, timed_out=False,
                output_exceeded=False, disk_exceeded=False, oom_killed=False, duration_s=1.0, stdout_head="",
                log_tail="", output_bytes=0, peak_memory_mb=None, leftover_processes=0)
    base.update(kw)
    return SandboxResult(**base)


@pytest.mark.parametrize("flags,status", [
    ({"timed_out": True}, RunStatus.TIMEOUT),
    ({"output_exceeded": True}, RunStatus.OUTPUT_LIMIT),
    ({"disk_exceeded": True}, RunStatus.OUTPUT_LIMIT),
    ({"oom_killed": True}, RunStatus.MEMORY_LIMIT),
])
def test_host_observations_win_over_the_driver(tmp_path, flags, status):
    got, message, _ = decide_status(result(tmp_path, **flags), {"status": "ok"}, [])
    assert got is status and message


def test_signal_without_run_end_is_killed(tmp_path):
    status, message, _ = decide_status(result(tmp_path, returncode=-11), None, [])
    assert status is RunStatus.KILLED and "SIGSEGV" in message


def test_abrupt_exit_code(tmp_path):
    status, message, _ = decide_status(result(tmp_path, returncode=3), None, [])
    assert status is RunStatus.EXITED and "3" in message


def test_script_exception_and_memory_error(tmp_path):
    status, msg, err = decide_status(result(tmp_path, returncode=1), {"status": "exception", "ename": "KeyError", "evalue": "'acc'", "lineno": 12}, [])
    assert status is RunStatus.CRASHED and err.lineno == 12 and "KeyError" in msg
    status, _, _ = decide_status(result(tmp_path, returncode=1), {"status": "exception", "ename": "MemoryError", "evalue": ""}, [])
    assert status is RunStatus.MEMORY_LIMIT


def test_python2_print_gets_a_hint(tmp_path):
    status, msg, err = decide_status(result(tmp_path, returncode=1), {"status": "syntax_error", "ename": "SyntaxError",
                                     "evalue": "Missing parentheses in call to 'print'", "lineno": 3}, [])
    assert status is RunStatus.INVALID and "line 3" in msg and "Python 2" in msg


def test_cell_errors_and_timeouts(tmp_path):
    errs = [CellError(cell_index=4, ename="ValueError", evalue="bad")]
    status, msg, _ = decide_status(result(tmp_path), {"status": "ok"}, errs)
    assert status is RunStatus.COMPLETED_WITH_ERRORS and "cell 4" in msg
    errs = [CellError(cell_index=2, ename="CellTimeoutError", evalue="cell ran past 3 s")]
    status, msg, _ = decide_status(result(tmp_path), {"status": "ok"}, errs)
    assert status is RunStatus.TIMEOUT and "cell 2" in msg


def test_read_events_skips_garbage_and_caps_size(tmp_path, monkeypatch):
    path = tmp_path / "events.jsonl"
    path.write_text('{"event": "dataset", "name": "mnist"}\nnot json\n[1,2]\n{"no_event": 1}\n')
    events, warnings = read_events(path)
    assert [e["event"] for e in events] == ["dataset"] and "3 malformed" in warnings[0]
    import grader.evidence.assembly as mod

    monkeypatch.setattr(mod, "MAX_EVENTS_BYTES", 10)
    _, warnings = read_events(path)
    assert any("only the first" in w for w in warnings)


def test_schema_violations_become_warnings_not_crashes(tmp_path):
    res = result(tmp_path)
    lines = [
        {"event": "fit", "model": {"id": "m1", "name": "x", "class_name": "Sequential", "framework": "keras", "kind": "sequential"},
         "fit": {"index": "not-an-int", "bogus": 1}},
        {"event": "figure", "figure": {"index": 0, "axes": "nope"}},
        {"event": "run_end", "status": "ok"},
    ]
    (res.out_dir / "events.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    sub = Submission(tmp_path / "a.py", "script", "0" * 64, 10)
    ev = assemble(sub, res, Limits())
    assert ev.run.status is RunStatus.COMPLETED
    assert len(ev.warnings) >= 2 and ev.figures == []


def test_noise_filter_keeps_student_lines():
    text = "I0000 00:00 port.cc:153] oneDNN custom operations are on.\nEpoch 1/3\nFontconfig error: x\nreal problem"
    assert filter_noise(text) == "Epoch 1/3\nreal problem"


def test_fork_bomb_is_named_in_the_message(tmp_path):
    status, message, _ = decide_status(result(tmp_path, timed_out=True, tasks_exhausted=True), None, [])
    assert status is RunStatus.TIMEOUT and "fork bomb" in message


def test_a_fork_bomb_the_driver_stopped_in_time_is_named_too(tmp_path):
    """The driver's own run limit ends the script a second before the host's kill: the exhausted task count the
    cgroup saw is still named."""
    res = result(tmp_path, returncode=1, tasks_exhausted=True)
    (res.out_dir / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in [
        {"event": "run_start", "kind": "script"},
        {"event": "time_limit", "limit": "run", "seconds": 4, "cell_index": None, "started": True},
        {"event": "run_end", "status": "run_limit"}]))
    (tmp_path / "a.py").write_text("import os\n")
    ev = assemble(Submission(tmp_path / "a.py", "script", "0" * 64, 10), res, Limits(timeout_s=4))
    assert ev.run.status is RunStatus.TIMEOUT
    assert "time limit of 4 s" in ev.run.message and "fork bomb" in ev.run.message
    calm = assemble(Submission(tmp_path / "a.py", "script", "0" * 64, 10), result(tmp_path, returncode=1),
                    Limits(timeout_s=4))
    assert calm.run.status is RunStatus.TIMEOUT and "fork bomb" not in calm.run.message


def test_probe_notes_in_stdout_never_answer_questions(tmp_path):
    res = result(tmp_path)
    (res.out_dir / "printed.txt").write_text(
        "Trainable params: 101,770\n[grader] pip install skipped: provided by the grader's environment: "
        "tensorflow 2.21.0\nseconds per epoch: 3.5\n")
    (tmp_path / "a.py").write_text("print(1)\n")
    ev = assemble(Submission(tmp_path / "a.py", "script", "0" * 64, 10), res, Limits())
    assert "101,770" in ev.printed and "3.5" in ev.printed
    assert "[grader]" not in ev.printed and "2.21.0" not in ev.printed
