"""`grade_folder` on a tiny class (three scripts, synthetic data, one epoch) fills the class page's similarity
section from real runs: a copy with renamed variables is flagged on its code and on the model the run
recorded; the independent script is not; grades are as without it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.tf

ORIGINAL = """
import keras
from keras import layers

keras.utils.set_random_seed(0)
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train, y_train = x_train[:300] / 255.0, y_train[:300]
x_test, y_test = x_test[:200] / 255.0, y_test[:200]

def build(hidden_units, activation_name):
    network = keras.Sequential([keras.Input((28, 28)), layers.Flatten()])
    for width in hidden_units:
        network.add(layers.Dense(width, activation=activation_name))
    network.add(layers.Dense(10, activation="softmax"))
    network.compile(optimizer=keras.optimizers.SGD(learning_rate=0.07),
                    loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return network

network = build([24, 12], "sigmoid")
network.fit(x_train, y_train, epochs=1, batch_size=50, verbose=0)
scores = network.evaluate(x_test, y_test, verbose=0)
print("test loss %.4f, test accuracy %.4f" % (scores[0], scores[1]))
"""
RENAMES = {"x_train": "images", "y_train": "labels", "x_test": "test_images", "y_test": "test_labels",
           "build": "make_net", "hidden_units": "sizes", "activation_name": "act", "network": "net",
           "width": "n", "scores": "result"}
INDEPENDENT = """
import tensorflow as tf

(xa, ya), (xb, yb) = tf.keras.datasets.mnist.load_data()
xa = xa[:300].reshape(-1, 784).astype("float32") / 255
xb = xb[:200].reshape(-1, 784).astype("float32") / 255
clf = tf.keras.Sequential()
clf.add(tf.keras.layers.Input(shape=(784,)))
clf.add(tf.keras.layers.Dense(32, activation="relu"))
clf.add(tf.keras.layers.Dense(10, activation="softmax"))
clf.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
clf.fit(xa, ya[:300], epochs=1, verbose=0)
print(clf.evaluate(xb, yb[:200], verbose=0))
"""
RUBRIC = """
id: tiny-similarity
title: Tiny similarity class
version: "1"
requirements:
  - {id: sgd, title: SGD, optimizer: sgd, points: 2}
"""


def renamed(code: str) -> str:
    for old, new in sorted(RENAMES.items(), key=lambda kv: -len(kv[0])):
        code = re.sub(rf"\b{old}\b", new, code)
    return code


def test_grade_fills_the_similarity_section_from_real_runs(tmp_path: Path, dataset_store) -> None:
    from grader.pipeline.classgrade import grade_folder
    from grader.rubric.loader import parse_rubric

    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ann.py").write_text(ORIGINAL)
    (folder / "ben.py").write_text(renamed(ORIGINAL))
    (folder / "cy.py").write_text(INDEPENDENT)
    graded = grade_folder(folder, rubric=parse_rubric(RUBRIC), jobs=1, datasets=dataset_store, out=tmp_path / "out",
                          formats=("html", "json"), gpus=[])
    statuses = {r.student.name: r.result.evidence.evidence.run.status.value for r in graded.results}
    assert statuses == {"ann": "completed", "ben": "completed", "cy": "completed"}, \
        [r.result.run.message for r in graded.results]
    assert [r.result.score for r in graded.results] == [2, 2, 0]  # similarity changes no grade

    index = (tmp_path / "out" / "index.html").read_text()
    section = index.split('id="similarity"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r'<td data-label="Student A">(\w+)</td><td data-label="Student B">(\w+)</td>\s*'
                      r'<td data-label="Signals">(.*?)</td>', section, re.S)
    assert [(a, b) for a, b, _ in rows] == [("ann", "ben")]  # cy, independent, is not listed
    signals = re.findall(r'b-similar-(\w+)', rows[0][2])
    assert signals == ["code", "model"]  # the renamed code, and the model its run recorded

    page = (tmp_path / "out" / "similarity.html").read_text()
    assert "Same model choices" in page and "SGD" in page and "0.07" in page
    assert "<mark>" in page
