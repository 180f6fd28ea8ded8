"""`grader grade` on top of the store: exit codes, the summary, progress output, GPU detection."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_store import RUBRIC, FakeExecutor

import grader.pipeline.classgrade as classgrade
import grader.pipeline.plan as plan_stage
import grader.pipeline.run as run_stage
from grader.cli.grade import grade_command
from grader.evidence.model import RunStatus
from grader.faults import Culprit, Fault, Phase
from grader.render.progress import ClassProgress
from grader.pipeline.executors.base import JobOutcome, detect_gpus, fault_evidence


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("ann", "bob"):
        (folder / f"{name}.py").write_text(f"print('{name}')\n")
    (tmp_path / "rubric.yaml").write_text(RUBRIC)
    monkeypatch.setattr(run_stage, "_executor", lambda executor, **kw: (FakeExecutor(), True))
    monkeypatch.setattr(plan_stage, "detect_gpus", lambda: [])
    return tmp_path


def invoke(tmp: Path, *extra: str):
    args = [str(tmp / "class"), "--rubric", str(tmp / "rubric.yaml"), "--out", str(tmp / "out"),
            "--datasets", str(tmp), *extra]
    return CliRunner().invoke(grade_command, args)


def test_grades_writes_reports_and_exits_0_even_when_some_fail_the_rubric(setup: Path) -> None:
    res = invoke(setup, "--jobs", "2", "--format", "html,csv,json,junit,md")
    assert res.exit_code == 0, res.output
    assert "graded 2 submission(s)" in res.output and "2 run" in res.output
    out = setup / "out"
    for name in ("index.html", "ann.html", "bob.html", "gradebook.csv", "junit.xml", "summary.md", "results.sqlite"):
        assert (out / name).is_file(), name
    again = invoke(setup)
    assert again.exit_code == 0 and "2 unchanged" in again.output


def test_store_option_puts_the_store_elsewhere(setup: Path) -> None:
    res = invoke(setup, "--store", str(setup / "elsewhere.sqlite"), "--format", "csv")
    assert res.exit_code == 0 and (setup / "elsewhere.sqlite").is_file()
    assert not (setup / "out" / "results.sqlite").exists()


def test_exit_3_when_the_grader_could_not_grade_one(setup: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(FakeExecutor):
        def run(self, jobs, on_event=None):
            for job in jobs:
                ve = fault_evidence(job, Fault(phase=Phase.RUN, culprit=Culprit.ENVIRONMENT, kind="SandboxError",
                                                message="no sandbox here"))
                yield JobOutcome(job.key, ve.model_dump_json(), 0.0)

    monkeypatch.setattr(run_stage, "_executor", lambda executor, **kw: (Broken(), True))
    res = invoke(setup, "--format", "csv")
    assert res.exit_code == 3 and "could not grade 2 submission(s); they are retried on the next run" in res.output
    monkeypatch.setattr(run_stage, "_executor", lambda executor, **kw: (FakeExecutor(), True))
    again = invoke(setup, "--format", "csv")  # what the message promised
    assert again.exit_code == 0 and "graded 2 submission(s)" in again.output and ": 2 run," in again.output


@pytest.mark.parametrize("extra, words", [
    (("--format", "pdf"), "unknown format"), (("--address", "1.2.3.4:6379"), "--address needs --executor ray"),
    (("--jobs", "0"), "0"),
])
def test_usage_errors_exit_2(setup: Path, extra: tuple[str, ...], words: str) -> None:
    res = invoke(setup, *extra)
    assert res.exit_code == 2 and words in res.output


def test_a_bad_rubric_exits_2(setup: Path) -> None:
    (setup / "rubric.yaml").write_text("id: [broken\n")
    assert invoke(setup).exit_code == 2


def test_plain_progress_when_not_a_terminal(setup: Path) -> None:
    stream = io.StringIO()
    progress = ClassProgress(stream, tty=False)
    classgrade.grade_folder(setup / "class", rubric=setup / "rubric.yaml", store=":memory:", datasets=setup,
                            progress=progress, gpus=[])
    text = stream.getvalue()
    assert "\x1b" not in text and "\r" not in text
    assert "2 to run" in text and "[1/2] ann: passed 2/2" in text and "[2/2] bob" in text


def test_terminal_progress_shows_bar_eta_and_workers() -> None:
    stream = io.StringIO()
    p = ClassProgress(stream, tty=True, redraw_s=0)
    p({"event": "plan", "students": 4, "cached": 0, "regraded": 0, "to_run": 4, "jobs": 2, "cpus_per_job": 1,
       "gpus": []})
    p({"event": "epoch", "worker": "w1", "student": "ann", "model": "m1", "epoch": 2, "epochs": 5})
    p({"event": "cell_start", "worker": "w2", "student": "bob", "n": 3, "of": 9})
    assert "w1: ann: m1 epoch 2/5" in stream.getvalue() and "w2: bob: cell 3/9" in stream.getvalue()

    class R:
        status = RunStatus.COMPLETED
        score, max_score, percent = 2.0, 2.0, 100.0
        run = type("Run", (), {"status": RunStatus.COMPLETED})()

    p({"event": "done", "student": "ann", "how": "ran", "result": R(), "seconds": 10.0, "worker": "w1"})
    assert p.eta(p.last_done) == 20.0  # 3 left, 2 at a time (two rounds), 10 s each
    assert p.eta(p.last_done + 5) == 15.0  # counting down between results
    assert "1/4" in stream.getvalue() and "ETA 00:" in stream.getvalue()
    p({"event": "job_end", "worker": "w2", "student": "bob"})
    assert "w2" not in p.workers and not stream.getvalue().endswith("w2: bob: cell 3/9\n")  # idle: no line
    p.close()


def test_gpu_detection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "bin" / "nvidia-smi"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'GPU 0: NVIDIA H100 (UUID: GPU-1)'\necho 'GPU 1: NVIDIA H100 (UUID: GPU-2)'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert detect_gpus() == ["0", "1"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    assert detect_gpus() == ["1"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert detect_gpus() == []
    if not Path("/proc/driver/nvidia/gpus").is_dir():  # a CPU host: nothing to hand out
        monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
        assert detect_gpus() == []


def test_an_output_folder_inside_the_class_folder_is_not_a_student(setup: Path) -> None:
    res = CliRunner().invoke(grade_command, [str(setup / "class"), "--rubric", str(setup / "rubric.yaml"),
                                             "--out", str(setup / "class" / "grades"), "--datasets", str(setup)])
    assert res.exit_code == 0 and "graded 2 submission(s)" in res.output
    again = CliRunner().invoke(grade_command, [str(setup / "class"), "--rubric", str(setup / "rubric.yaml"),
                                               "--out", str(setup / "class" / "grades"), "--datasets", str(setup)])
    assert again.exit_code == 0 and "graded 2 submission(s)" in again.output and "2 unchanged" in again.output
