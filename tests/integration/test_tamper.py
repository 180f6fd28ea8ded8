"""A submission controls everything inside its sandbox, the evidence log and the probe included.
Whatever it forges, the verified figures are the grader's own measurements, and a forged
report shows up as a mismatch."""

from __future__ import annotations

import textwrap

import pytest

from grader.evidence.model import RunStatus
from grader.verify.verified import FigureStatus, VerificationStatus

pytestmark = pytest.mark.tf

TRAIN = """
    import json
    import os

    import keras
    import numpy as np

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train, y_train, x_test = x_train[:500] / 255.0, y_train[:500], x_test / 255.0
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(16, activation="relu"), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=2, validation_split=0.2, verbose=0)
    log = os.path.join(os.environ["GRADER_OUT"], "events.jsonl")
"""

# The forger copies the probe's genuine records (so fingerprints and ids all line up) and
# changes only the figures.
FORGE = """
    def forged_lines():
        lines = []
        for line in open(log):
            event = json.loads(line)
            if event["event"] == "evaluate":
                event["evaluate"]["results"]["accuracy"] = 0.99
                event["evaluate"]["results"]["loss"] = 0.01
            elif event["event"] == "fit":
                event["fit"]["history"]["val_accuracy"] = [0.99] * len(event["fit"]["history"]["val_accuracy"])
            else:
                continue
            event["model"]["params"]["total"] += 1000
            lines.append(json.dumps(event) + "\\n")
        return lines
"""

TRUE_ACCURACY = """
    true_accuracy = float(np.mean(model.predict(x_test, verbose=0).argmax(axis=1) == y_test))
    print("TRUE_ACCURACY", true_accuracy)
"""


def _script(*parts: str) -> str:
    return "\n".join(textwrap.dedent(part).strip("\n") for part in parts) + "\n"


def _true_accuracy(printed: str) -> float:
    line = next(line for line in printed.splitlines() if line.startswith("TRUE_ACCURACY "))
    return float(line.split()[1])


def _only_model(verified):
    ev = verified.evidence
    assert ev.run.status is RunStatus.COMPLETED, (ev.run.message, ev.run.log_tail)
    (model,) = ev.models
    ver = verified.verification(model.id)
    assert ver is not None and ver.status is VerificationStatus.VERIFIED, ver and ver.message
    return model, ver


def test_appended_forged_events_are_flagged(submission, grade) -> None:
    source = _script(TRAIN, TRUE_ACCURACY, """
        model.evaluate(x_test, y_test, verbose=0)
    """, FORGE, """
        with open(log, "a") as fh:
            fh.writelines(forged_lines())
        print("accuracy: 0.99")
    """)
    verified = grade(submission("append.py", source))
    model, ver = _only_model(verified)
    truth = _true_accuracy(verified.evidence.printed)
    # Both the genuine and the forged evaluate are on record; the forged one is the last.
    assert [e.results["accuracy"] for e in model.evaluations][-1] == 0.99
    test_acc = ver.figure("accuracy", "test")
    assert test_acc is not None and test_acc.status is FigureStatus.MISMATCH
    assert test_acc.reported == 0.99
    assert test_acc.verified == pytest.approx(truth, abs=1e-3) and test_acc.value == test_acc.verified
    val_acc = ver.figure("accuracy", "validation")
    assert val_acc is not None and val_acc.status is FigureStatus.MISMATCH and val_acc.reported == 0.99
    assert val_acc.verified is not None and val_acc.verified < 0.99
    total = ver.figure("params.total")
    assert total is not None and total.status is FigureStatus.MISMATCH
    assert total.verified == 16 * 784 + 16 + 10 * 16 + 10 and total.gap == -1000


