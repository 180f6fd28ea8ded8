"""Submissions run under a second interpreter (.venv-course, made by `make setup`) and under the
legacy tf-keras runtime: the run really used that interpreter, the models were captured and verified,
and the grade and the results store follow."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from submission_files import write_submission

from grader.api import run_submission
from grader.pipeline.classgrade import grade_folder
from grader.evidence.model import RunStatus
from grader.grading.grade import grade
from grader.grading.result import GradeStatus
from grader.rubric.loader import parse_rubric
from grader.render.run_summary import render_run
from grader.verify.verified import VerificationStatus

pytestmark = pytest.mark.tf

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / ".venv-course"

KERAS3 = """
import keras
from keras import layers
keras.utils.set_random_seed(0)
(x, y), (xt, yt) = keras.datasets.mnist.load_data()
x, y, xt, yt = x[:600] / 255.0, y[:600], xt[:300] / 255.0, yt[:300]
model = keras.Sequential([keras.Input((28, 28)), layers.Flatten(), layers.Dense(16, activation="sigmoid"),
                          layers.Dense(10, activation="softmax")])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.fit(x, y, epochs=2, batch_size=64, validation_split=0.1, verbose=0)
print(model.evaluate(xt, yt, verbose=0))
"""

# Keras 2 era: standalone keras, lr=, input_shape=, the 'acc' metric name and history['acc'].
KERAS2 = """
import keras
from keras.models import Sequential
from keras.layers import Dense, Flatten
from keras.optimizers import SGD
from keras.datasets import mnist
(x, y), (xt, yt) = mnist.load_data()
x, y, xt, yt = x[:600] / 255.0, y[:600], xt[:300] / 255.0, yt[:300]
model = Sequential([Flatten(input_shape=(28, 28)), Dense(16, activation="sigmoid"), Dense(10, activation="softmax")])
model.compile(optimizer=SGD(lr=0.5), loss="sparse_categorical_crossentropy", metrics=["acc"])
history = model.fit(x, y, epochs=2, batch_size=64, validation_split=0.1, verbose=0)
print("final training accuracy", history.history["acc"][-1], "validation", history.history["val_acc"][-1])
print("keras module", keras.__name__)
print(model.evaluate(xt, yt, verbose=0))
"""

RUBRIC = """
id: course-env
title: Course environment
version: "1"
requirements:
  - {id: sgd, title: SGD, optimizer: sgd, points: 2}
  - {id: sigmoid, title: Sigmoid hidden layers, hidden_activation: sigmoid, points: 1}
