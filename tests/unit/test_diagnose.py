"""Keras 2 idioms are named with their line and fix; the run's errors are linked to them."""

import json

from grader.evidence.diagnoses import link_errors, scan_source

SCRIPT = """\
from keras.utils import np_utils
from keras.optimizers import SGD
model.compile(SGD(lr=0.01), 'categorical_crossentropy', ['accuracy'])
h = model.fit(x, y, nb_epoch=10)
print(h.history['acc'][-1], h.history["val_acc"])
classes = model.predict_classes(x_test)
model.fit_generator(gen, steps_per_epoch=10)
"""


def test_every_idiom_in_a_script_with_its_line():
    found = {(d.idiom, d.line) for d in scan_source(SCRIPT, notebook=False)}
    assert found == {("np-utils", 1), ("optimizer-lr", 3), ("compile-positional", 3), ("nb-epoch", 4),
                     ("history-acc", 5), ("predict-classes", 6), ("fit-generator", 7)}
    fixes = {d.idiom: d.fix for d in scan_source(SCRIPT, notebook=False)}
    assert "learning_rate" in fixes["optimizer-lr"] and "to_categorical" in fixes["np-utils"]
    assert "argmax" in fixes["predict-classes"] and "'accuracy'" in fixes["history-acc"]


def test_notebook_cells_with_magics_still_parse():
    nb = {"cells": [
        {"cell_type": "markdown", "source": "history['acc']"},
        {"cell_type": "code", "source": ["!pip install keras==2.3\n", "%matplotlib inline\n", "opt = keras.optimizers.Adam(lr=1e-3)\n"]},
        {"cell_type": "code", "source": "plt.plot(history.history['acc'])"},
    ]}
    diags = scan_source(json.dumps(nb), notebook=True)
    assert [(d.idiom, d.cell_index, d.line) for d in diags] == [("optimizer-lr", 1, 3), ("history-acc", 2, 1)]
    assert diags[0].where() == "cell 1, line 3"


def test_modern_code_has_no_findings_and_broken_code_is_skipped():
    modern = "opt = SGD(learning_rate=0.1)\nmodel.compile(optimizer=opt, loss='mse', metrics=['accuracy'])\nh.history['accuracy']\n"
    assert scan_source(modern, notebook=False) == []
    assert scan_source("print 'python 2'", notebook=False) == []
    assert scan_source("{not json", notebook=True) == []


def test_errors_link_to_the_idiom_that_caused_them():
    diags = scan_source(SCRIPT, notebook=False)
    linked = link_errors(diags, [(None, "KeyError: 'acc'")])
    assert {d.idiom for d in linked if d.caused_error} == {"history-acc"}
    linked = link_errors(diags, [(None, "ValueError: Argument(s) not recognized: {'lr': 0.01}")])
    assert {d.idiom for d in linked if d.caused_error} == {"optimizer-lr"}
