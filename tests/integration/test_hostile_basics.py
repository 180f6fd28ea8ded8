"""Submissions that misbehave get a clear status and message; the grader neither hangs nor crashes,
and nothing they do reaches the host."""

from __future__ import annotations

import os
import resource
import time
import uuid
from pathlib import Path

import pytest

from grader.api import run_submission
from grader.evidence.model import Isolation, Limits, RunStatus
from grader.sandbox.isolation import SANDBOX_UID

REPO = Path(__file__).resolve().parents[2]

tf = pytest.mark.tf


def _processes_with(token: str) -> list[tuple[int, int]]:
    """(pid, uid) of every host process whose command line mentions `token`."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = Path(entry.path, "cmdline").read_bytes()
            uid = os.stat(entry.path).st_uid
        except OSError:
            continue
        if token.encode() in cmdline:
            found.append((int(entry.name), uid))
    return found


@tf
@pytest.mark.timeout(120)
def test_infinite_loop_times_out(submission, grade) -> None:
    started = time.monotonic()
    verified = grade(submission("loop.py", "while True:\n    pass\n"), limits=Limits(timeout_s=4))
    run = verified.evidence.run
    assert run.status is RunStatus.TIMEOUT
    assert "time limit" in run.message
    assert time.monotonic() - started < 30


@tf
@pytest.mark.timeout(120)
def test_memory_bomb_hits_the_memory_limit(submission, grade) -> None:
    source = """
        chunks = []
        while True:
            chunks.append(b"x" * (32 * 2**20))
    """
    verified = grade(submission("hog.py", source), limits=Limits(memory_mb=300, timeout_s=60))
    run = verified.evidence.run
    assert run.status is RunStatus.MEMORY_LIMIT
    assert "memory" in run.message
    assert run.duration_s < 30


@tf
@pytest.mark.timeout(120)
def test_fork_bomb_is_contained_and_leaves_no_process(submission, grade) -> None:
    token = f"forkbomb_{uuid.uuid4().hex[:12]}"
    source = """
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """
    started = time.monotonic()
    verified = grade(submission(f"{token}.py", source), limits=Limits(timeout_s=5, processes=64))
    run = verified.evidence.run
    assert run.status is RunStatus.TIMEOUT, run.message
    assert time.monotonic() - started < 30
    # The forked copies share the driver's command line, which names the submission file.
    deadline = time.monotonic() + 5
    while (left := _processes_with(token)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left == []
    # The grader is still fine: it can run the next submission.
    after = grade(submission("after.py", "print('still here')"), limits=Limits(timeout_s=30))
    assert after.evidence.run.status is RunStatus.COMPLETED
    assert "still here" in after.evidence.printed


@tf
@pytest.mark.timeout(120)
def test_network_is_unreachable(submission, grade, host_isolation) -> None:
    if host_isolation.level is Isolation.LIMITS_ONLY:
        pytest.skip("no network namespace on this host: " + "; ".join(host_isolation.notes))
    source = """
        import socket
        for address in [("1.1.1.1", 80), ("8.8.8.8", 53)]:
            try:
                socket.create_connection(address, timeout=3).close()
                print("CONNECTED", address)
            except OSError as exc:
                print("NO NETWORK", address, exc)
        try:
            print("RESOLVED", socket.gethostbyname("example.com"))
        except OSError as exc:
            print("NO DNS", exc)
    """
    verified = grade(submission("net.py", source), limits=Limits(timeout_s=60))
    ev = verified.evidence
    assert ev.run.status is RunStatus.COMPLETED
    assert "CONNECTED" not in ev.printed and "RESOLVED" not in ev.printed
    assert ev.printed.count("NO NETWORK") == 2
    assert "Network is unreachable" in ev.printed
    assert "NO DNS" in ev.printed


ATTEMPT = """
    def attempt(kind, path):
        try:
            if kind == "write":
                with open(path, "w") as fh:
                    fh.write("written by the submission")
            else:
                with open(path) as fh:
                    fh.read()
            print("ALLOWED", kind, path)
        except OSError as exc:
            print("REFUSED", kind, path, type(exc).__name__)
