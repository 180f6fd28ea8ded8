"""`grader rubric draft`: a reference run in the real sandbox on synthetic MNIST, drafted into a rubric that
loads, and on which the same reference earns full marks.

To save the two shared cores, the reference runs once per test and the draft is graded on that same
VerifiedEvidence (exactly what `grader rubric test` would do after running the reference again).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.checks.base import Outcome
from grader.grading.grade import grade as grade_with
from grader.rubric import load_rubric, resolve_rubric
from grader.rubric.draft import draft_rubric

pytestmark = pytest.mark.tf

ROOT = Path(__file__).resolve().parents[2]
GRADER = Path(sys.executable).with_name("grader")
# A small reference: two dense networks (big and small) with validation, curves, and their parameters printed.
SMALL_REFERENCE = '''
import keras, matplotlib.pyplot as plt
from keras import layers
(x, y), (xt, yt) = keras.datasets.mnist.load_data()
x, xt = x.reshape(-1, 784).astype("float32") / 255, xt.reshape(-1, 784).astype("float32") / 255
y, yt = keras.utils.to_categorical(y, 10), keras.utils.to_categorical(yt, 10)
for name, units in (("wide", 400), ("narrow", 30)):
    model = keras.Sequential([keras.Input((784,)), layers.Dense(units, activation="sigmoid"),
                              layers.Dense(10, activation="softmax")], name=name)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=128, validation_split=0.1, verbose=0)
    model.evaluate(xt, yt, verbose=0)
    print(f"{name}: {model.count_params()} trainable parameters")
    plt.plot(history.history["accuracy"], label="training"); plt.plot(history.history["val_accuracy"], label="validation")
    plt.legend(); plt.show()
'''


def test_drafting_the_nn_basics_reference_gives_a_rubric_it_passes_close_to_the_bundled_one(grade, tmp_path: Path) -> None:
    reference = ROOT / "reference" / "nn-basics-keras" / "nn_basics_keras.ipynb"
    verified = grade(reference)
    draft = draft_rubric(verified, rubric_id="nn-basics-keras", title="Neural network basics in Keras",
                         reference=reference.name)
    out = tmp_path / "draft.yaml"
    out.write_text(draft.text, encoding="utf-8")
    rubric = load_rubric(out)  # the schema and the references between criteria
    result = grade_with(verified, rubric)
    assert result.percent == 100.0, [(c.id, c.message) for c in result.criteria if c.outcome != Outcome.PASSED]
    # Close to the bundled rubric: the same six roles, the same shared rules, a bar on the best network.
    bundled = load_rubric(resolve_rubric("nn-basics-keras"))
    assert len(rubric.slots) == len(bundled.slots) == 6
    assert {r.id for r in rubric.requirements} == {"general.activation", "general.optimizer", "general.loss",
                                                   "general.epochs", "general.validation"}
    assert any(a.artifact == "training_curves" for a in rubric.artifacts)
    best = next(s for s in rubric.slots if s.id == "three_hidden_best")
    assert {m.split for m in best.metrics} == {"validation", "test"}
    # The bundled rubric's own reference grading: each draft slot is filled by the model it was drafted from.
    assert {s.slot: s.model_name for s in result.slots} == {
        "one_hidden_big": "one_hidden_big", "one_hidden_small": "one_hidden_small", "deep_tiny": "deep_tiny",
        "deep_narrow": "deep_narrow", "deep_wide": "deep_wide", "three_hidden_best": "three_hidden_best"}


def test_the_draft_command_writes_a_rubric_that_validates(dataset_store, tmp_path: Path) -> None:
    reference = tmp_path / "small_reference.py"
    reference.write_text(SMALL_REFERENCE, encoding="utf-8")
    out = tmp_path / "small.yaml"
    env = {k: v for k, v in os.environ.items() if k != "GRADER_DATASETS"}
    proc = subprocess.run([str(GRADER), "rubric", "draft", str(reference), "--out", str(out), "--datasets",
                           str(dataset_store.root), "--timeout", "600"], capture_output=True, text=True, timeout=600,
                          env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"wrote {out}: 2 slot(s)" in proc.stdout
    rubric = load_rubric(out)
    assert rubric.id == "small-reference"
    match = {s.id: s.match for s in rubric.slots}
    assert match["wide"].trainable_params.min is not None and match["narrow"].trainable_params.lt is not None
    assert "# the reference's model has" in out.read_text("utf-8")
    valid = subprocess.run([str(GRADER), "rubric", "validate", str(out)], capture_output=True, text=True, timeout=120)
    assert valid.returncode == 0, valid.stderr
