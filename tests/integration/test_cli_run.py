"""`grader run PATH`: the readable summary, the JSON form, and the exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.evidence.model import RunStatus
from grader.verify.verified import FigureStatus, VerificationStatus, VerifiedEvidence

pytestmark = pytest.mark.tf

SUBMISSIONS = Path(__file__).resolve().parents[1] / "fixtures" / "submissions"
GRADER = Path(sys.executable).with_name("grader")


def grader(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    assert GRADER.exists(), f"{GRADER} is missing: install the project (pip install -e .)"
    env = {k: v for k, v in os.environ.items() if k != "GRADER_DATASETS"}
    return subprocess.run([str(GRADER), *args], capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def functional_json(dataset_store) -> subprocess.CompletedProcess[str]:
    return grader("run", str(SUBMISSIONS / "keras_functional.py"), "--json", "--datasets", str(dataset_store.root), "--cpus", "2")


def test_run_prints_a_readable_summary(dataset_store, tmp_path: Path, host_isolation) -> None:
    keep = tmp_path / "kept"
    proc = grader("run", str(SUBMISSIONS / "keras_standalone.py"), "--datasets", str(dataset_store.root),
                  "--cpus", "2", "--keep", str(keep))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "keras_standalone.py (script)" in out
    assert "status:    completed: the run completed" in out
    assert f"isolation: {host_isolation.level.value}" in out
    assert "datasets:  mnist" in out
    assert "models:    1" in out
    assert "[sequential] 3 layers, 19,090 trainable params; Adam, sparse_categorical_crossentropy; 3/3 epochs" in out
    assert "verification: verified" in out
    assert "test accuracy" in out and "(verified)" in out
    assert (keep / "events.jsonl").is_file() and (keep / "models" / "m1_fit0.keras").is_file()


def test_run_json_parses_into_verified_evidence(functional_json) -> None:
    assert functional_json.returncode == 0, functional_json.stderr
    verified = VerifiedEvidence.model_validate_json(functional_json.stdout)
    ev = verified.evidence
    assert ev.run.status is RunStatus.COMPLETED
    assert ev.submission.path.endswith("keras_functional.py") and ev.submission.kind == "script"
    (model,) = ev.models
    assert model.kind == "functional" and model.params is not None and model.params.total == 12730
    ver = verified.verification(model.id)
    assert ver is not None and ver.status is VerificationStatus.VERIFIED
    test_acc = ver.figure("accuracy", "test")
    assert test_acc is not None and test_acc.status is FigureStatus.VERIFIED
    assert verified.verifier_versions.get("keras")


def test_failed_run_exits_1(dataset_store, tmp_path: Path) -> None:
    script = tmp_path / "crash.py"
    script.write_text("print('starting')\nraise ValueError('bad shape')\n")
    proc = grader("run", str(script), "--datasets", str(dataset_store.root), "--cpus", "2")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "status:    crashed: the script raised ValueError: bad shape (line 2)" in proc.stdout
    assert "models:    0" in proc.stdout

    proc = grader("run", str(script), "--json", "--datasets", str(dataset_store.root), "--cpus", "2")
    assert proc.returncode == 1
    verified = VerifiedEvidence.model_validate_json(proc.stdout)
    assert verified.evidence.run.status is RunStatus.CRASHED
    assert verified.evidence.run.script_error is not None and verified.evidence.run.script_error.lineno == 2


def test_timeout_option_exits_1(dataset_store, tmp_path: Path) -> None:
    script = tmp_path / "spin.py"
    script.write_text("while True:\n    pass\n")
    proc = grader("run", str(script), "--datasets", str(dataset_store.root), "--timeout", "3", "--cpus", "2")
    assert proc.returncode == 1
    assert "status:    timeout" in proc.stdout


def test_invalid_submission_exits_1(tmp_path: Path) -> None:
    script = tmp_path / "empty.py"
    script.write_text("")
    proc = grader("run", str(script), "--json")
    assert proc.returncode == 1
    assert VerifiedEvidence.model_validate_json(proc.stdout).evidence.run.status is RunStatus.INVALID
