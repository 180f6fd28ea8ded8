"""Failures explained where they start: the cell that failed first, and the later cells that failed on
names it would have defined."""

from __future__ import annotations

from grader.evidence.cascade import Cascade, defined_names, find_cascades, missing_name

GPU_NOTEBOOK = {
    0: "# setup\nimport numpy as np",
    1: ("import tensorflow as tf\nfrom tensorflow import keras\n"
        "gpus = tf.config.list_physical_devices('GPU')\n"
        "tf.config.experimental.set_memory_growth(gpus[0], True)\n"
        "(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()"),
    2: "x_train = x_train / 255.0\nx_test = x_test / 255.0",
    3: "model = keras.Sequential([keras.layers.Dense(10)])",
    4: "history = model.fit(x_train, y_train, epochs=10)",
    5: "import matplotlib.pyplot as plt\nplt.plot(history.history['accuracy'])",
    6: "print(acuracy)",
    7: "scores = model.evaluate(x_test, y_test)",
}
GPU_ERRORS = [
    (1, "IndexError", "list index out of range"),
    (2, "NameError", "name 'x_train' is not defined"),
    (4, "NameError", "name 'x_train' is not defined"),
    (5, "NameError", "name 'history' is not defined"),
    (6, "NameError", "name 'acuracy' is not defined"),
    (7, "NameError", "name 'x_test' is not defined"),
]


def test_later_name_errors_are_traced_to_the_cell_that_would_have_defined_the_names() -> None:
    (cascade,) = find_cascades(GPU_NOTEBOOK, GPU_ERRORS, {1: "the notebook assumes a GPU"})
    # Cell 5 misses 'history', which cell 4 would have defined; cell 4 failed because of cell 1: so did 5.
    # Cell 6 misspelt a name nobody defines: its own mistake, not part of the cascade.
    assert (cascade.cell_index, cascade.ename, cascade.followers) == (1, "IndexError", [2, 4, 5, 7])
    assert cascade.names == ["x_train", "history", "x_test"]
    assert cascade.sentence() == (
        "cell 1 failed: the notebook assumes a GPU (IndexError: list index out of range); 4 later cells failed "
        "because of it (they use x_train, history, x_test, which it would have defined)")


def test_error_order_does_not_matter_and_a_lone_failure_is_no_cascade() -> None:
    assert find_cascades(GPU_NOTEBOOK, GPU_ERRORS[::-1]) == find_cascades(GPU_NOTEBOOK, GPU_ERRORS)
    assert find_cascades(GPU_NOTEBOOK, [(1, "IndexError", "list index out of range")]) == []
    assert find_cascades(GPU_NOTEBOOK, [(6, "NameError", "name 'acuracy' is not defined")]) == []
    assert find_cascades({}, []) == []


def test_two_independent_roots_make_two_cascades() -> None:
    sources = {0: "data = load()", 1: "print(data)", 2: "model = build(data)", 3: "model.fit()"}
    errors = [(0, "FileNotFoundError", "no such file: 'drive/MyDrive/train.csv'"),
              (1, "NameError", "name 'data' is not defined"),
              (2, "NameError", "name 'data' is not defined"),
              (3, "NameError", "name 'model' is not defined")]
    (only,) = find_cascades(sources, errors)
    assert only.followers == [1, 2, 3] and only.names == ["data", "model"]
    assert only.sentence().startswith("cell 0 failed (FileNotFoundError: no such file: 'drive/MyDrive/train.csv'); "
                                      "3 later cells failed because of it")
    sources = {0: "a = f()", 1: "print(a)", 2: "b = g()", 3: "print(b)"}
    errors = [(0, "ValueError", "x"), (1, "NameError", "name 'a' is not defined"),
              (2, "KeyError", "'acc'"), (3, "NameError", "name 'b' is not defined")]
    first, second = find_cascades(sources, errors)
    assert (first.cell_index, first.followers, second.cell_index, second.followers) == (0, [1], 2, [3])
    assert first.sentence().endswith("1 later cell failed because of it (they use a, which it would have defined)")


def test_the_nearest_earlier_definition_is_the_one_that_counts() -> None:
    # Cell 2 redefines x and fails too: a NameError on x in cell 3 comes from the later of the two.
    sources = {0: "x = 1 / 0", 1: "y = 2", 2: "x = undefined_thing", 3: "print(x)"}
    errors = [(0, "ZeroDivisionError", "division by zero"), (2, "NameError", "name 'undefined_thing' is not defined"),
              (3, "NameError", "name 'x' is not defined")]
    (cascade,) = find_cascades(sources, errors)
    assert (cascade.cell_index, cascade.followers) == (2, [3])