def test_overwritten_event_log_is_flagged(submission, grade) -> None:
    source = _script(TRAIN, TRUE_ACCURACY, """
        model.evaluate(x_test, y_test, verbose=0)
    """, FORGE, """
        forged = forged_lines()
        with open(log, "w") as fh:
            fh.writelines(forged)
    """)
    verified = grade(submission("overwrite.py", source))
    model, ver = _only_model(verified)
    truth = _true_accuracy(verified.evidence.printed)
    assert [e.results["accuracy"] for e in model.evaluations] == [0.99]
    test_acc = ver.figure("accuracy", "test")
    assert test_acc is not None and test_acc.status is FigureStatus.MISMATCH
    assert test_acc.verified == pytest.approx(truth, abs=1e-3)
    val_acc = ver.figure("accuracy", "validation")
    assert val_acc is not None and val_acc.status is FigureStatus.MISMATCH and val_acc.reported == 0.99


def test_patched_evaluate_does_not_reach_the_verified_figure(submission, grade) -> None:
    source = _script(TRAIN, TRUE_ACCURACY, """
        keras.Model.evaluate = lambda self, *args, **kwargs: [0.0, 0.99]
        loss, accuracy = model.evaluate(x_test, y_test)
        print("test accuracy:", accuracy)
    """)
    verified = grade(submission("patched_evaluate.py", source))
    model, ver = _only_model(verified)
    truth = _true_accuracy(verified.evidence.printed)
    assert "test accuracy: 0.99" in verified.evidence.printed
    assert model.evaluations == []  # the probe's wrapper was replaced, so nothing was reported
    test_acc = ver.figure("accuracy", "test")
    assert test_acc is not None and test_acc.reported is None
    assert test_acc.status is FigureStatus.VERIFIED
    assert test_acc.verified == pytest.approx(truth, abs=1e-3) and test_acc.verified != 0.99


def test_patched_probe_reports_are_flagged(submission, grade) -> None:
    source = _script(TRAIN, TRUE_ACCURACY, """
        import grader_probe.events

        real_emit = grader_probe.events.emit

        def emit(event, **data):
            if event == "evaluate":
                data["evaluate"]["results"]["accuracy"] = 0.99
            return real_emit(event, **data)

        grader_probe.events.emit = emit
        model.evaluate(x_test, y_test, verbose=0)
    """)
    verified = grade(submission("patched_probe.py", source))
    model, ver = _only_model(verified)
    truth = _true_accuracy(verified.evidence.printed)
    assert [e.results["accuracy"] for e in model.evaluations] == [0.99]
    test_acc = ver.figure("accuracy", "test")
    assert test_acc is not None and test_acc.status is FigureStatus.MISMATCH
    assert test_acc.reported == 0.99
    assert test_acc.verified == pytest.approx(truth, abs=1e-3)


def test_mutated_history_does_not_change_the_record(submission, grade) -> None:
    source = _script(TRAIN, """
        genuine = list(history.history["val_accuracy"])
        history.history["val_accuracy"] = [0.99] * len(genuine)
        print("GENUINE", json.dumps(genuine))
        import matplotlib.pyplot as plt
        plt.plot(history.history["val_accuracy"], label="validation")
        plt.xlabel("epoch")
        plt.ylabel("accuracy")
        plt.savefig("curve.png")
    """)
    verified = grade(submission("mutated_history.py", source))
    model, ver = _only_model(verified)
    genuine_line = next(line for line in verified.evidence.printed.splitlines() if line.startswith("GENUINE "))
    genuine = [float(v) for v in genuine_line[len("GENUINE "):].strip("[]").split(",")]
    (fit,) = model.fits
    assert fit.history["val_accuracy"] == genuine  # the probe keeps its own copy of each epoch
    val_acc = ver.figure("accuracy", "validation")
    assert val_acc is not None and val_acc.status is FigureStatus.VERIFIED
    assert val_acc.reported == genuine[-1]
    assert val_acc.verified == pytest.approx(genuine[-1], abs=1e-6)
    # The plot shows what the submission drew: it is reported data, never a verified figure.
    (figure,) = verified.evidence.figures
    assert figure.axes[0].lines[0].y == [0.99] * len(genuine)
