"""The disk cap in real sandboxed runs: past it writes fail and the run says so, within it the files
the grader reads back come back whole, and the run records what held its cap. No TensorFlow runs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import grader.api
from grader.api import run_submission
from grader.evidence.model import Isolation, Limits, RunStatus
from grader.sandbox.disk import DiskEnforcement

MIB = 2**20
# file_size_mb 4: a 16 MiB disk cap for the work and output folders together.
LIMITS = Limits(timeout_s=60, file_size_mb=4, cpus=1)
CAP_NOTE = "on a 16 MiB tmpfs"


@pytest.fixture
def results(monkeypatch) -> list:
    """Every SandboxResult the runs of this test produce, measured before the grader removes them."""
    seen: list = []
    run = grader.api.run_sandboxed

    def kept(req):
        result = run(req)
        files = {p.relative_to(result.out_dir).as_posix(): p.stat().st_size
                 for p in result.out_dir.rglob("*") if p.is_file()}
        seen.append((result, files))
        return result

    monkeypatch.setattr(grader.api, "run_sandboxed", kept)
    return seen


@pytest.fixture
def filesystem_cap(host_isolation, monkeypatch) -> None:
    monkeypatch.delenv("GRADER_DISK_LIMIT", raising=False)
    if os.geteuid() != 0 or host_isolation.level is not Isolation.BWRAP:
        pytest.skip("the disk cap is a filesystem only for a root grader (here it is polled)")


@pytest.mark.timeout(120)
def test_writing_past_the_cap_fails_with_enospc_and_a_clear_status(submission, results, filesystem_cap,
                                                                   tmp_path: Path) -> None:
    source = """
        import os
        with open("almost.bin", "wb") as fh:  # 12 of 16 MiB, in files under the per-file limit
            fh.write(b"a" * (3 * 2**20))
        for i in range(3):
            with open(f"more_{i}.bin", "wb") as fh:
                fh.write(b"m" * (3 * 2**20))
        with open("past.bin", "wb") as fh:  # not caught: the script dies of it
            for _ in range(4):
                fh.write(b"p" * 2**20)
    """
    verified = run_submission(submission("fill.py", source), limits=LIMITS)
    run = verified.evidence.run
    assert run.status is RunStatus.OUTPUT_LIMIT, (run.status, run.message, run.log_tail[-2000:])
    assert "exceeded the disk limit of 16 MiB" in run.message
    assert any(CAP_NOTE in note for note in run.isolation_notes), run.isolation_notes
    ((result, _files),) = results
    assert result.disk_enforcement is DiskEnforcement.FILESYSTEM and result.disk_exceeded
    assert result.disk_limit_bytes == 16 * MIB and 12 * MIB <= result.disk_peak_bytes <= 16 * MIB
    assert not result.run_dir.exists()  # removed, mount and all


@pytest.mark.timeout(120)
def test_files_within_the_cap_come_back_whole(submission, results, filesystem_cap) -> None:
    source = """
        import json, os
        out = os.environ["GRADER_OUT"]
        with open("scratch.bin", "wb") as fh:
            fh.write(b"w" * (4 * 2**20 - 1))
        with open(os.path.join(out, "figure.svg"), "w") as fh:
            fh.write("<svg>" + "x" * 100000 + "</svg>")
        print("WROTE", os.path.getsize("scratch.bin"))
    """
    verified = run_submission(submission("ok.py", source), limits=LIMITS)
    run = verified.evidence.run
    assert run.status is RunStatus.COMPLETED, (run.message, run.log_tail[-2000:])
    assert "WROTE 4194303" in verified.evidence.printed
    assert run.versions  # the event log, written on the same disk, was read back
    ((result, files),) = results
    assert not result.disk_exceeded
    assert files.get("figure.svg") == len("<svg>") + 100000 + len("</svg>")
    assert files.get("events.jsonl", 0) > 0


@pytest.mark.timeout(120)
def test_a_submission_folder_larger_than_the_cap_does_not_run(results, filesystem_cap, tmp_path: Path) -> None:
    folder = tmp_path / "big_submission"
    folder.mkdir()
    (folder / "main.py").write_text("print('RAN')\n")
    for i in range(5):
        (folder / f"data_{i}.bin").write_bytes(b"d" * (4 * MIB))  # 20 MiB against 16
    verified = run_submission(folder / "main.py", limits=LIMITS, workdir=folder)
    run = verified.evidence.run
    assert run.status is RunStatus.OUTPUT_LIMIT
    assert "exceeded the disk limit of 16 MiB" in run.message
    assert any("own files do not fit" in note for note in run.isolation_notes), run.isolation_notes
    assert "RAN" not in verified.evidence.printed
    ((result, _),) = results
    assert result.returncode is None and not result.run_dir.exists()


@pytest.mark.timeout(120)
def test_the_polled_fallback_is_recorded_and_still_stops_the_run(submission, results, monkeypatch) -> None:
    monkeypatch.setenv("GRADER_DISK_LIMIT", "poll")
    source = """
        import time
        for i in range(8):
            with open(f"f{i}.bin", "wb") as fh:
                fh.write(b"x" * (3 * 2**20))
        time.sleep(30)  # the poll stops it long before this ends
    """
    verified = run_submission(submission("poll.py", source), limits=LIMITS)
    run = verified.evidence.run
    assert run.status is RunStatus.OUTPUT_LIMIT, (run.message, run.log_tail[-2000:])
    assert "exceeded the disk limit of 16 MiB" in run.message
    assert any("measured against 16 MiB" in note and "GRADER_DISK_LIMIT=poll" in note
               for note in run.isolation_notes), run.isolation_notes
    assert run.duration_s < 25
    ((result, _),) = results
    assert result.disk_enforcement is DiskEnforcement.POLL and result.disk_peak_bytes > 16 * MIB


def test_results_json_names_the_limit(submission, filesystem_cap) -> None:
    """What a report shows: the notes travel into the run's JSON with the rest of the evidence."""
    verified = run_submission(submission("tiny.py", "print('hi')\n"), limits=LIMITS)
    data = json.loads(verified.evidence.model_dump_json())
    assert any(CAP_NOTE in note for note in data["run"]["isolation_notes"])


@pytest.mark.timeout(120)
def test_files_count_against_memory_and_the_notes_say_so(submission, filesystem_cap) -> None:
    """A tmpfs is memory: 480 MiB of files under a 200 MiB memory limit ends the run as memory_limit
    (its disk cap, 512 MiB, is not reached), and a note names the files as the cause."""
    source = """
        for n in range(60):
            with open(f"fill_{n}.bin", "wb") as fh:
                for _ in range(8):
                    fh.write(b"x" * 2**20)
        print("WROTE ALL")
    """
    limits = Limits(timeout_s=60, file_size_mb=128, memory_mb=200, cpus=1)
    run = run_submission(submission("files_in_memory.py", source), limits=limits).evidence.run
    assert run.status is RunStatus.MEMORY_LIMIT, (run.status, run.message)
    notes = run.isolation_notes
    assert any("counts against its memory limit of 200 MiB" in note for note in notes), notes