"""


@pytest.fixture(scope="module")
def course_python() -> tuple[str, str]:
    """(interpreter path as the grader runs it, its version)."""
    exe = COURSE / "bin" / "python3"
    if not exe.exists():
        pytest.skip(f"{COURSE} is missing: `make setup` creates it (scripts/make-course-env.sh)")
    version = subprocess.run([str(exe), "-c", "import sys; print(sys.version.split()[0])"], capture_output=True,
                             text=True, check=True).stdout.strip()
    return str(exe), version


def test_a_submission_runs_under_the_course_interpreter(tmp_path: Path, course_python: tuple[str, str]) -> None:
    exe, version = course_python
    script = write_submission(tmp_path, "hw.py", KERAS3)
    verified = run_submission(script, datasets="synthetic", python=COURSE, cpus=2)
    run = verified.evidence.run
    assert run.status == RunStatus.COMPLETED, run.log_tail[-2000:]
    # The probe inside reports the interpreter it ran in; the grader adds the one it chose.
    assert run.versions["python_executable"] == exe and run.versions["interpreter"] == exe
    assert run.versions["python"] == version and run.python == version
    assert run.versions["runtime"] == "keras" and run.versions["keras"].startswith("3.")
    assert run.versions["tensorflow"] and run.versions["numpy"]
    [model] = verified.evidence.models
    assert [layer.class_name for layer in model.layers] == ["Flatten", "Dense", "Dense"]
    assert model.params is not None and model.params.trainable == 784 * 16 + 16 + 16 * 10 + 10
    assert model.fits[0].epochs_run == 2 and "val_accuracy" in model.fits[0].history
    [check] = verified.verifications
    assert check.status == VerificationStatus.VERIFIED, check.message
    assert verified.verifier_versions["interpreter"] == exe and verified.verifier_versions["python"] == version
    assert f"Python {version} ({exe})" in render_run(verified)
    result = grade(verified, parse_rubric(RUBRIC))
    assert result.status == GradeStatus.PASSED and result.score == 3


def test_the_legacy_runtime_runs_keras2_code_natively(tmp_path: Path, course_python: tuple[str, str]) -> None:
    exe, _ = course_python
    script = write_submission(tmp_path, "hw2.py", KERAS2)
    verified = run_submission(script, datasets="synthetic", python=str(COURSE), runtime="tf-keras", cpus=2,
                              keep_files=tmp_path / "kept")
    run = verified.evidence.run
    assert run.status == RunStatus.COMPLETED, run.log_tail[-2000:]
    assert "keras module tf_keras" in verified.evidence.printed  # `import keras` gave Keras 2
    assert run.versions["keras_runtime"] == "tf-keras" and run.versions["runtime"] == "tf-keras"
    assert run.versions["tf_keras"].split(".")[:2] == run.versions["tensorflow"].split(".")[:2]
    assert "keras" not in run.versions  # Keras 3 was never imported
    assert run.versions["interpreter"] == exe
    [model] = verified.evidence.models
    assert [layer.class_name for layer in model.layers] == ["Flatten", "Dense", "Dense"]
    assert model.params is not None and model.params.trainable == 784 * 16 + 16 + 16 * 10 + 10
    assert model.optimizer is not None and model.optimizer.class_name == "SGD"
    # tf_keras's optimizers accept lr= with a deprecation warning and keep their default learning rate:
    # the evidence records what training actually used.
    assert model.optimizer.learning_rate == pytest.approx(0.01)
    fit = model.fits[0]
    assert fit.epochs_run == 2 and len(fit.history["acc"]) == 2 and len(fit.history["val_acc"]) == 2
    assert model.evaluations and "acc" in model.evaluations[0].results
    assert fit.saved_model and (tmp_path / "kept" / fit.saved_model).is_file()  # tf_keras's own .keras format
    [check] = verified.verifications
    # The verifier runs under the same interpreter and runtime, so tf_keras reads what tf_keras wrote.
    assert check.status == VerificationStatus.VERIFIED, check.message
    assert verified.verifier_versions["keras_module"] == "tf_keras"
    assert check.figure("accuracy", "test") is not None
    result = grade(verified, parse_rubric(RUBRIC))
    assert result.status == GradeStatus.PASSED and result.score == 3


def test_the_store_keeps_environments_apart(tmp_path: Path, course_python: tuple[str, str]) -> None:
    exe, version = course_python
    folder = tmp_path / "class"
    write_submission(folder, "ann.py", KERAS3)
    (tmp_path / "rubric.yaml").write_text(RUBRIC)
    store = tmp_path / "results.sqlite"
    kw = dict(rubric=tmp_path / "rubric.yaml", store=store, datasets="synthetic", formats=(), cores=2)
    first = grade_folder(folder, python=COURSE, **kw)
    assert [r.how for r in first.results] == ["ran"]
    assert first.results[0].result.evidence.evidence.run.versions["interpreter"] == exe
    assert first.results[0].result.score == 3
    again = grade_folder(folder, python=COURSE, **kw)
    assert [r.how for r in again.results] == ["cached"]
    legacy = grade_folder(folder, python=COURSE, runtime="tf-keras", **kw)  # another environment: runs again
    assert [r.how for r in legacy.results] == ["ran"]
    assert legacy.results[0].result.evidence.evidence.run.versions["runtime"] == "tf-keras"


def test_a_notebook_kernel_runs_under_the_course_interpreter(tmp_path: Path, course_python: tuple[str, str]) -> None:
    exe, version = course_python
    cells = [*KERAS3.strip().split("\nmodel.fit")[0:1], "model.fit(x, y, epochs=1, batch_size=64, verbose=0)",
             "import sys; print('kernel', sys.executable)"]
    notebook = write_submission(tmp_path, "hw.ipynb", cells)
    verified = run_submission(notebook, datasets="synthetic", python=COURSE, cpus=2)
    run = verified.evidence.run
    assert run.status == RunStatus.COMPLETED, run.log_tail[-2000:]
    assert f"kernel {exe}" in verified.evidence.printed
    assert run.versions["python_executable"] == exe and run.versions["python"] == version
    assert len(verified.evidence.models) == 1 and verified.evidence.models[0].fits[0].epochs_run == 1
