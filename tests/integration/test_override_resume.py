"""Overrides and grade history survive `grader grade` killed with SIGKILL mid-class, and the resumed class applies
the override and records each change exactly once."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.tf

SCRIPT = """
import keras
from keras import layers
keras.utils.set_random_seed({seed})
(x, y), (xt, yt) = keras.datasets.mnist.load_data()
x, y, xt, yt = x[:300] / 255.0, y[:300], xt[:200] / 255.0, yt[:200]
model = keras.Sequential([keras.Input((28, 28)), layers.Flatten(),
                          layers.Dense(8, activation="{act}"), layers.Dense(10, activation="softmax")])
model.compile(optimizer="{opt}", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=1, batch_size=64, verbose=0)
"""
RUBRIC = """
id: tiny-class
title: Tiny class
version: "1"
requirements:
  - {id: sgd, title: SGD, optimizer: sgd, points: 2}
  - {id: sigmoid, title: Sigmoid hidden layers, hidden_activation: sigmoid, points: 1}
"""
ENV = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
STUDENTS = {"ann": ("sigmoid", "sgd"), "bob": ("relu", "adam"), "cy": ("sigmoid", "adam")}


def grade_cmd(root: Path, datasets: Path) -> list[str]:
    return [sys.executable, "-m", "grader.cli.grade", str(root / "class"), "--rubric", str(root / "rubric.yaml"),
            "--jobs", "1", "--datasets", str(datasets), "--out", str(root / "out"), "--format", "json,csv"]


def table(store: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(store, timeout=30) as db:
        return list(db.execute(sql))


def history(store: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for student, reason in table(store, "SELECT student, reason FROM history ORDER BY id"):
        out.setdefault(student, []).append(reason)
    return out


def write_class(root: Path, seed: int) -> None:
    for name, (act, opt) in STUDENTS.items():
        (root / "class" / f"{name}.py").write_text(SCRIPT.format(seed=seed, act=act, opt=opt))


def test_overrides_and_history_survive_a_kill_and_a_resume(tmp_path: Path, dataset_store) -> None:
    root, datasets = tmp_path, dataset_store.root
    (root / "class").mkdir()
    (root / "rubric.yaml").write_text(RUBRIC)
    write_class(root, seed=0)
    first = subprocess.run(grade_cmd(root, datasets), env=ENV, capture_output=True, text=True, timeout=500)
    assert first.returncode == 0, first.stdout + first.stderr
    store = root / "out" / "results.sqlite"
    overridden = subprocess.run([sys.executable, "-m", "grader", "override", "bob", "sgd", "--verdict", "passed",
                                 "--comment", "Adam was allowed", "--reviewer", "ta-jane", "--grades",
                                 str(root / "out")], env=ENV, capture_output=True, text=True, timeout=120)
    assert overridden.returncode == 0, overridden.stdout + overridden.stderr
    before = history(store)
    assert before == {"ann": ["new_submission"], "bob": ["new_submission", "override"], "cy": ["new_submission"]}
    overrides = table(store, "SELECT student, criterion, override FROM overrides")

    write_class(root, seed=1)  # every student hands in again: three runs, killed after the first is stored
    runs = len(table(store, "SELECT id FROM runs"))
    proc = subprocess.Popen(grade_cmd(root, datasets), env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 300
    while len(table(store, "SELECT id FROM runs")) == runs:
        assert proc.poll() is None, "the class finished before it could be killed"
        assert time.monotonic() < deadline, "no new run was stored in time"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert table(store, "SELECT student, criterion, override FROM overrides") == overrides
    assert history(store) == before  # nothing half-written; the killed class recorded no grade

    resumed = subprocess.run(grade_cmd(root, datasets), env=ENV, capture_output=True, text=True, timeout=500)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    after = history(store)
    assert after == {"ann": ["new_submission", "new_submission"],
                     "bob": ["new_submission", "override", "new_submission"],
                     "cy": ["new_submission", "new_submission"]}
    bob = json.loads((root / "out" / "results" / "bob.json").read_text())
    sgd = next(c for c in bob["criteria"] if c["id"] == "sgd")
    assert sgd["override"]["applied"] and sgd["points"] == 2 and sgd["override"]["reviewer"] == "ta-jane"
    assert bob["score"] == 2  # relu: the sigmoid criterion fails; sgd is the TA's
    rows = {r["Student"]: r for r in csv.DictReader((root / "out" / "gradebook.csv").read_text(encoding="utf-8-sig")
                                                    .splitlines())}
    assert float(rows["bob"]["sgd"]) == 2 and float(rows["bob"]["Total"]) == 2 and float(rows["cy"]["sgd"]) == 0

    again = subprocess.run(grade_cmd(root, datasets), env=ENV, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert history(store) == after  # nothing changed: nothing recorded twice
    assert len(table(store, "SELECT id FROM runs")) == runs + 3  # each new submission ran once