def test_names_a_cell_binds() -> None:
    source = """
!pip install visualkeras
%matplotlib inline
import numpy as np, os.path
from keras import layers as L, models
(x_train, y_train), [x_test, *rest] = load()
epochs: int = 10
total += 1
for i, (a, b) in enumerate(pairs):
    inner = a
with open('f') as fh:
    text = fh.read()
if (n := 3) > 2:
    big = True
try:
    import visualkeras
except ImportError as exc:
    visualkeras = None
def build(units):
    local_only = units
    return local_only
class Net: pass
squares = [k * k for k in range(3)]
obj.attr = 1
items[0] = 2
"""
    names = defined_names(source)
    assert {"np", "os", "L", "models", "x_train", "y_train", "x_test", "rest", "epochs", "total", "i", "a", "b",
            "inner", "fh", "text", "n", "big", "visualkeras", "exc", "build", "Net", "squares"} <= names
    assert not names & {"local_only", "units", "k", "obj", "items", "attr", "pip"}
    # A cell that is not Python after all is read line by line; a cell magic binds nothing.
    assert defined_names("x_train = load(\nmodel = 3\nimport keras") >= {"x_train", "model", "keras"}
    assert defined_names("%%bash\nx=1") == set()


def test_missing_name() -> None:
    assert missing_name("NameError", "name 'x_train' is not defined") == "x_train"
    assert missing_name("NameError", "name 'np' is not defined. Did you mean: 'n'?") == "np"
    assert missing_name("AttributeError", "name 'x' is not defined") is None
    assert missing_name("NameError", "free variable 'y' referenced before assignment") is None


def test_a_cascade_reads_back_from_json() -> None:
    (cascade,) = find_cascades(GPU_NOTEBOOK, GPU_ERRORS)
    assert Cascade.model_validate_json(cascade.model_dump_json()) == cascade


def test_model_criteria_of_a_run_that_built_no_model_say_why_and_offer_no_fix() -> None:
    from pathlib import Path

    import evidence_factory as f

    from grader.evidence.model import CellError, RunStatus
    from grader.grading.grade import grade
    from grader.rubric.loader import load_rubric

    rubric = load_rubric(Path(__file__).resolve().parents[2] / "rubrics" / "nn-basics-keras.yaml")
    base = f.evidence([], status=RunStatus.COMPLETED_WITH_ERRORS, message="6 cell(s) raised errors")
    errors = [CellError(cell_index=i, ename=e, evalue=v) for i, e, v in GPU_ERRORS]
    cascades = find_cascades(GPU_NOTEBOOK, GPU_ERRORS, {1: "the notebook assumes a GPU"})
    crashed = base.model_copy(update={"run": base.run.model_copy(update={"cell_errors": errors}),
                                      "cascades": cascades})
    result = grade(f.verify(crashed), rubric)
    sigmoid = next(c for c in result.criteria if c.id == "general.sigmoid")
    assert sigmoid.outcome.value == "failed" and sigmoid.points == 0
    assert sigmoid.message == ("no model was built: cell 1 failed: the notebook assumes a GPU (IndexError: list "
                               "index out of range)")
    assert sigmoid.feedback == ""  # 'give every hidden layer sigmoid' would be an invented fix
    small = next(c for c in result.criteria if c.id == "one.small")
    assert small.message.startswith("no model was built: cell 1 failed: the notebook assumes a GPU")
    assert not small.feedback
    # Said once where the run is summarised: the terminal, the HTML report and the class page.
    from grader.render.html.class_page import failures_by_cause
    from grader.render.html.report import render_report
    from grader.render.terminal import render_summary

    sentence = cascades[0].sentence()
    assert render_summary(result).count(sentence) == 1
    assert "4 later cells failed because of it" in render_report(result)
    assert failures_by_cause([result], ["alice"]) == {"completed_with_errors": [("alice", sentence)]}
    # Without a cascade, the first failing cell is the cause.
    lone = base.model_copy(update={"run": base.run.model_copy(update={"cell_errors": errors[:1]})})
    sigmoid = next(c for c in grade(f.verify(lone), rubric).criteria if c.id == "general.sigmoid")
    assert sigmoid.message == "no model was built: cell 1 failed (IndexError: list index out of range)"
    # A run that went cleanly and built no model is the student's to fix: the feedback stays.
    clean = f.evidence([])
    sigmoid = next(c for c in grade(f.verify(clean), rubric).criteria if c.id == "general.sigmoid")
    assert sigmoid.outcome.value == "failed" and sigmoid.feedback and "no model was built" not in sigmoid.message