"""


@tf
@pytest.mark.timeout(120)
def test_writes_outside_the_work_folder_fail(submission, grade, tmp_path, needs_bwrap) -> None:
    token = uuid.uuid4().hex[:12]
    host_dir = tmp_path / "host"
    host_dir.mkdir()
    targets = [
        f"/etc/grader_{token}",
        f"/tmp/../root/grader_{token}",
        str(REPO / f"grader_{token}"),
        str(REPO / "grader" / f"grader_{token}"),
        str(REPO / ".venv" / f"grader_{token}"),
        str(host_dir / f"grader_{token}"),
        f"/usr/grader_{token}",
        f"/grader_{token}",
    ]
    source = ATTEMPT + "\n" + "\n".join(f"attempt('write', {t!r})" for t in targets) + "\nattempt('write', 'mine.txt')\n"
    verified = grade(submission("writer.py", source), limits=Limits(timeout_s=60))
    printed = verified.evidence.printed
    assert verified.evidence.run.status is RunStatus.COMPLETED
    for target in targets:
        assert f"REFUSED write {target}" in printed
        host_path = Path(os.path.normpath(target))
        assert not host_path.exists(), f"{host_path} was created on the host"
    assert "ALLOWED write mine.txt" in printed  # its own work folder is writable


@tf
@pytest.mark.timeout(120)
def test_reading_what_was_not_handed_over_fails(submission, grade, tmp_path, needs_bwrap) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the answer key")
    targets = [str(REPO / "pyproject.toml"), "/etc/shadow", str(secret), str(Path.home() / ".bashrc")]
    source = ATTEMPT + "\n" + "\n".join(f"attempt('read', {t!r})" for t in targets) + "\n"
    verified = grade(submission("reader.py", source), limits=Limits(timeout_s=60))
    printed = verified.evidence.printed
    assert verified.evidence.run.status is RunStatus.COMPLETED
    for target in targets:
        assert f"REFUSED read {target}" in printed
    assert "the answer key" not in printed


@tf
@pytest.mark.timeout(120)
def test_runs_as_an_unprivileged_user(submission, grade, host_isolation) -> None:
    if not host_isolation.drop_user:
        pytest.skip("the uid switch applies when the grader runs as root (with setpriv)")
    verified = grade(submission("whoami.py", "import os, pwd\nprint('UID', os.getuid(), pwd.getpwuid(os.getuid()).pw_name)\n"),
                     limits=Limits(timeout_s=60))
    assert f"UID {SANDBOX_UID} student" in verified.evidence.printed


@tf
@pytest.mark.timeout(120)
def test_gigabyte_print_loop_hits_the_output_limit(submission, grade) -> None:
    source = """
        line = "x" * 65535
        for _ in range(16384):  # 1 GiB
            print(line)
    """
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    verified = grade(submission("spam.py", source), limits=Limits(timeout_s=120, output_mb=16))
    run = verified.evidence.run
    assert run.status is RunStatus.OUTPUT_LIMIT
    assert "output" in run.message
    assert time.monotonic() - started < 30
    assert run.output_bytes < 2**30
    # The grader kept bounded slices of the stream, not the stream.
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) * 1024 < 128 * 2**20
    assert len(verified.evidence.printed) <= 2**20


FIT_THEN = """
    import os
    import sys
    import keras

    (x_train, y_train), _ = keras.datasets.mnist.load_data()
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train[:300] / 255.0, y_train[:300], epochs=1, verbose=0)
    print("fitted", flush=True)
    {exit}
    print("not reached")
"""


@tf
@pytest.mark.timeout(180)
@pytest.mark.parametrize("exit_call", ["sys.exit(3)", "os._exit(3)"])
def test_exit_mid_run_keeps_the_evidence_so_far(submission, grade, exit_call: str) -> None:
    from grader.verify.verified import VerificationStatus

    verified = grade(submission("quits.py", FIT_THEN.replace("{exit}", exit_call)))
    ev = verified.evidence
    assert ev.run.status is RunStatus.EXITED
    assert ev.run.exit_code == 3
    assert "3" in ev.run.message
    assert "fitted" in ev.printed and "not reached" not in ev.printed
    (model,) = ev.models
    (fit,) = model.fits
    assert fit.finished and fit.epochs_run == 1
    (ver,) = verified.verifications
    assert ver.status is VerificationStatus.VERIFIED
    assert ver.params is not None and ver.params.total == 7850


# -- submissions that cannot run at all: no sandbox, no TensorFlow ------------------------------


def test_notebook_that_is_not_json_is_invalid(tmp_path) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [ {"cell_type": "code", "source": "print(1)"')
    started = time.monotonic()
    ev = run_submission(path).evidence
    assert ev.run.status is RunStatus.INVALID
    assert "not valid JSON" in ev.run.message and "line 1" in ev.run.message
    assert ev.models == []
    assert time.monotonic() - started < 10


def test_empty_file_is_invalid(tmp_path) -> None:
    path = tmp_path / "empty.py"
    path.write_text("\n  \n")
    ev = run_submission(path).evidence
    assert ev.run.status is RunStatus.INVALID
    assert "empty" in ev.run.message


@tf
def test_python2_print_statement_is_invalid(submission, grade) -> None:
    verified = grade(submission("py2.py", 'import os\n\nprint "hello"\n'), limits=Limits(timeout_s=60))
    run = verified.evidence.run
    assert run.status is RunStatus.INVALID
    assert "line 3" in run.message and "print" in run.message
    assert run.script_error is not None and run.script_error.lineno == 3
