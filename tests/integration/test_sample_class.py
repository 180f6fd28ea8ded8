"""The sample class folder in submissions/ grades to the scores its students should get.

One folder per exercise, graded as an instructor would (`grader grade submissions/<rubric>
--rubric <rubric>`), on the project's deterministic synthetic datasets.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.tf

SUBMISSIONS = Path(__file__).resolve().parents[2] / "submissions"

# student -> (score, run status). Complete, partial, broken, Keras 2 style, scripts and notebooks.
EXPECTED = {
    "nn-basics-keras": {
        "ada_complete": (100, "completed"),            # the whole exercise, notebook
        "edsger_relu": (95, "completed"),              # relu hidden layers instead of sigmoid
        "mary_typo_in_part_two": (76, "completed_with_errors"),  # part two's cell fails; parts one and three still count
        "alan_part_one": (64, "completed"),            # script: part one only
        "joan_one_network": (31, "completed"),         # one small network, 3 epochs (33 before the 50,890-parameter model went to the slot it nearly fits and Keras's own log stopped answering questions)
        "grace_keras2": (0, "crashed"),                # Keras 2 code: np_utils, SGD(lr=...), history['acc']
        "broken_upload": (0, "invalid"),               # truncated notebook JSON
    },
    "cnn-fashion-mnist": {
        "katherine_experiments": (100, "completed"),   # several CNNs, each changed from the one before
        "barbara_one_model": (80, "completed"),        # one CNN, no experiment log
        "margaret_dense_only": (65, "completed"),      # no convolutions at all
    },
    "cnn-mnist-tutorial": {
        "hedy_tutorial": (100, "completed"),
    },
    "cnn-notebook-exercises": {
        # The MNIST CNN only; its housing cell reads the USA_Housing.csv the grader serves and stops there.
        "lin_mnist_only": (35, "completed"),
    },
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    from grader.datasets.store import DatasetStore

    return DatasetStore.synthetic(tmp_path_factory.mktemp("sample-data"),
                                  names=("mnist", "fashion_mnist", "usa_housing"))


def test_the_folder_holds_a_dozen_submissions_across_the_exercises():
    found = {p.parent.name: sorted(q.stem for q in p.parent.iterdir()) for p in SUBMISSIONS.glob("*/*")}
    assert {k: sorted(v) for k, v in EXPECTED.items()} == found
    kinds = {p.suffix for p in SUBMISSIONS.glob("*/*")}
    assert kinds == {".py", ".ipynb"} and sum(len(v) for v in EXPECTED.values()) >= 12


@pytest.mark.parametrize("rubric_id", sorted(EXPECTED))
def test_sample_class_scores(rubric_id: str, store, tmp_path: Path):
    from grader.pipeline.classgrade import grade_folder

    graded = grade_folder(SUBMISSIONS / rubric_id, rubric=rubric_id, datasets=store, out=tmp_path,
                          formats=("json", "csv"), cores=2)
    got = {r.student.name: (round(r.result.score), r.result.run.status.value) for r in graded.results}
    assert got == EXPECTED[rubric_id]
    assert graded.exit_code == 0  # every submission was graded, whatever it scored
    if rubric_id == "nn-basics-keras":
        grace = next(r.result for r in graded.results if r.student.name == "grace_keras2")
        idioms = {d.idiom: d.caused_error for d in grace.evidence.evidence.diagnoses}
        assert idioms == {"np-utils": True, "optimizer-lr": False, "history-acc": False}
