"""What the verifier learns about a student's model travels as typed fields: a model trained on the test
split is flagged by a flag, not by a phrase; a saved model that does not load is a fault of the student's
evidence (phase verify), so the criteria that need its figures are errors, never failures."""

from __future__ import annotations

import textwrap

import pytest

from grader.checks.base import Outcome
from grader.evidence.model import RunStatus
from grader.faults import Culprit, Phase
from grader.grading.grade import grade as grade_against
from grader.rubric.loader import parse_rubric
from grader.verify.verified import VerificationStatus

pytestmark = pytest.mark.tf

TRAIN = """
    import os

    import keras

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train, y_train, x_test = x_train[:500] / 255.0, y_train[:500], x_test / 255.0
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(16, activation="relu"), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
"""

RUBRIC = parse_rubric("""
id: v
title: V
version: "1"
slots:
  - id: net
    title: The network
    match: {trained: true}
    metrics:
      - {id: net.test, metric: accuracy, split: test, expect: ">= 0.0"}
requirements:
  - {id: adam, optimizer: adam}
""")


def _script(*parts: str) -> str:
    return "\n".join(textwrap.dedent(part).strip("\n") for part in parts) + "\n"


def test_a_model_trained_on_the_test_split_is_flagged_by_a_typed_field(submission, grade) -> None:
    source = _script(TRAIN, "model.fit(x_test, y_test, epochs=1, verbose=0)\n")
    verified = grade(submission("on_test.py", source))
    assert verified.evidence.run.status is RunStatus.COMPLETED, verified.evidence.run.message
    (model,) = verified.evidence.models
    assert verified.trained_on_test == [model.id]
    assert verified.verification(model.id).trained_on_test is True
    assert [w for w in verified.evidence.warnings if w.startswith(f"model {model.id}:")]


def test_a_saved_model_that_does_not_load_is_the_students_fault_and_an_error(submission, grade) -> None:
    # The submission overwrites the model file the probe saved after its fit.
    source = _script(TRAIN, """
        model.fit(x_train, y_train, epochs=1, verbose=0)
        for root, _, files in os.walk(os.environ["GRADER_OUT"]):
            for name in files:
                if name.endswith(".keras"):
                    with open(os.path.join(root, name), "wb") as fh:
                        fh.write(b"not a keras file")
    """)
    verified = grade(submission("broken_file.py", source))
    assert verified.evidence.run.status is RunStatus.COMPLETED, verified.evidence.run.message
    (model,) = verified.evidence.models
    ver = verified.verification(model.id)
    assert ver is not None and ver.status is VerificationStatus.ERROR, ver and (ver.status, ver.message)
    assert ver.fault is not None and (ver.fault.phase, ver.fault.culprit) == (Phase.VERIFY, Culprit.STUDENT)
    assert verified.faults == ()  # the run itself went through: nothing kept the submission from running
    result = grade_against(verified, RUBRIC)
    test_acc = result.criterion("net.test")
    assert test_acc.outcome == Outcome.ERROR and test_acc.fault == ver.fault
    assert result.criterion("adam").outcome == Outcome.PASSED
    assert result.grader_faults == []  # not the grader's: the same files give the same fault
