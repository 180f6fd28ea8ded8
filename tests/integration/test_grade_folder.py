"""`grader grade` on a small class: killed with SIGKILL after its first stored result, it resumes
and ends with the same results as an uninterrupted run, having run each submission once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.tf

SCRIPT = """
import keras
from keras import layers
keras.utils.set_random_seed(0)
(x, y), (xt, yt) = keras.datasets.mnist.load_data()
x, y, xt, yt = x[:300] / 255.0, y[:300], xt[:200] / 255.0, yt[:200]
model = keras.Sequential([keras.Input((28, 28)), layers.Flatten(),
                          layers.Dense({units}, activation="{act}"), layers.Dense(10, activation="softmax")])
model.compile(optimizer="{opt}", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=2, batch_size=64, validation_split=0.1, verbose=0)
print(model.evaluate(xt, yt, verbose=0))
"""
RUBRIC = """
id: tiny-class
title: Tiny class
version: "1"
requirements:
  - {id: sgd, title: SGD, optimizer: sgd, points: 2}
  - {id: sigmoid, title: Sigmoid hidden layers, hidden_activation: sigmoid, points: 1}
"""
# Fields that differ between two runs of the same code on a busy machine.
VOLATILE = {"duration_s", "seconds", "epoch_seconds", "peak_memory_mb", "log_tail", "isolation_notes", "path",
            "output_bytes", "time"}  # time: when a grade history entry (grader.review) was recorded


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("klass")
    folder = root / "class"
    folder.mkdir()
    for name, units, act, opt in (("ann", 16, "sigmoid", "sgd"), ("bob", 8, "relu", "adam"),
                                  ("cy", 12, "sigmoid", "sgd"), ("dee", 10, "sigmoid", "adam")):
        (folder / f"{name}.py").write_text(SCRIPT.format(units=units, act=act, opt=opt))
    (root / "rubric.yaml").write_text(RUBRIC)
    return root


def grade_cmd(klass: Path, datasets: Path, tag: str) -> list[str]:
    return [sys.executable, "-m", "grader.cli.grade", str(klass / "class"), "--rubric", str(klass / "rubric.yaml"),
            "--jobs", "2", "--datasets", str(datasets), "--out", str(klass / f"out-{tag}"), "--format", "json,csv"]


def stored_runs(store: Path) -> list[str]:
    if not store.exists():
        return []
    try:
        with sqlite3.connect(store, timeout=5) as db:
            return [row[0] for row in db.execute("SELECT submission FROM runs")]
    except sqlite3.OperationalError:  # the table is not there yet
        return []


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def normalised(value: Any) -> Any:
    if isinstance(value, dict):
        out = {k: normalised(v) for k, v in value.items() if k not in VOLATILE}
        if "warnings" in out:  # whether a lingering process needed killing at the end depends on timing
            out["warnings"] = [w for w in out["warnings"] if "still running after the run" not in w]
        return out
    if isinstance(value, list):
        return [normalised(v) for v in value]
    return value


def results(out: Path) -> dict[str, Any]:
    return {p.stem: normalised(json.loads(p.read_text())) for p in sorted((out / "results").glob("*.json"))}


def test_killed_class_resumes_to_the_same_results_running_each_submission_once(klass: Path, dataset_store) -> None:
    datasets = dataset_store.root
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}

    t0 = time.perf_counter()
    full = subprocess.run(grade_cmd(klass, datasets, "full"), env=env, capture_output=True, text=True, timeout=500)
    full_s = time.perf_counter() - t0
    assert full.returncode == 0, full.stdout + full.stderr
    assert "graded 4 submission(s)" in full.stdout and "4 run" in full.stdout

    store = klass / "out-resumed" / "results.sqlite"
    proc = subprocess.Popen(grade_cmd(klass, datasets, "resumed"), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.monotonic() + 300
    family: set[int] = set()
    while not stored_runs(store):
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        assert time.monotonic() < deadline, "no result was stored in time"
        family |= descendants(proc.pid)
        time.sleep(0.2)
    family |= descendants(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    first = stored_runs(store)
    assert 1 <= len(first) < 4
    # Workers, sandboxes and verifiers go down with the grader.
    end = time.monotonic() + 60
    while any(alive(p) for p in family) and time.monotonic() < end:
        time.sleep(0.5)
    assert not [p for p in family if alive(p)], "processes outlived the killed grader"

    resumed = subprocess.run(grade_cmd(klass, datasets, "resumed"), env=env, capture_output=True, text=True,
                             timeout=500)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"{4 - len(first)} to run" in resumed.stderr
    runs = stored_runs(store)
    assert len(runs) == 4 and len(set(runs)) == 4, "a submission ran twice"
    assert runs[:len(first)] == first

    a, b = results(klass / "out-full"), results(klass / "out-resumed")
    assert set(a) == {"ann", "bob", "cy", "dee"}
    assert {k: (v["score"], v["status"]) for k, v in a.items()} == {
        "ann": (3, "passed"), "bob": (0, "failed"), "cy": (3, "passed"), "dee": (1, "failed")}
    assert a == b

    # Unchanged: everything comes from the store, quickly.
    t0 = time.perf_counter()
    again = subprocess.run(grade_cmd(klass, datasets, "resumed"), env=env, capture_output=True, text=True, timeout=120)
    cached_s = time.perf_counter() - t0
    assert again.returncode == 0 and "4 unchanged" in again.stdout
    assert len(stored_runs(store)) == 4
    print(f"\nfull run {full_s:.1f} s; cached re-grade of 4 {cached_s:.2f} s (process start included)")


def test_a_student_folder_runs_every_file_together_and_merges_them(tmp_path: Path, dataset_store) -> None:
    """Two scripts and a data file in one student's folder: both run, beside the data, graded as one."""
    from grader.pipeline.classgrade import grade_folder
    from grader.rubric.loader import parse_rubric

    student = tmp_path / "class" / "eve"
    student.mkdir(parents=True)
    (student / "settings.txt").write_text("8\n")  # read by part2 from its own folder
    (student / "part1.py").write_text(SCRIPT.format(units=16, act="sigmoid", opt="sgd"))
    (student / "part2.py").write_text(SCRIPT.format(units="int(open('settings.txt').read())", act="sigmoid",
                                                    opt="sgd"))
    rubric = parse_rubric(RUBRIC)
    graded = grade_folder(tmp_path / "class", rubric=rubric, jobs=1, datasets=dataset_store, out=tmp_path / "out",
                          formats=("html", "json"), gpus=[])
    (only,) = graded.results
    ev = only.result.evidence.evidence
    assert only.how == "ran" and ev.run.status.value == "completed", ev.run.message
    assert [m.id for m in ev.models] == ["m1", "m2"]
    assert [m.layers[1].units for m in ev.models] == [16, 8]
    assert [v.model_id for v in only.result.evidence.verifications] == ["m1", "m2"]
    assert all(v.status.value == "verified" for v in only.result.evidence.verifications)
    assert ev.run.message == "all 2 files ran to the end" and ev.submission.path == "eve"
    assert only.result.score == 3 and graded.exit_code == 0
    saved = [m.fits[0].saved_model for m in ev.models]
    assert saved[0].startswith("part1/") and saved[1].startswith("part2/")
    assert all((only.figures_dir / s).is_file() for s in saved)
    assert (tmp_path / "out" / "eve.html").is_file()
