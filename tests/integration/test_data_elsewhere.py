"""Data loaded another way than keras.datasets, and pretrained weights, in real sandboxed runs.

- A Colab notebook that reads Kaggle's "MNIST in CSV" files from Drive paths is served CSVs made from
  the grader's copy, noted, and graded end to end: its model is verified on the grader's test split.
- A Kaggle kernel reads Fashion-MNIST's CSVs with pandas and numpy and gets exactly the served arrays.
- A script using ``tfds.load("mnist")`` and ``get_file`` of Yann LeCun's idx file gets both from the
  grader's copy (the two agree), and ``tfds.load("cifar100")`` fails at once, named.
- ``MobileNetV2(weights="imagenet")`` fails at once with a note naming the file and the fetch command
  when the weights store is empty, and loads the store's file (a small real one this test makes) when
  it is there.
- ``grader weights fetch`` with no network fails with the reason, and writes nothing.

Small synthetic MNIST (the session's store), tiny models, one or two epochs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grader.evidence.model import Limits, NoteTopic, RunStatus
from grader.verify.verified import VerificationStatus

pytestmark = pytest.mark.tf

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "realworld"
MOBILENET = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5"
LIMITS = Limits(timeout_s=300, cell_timeout_s=180)


def _adapted(evidence) -> list:
    return [n for n in evidence.run_notes if n.topic is NoteTopic.ADAPTATION]


def test_a_kaggle_csv_notebook_is_served_its_files_and_graded_end_to_end(grade) -> None:
    from grader.checks.base import Outcome
    from grader.grading.grade import grade as grade_result
    from grader.rubric.loader import load_rubric

    verified = grade(CORPUS / "data_kaggle_mnist_csv.ipynb", limits=LIMITS)
    ev = verified.evidence
    assert ev.run.status is RunStatus.COMPLETED, (ev.run.message, [(e.ename, e.evalue) for e in ev.run.cell_errors])
    served = [(n.kind, n.cell_index, n.line) for n in _adapted(ev)]
    assert served == [("provided", 2, 4), ("provided", 2, 5)], [n.detail for n in _adapted(ev)]
    train_note = _adapted(ev)[0]
    assert "mnist_train.csv made by the grader from its MNIST copy" in train_note.detail
    assert "label,1x1..28x28" in train_note.detail and "6000 rows" in train_note.detail
    assert "(6000, 785) (1000, 785)" in ev.printed  # the session's synthetic MNIST, in the Kaggle layout
    (model,) = ev.models
    assert [f.epochs_run for f in model.fits] == [2]
    check = verified.verification(model.id)
    assert check is not None and check.status is VerificationStatus.VERIFIED
    result = grade_result(verified, load_rubric(CORPUS / "realworld-corpus.yaml"))
    assert {c.id: c.outcome for c in result.criteria}["net.test"] is Outcome.PASSED  # measured on the grader's split
    assert result.score == result.max_score


def test_kaggles_fashion_mnist_csvs_hold_the_served_arrays(tmp_path: Path) -> None:
    """pandas and numpy read the Kaggle Fashion-MNIST files; a Digit Recognizer file of a dataset this
    exercise is not given fails with a note. No model, so no verifier: a cheap run."""
    from grader.api import run_submission
    from grader.datasets.store import DatasetStore

    store = DatasetStore.synthetic(tmp_path / "store", size="small", names=("fashion_mnist",))
    arrays = store.load_npz("fashion_mnist")
    ev = run_submission(CORPUS / "data_kaggle_fashion_csv.py", datasets=store, limits=LIMITS, cpus=2).evidence
    assert ev.run.status is RunStatus.COMPLETED, (ev.run.message, ev.run.script_error)
    n_train, n_test = len(arrays["x_train"]), len(arrays["x_test"])
    assert f"train ({n_train}, 785) ['label', 'pixel1', 'pixel2'] pixel784" in ev.printed
    pixels = int(arrays["x_train"].astype(np.int64).sum())
    assert f"label sum {int(arrays['y_train'].astype(np.int64).sum())} pixel sum {pixels}" in ev.printed
    assert f"test ({n_test}, 785) label sum {int(arrays['y_test'].astype(np.int64).sum())}" in ev.printed
    assert "no digits here" in ev.printed
    got = [(n.kind, n.line) for n in _adapted(ev)]
    assert got == [("provided", 5), ("provided", 9), ("failed", 13)], [n.detail for n in _adapted(ev)]
    assert "Kaggle's Fashion-MNIST (label,pixel1..pixel784" in _adapted(ev)[0].detail
    assert "not given MNIST" in _adapted(ev)[2].detail


def test_adapt_none_reads_the_csv_as_written_and_it_is_not_there(grade) -> None:
    ev = grade(CORPUS / "data_kaggle_mnist_csv.ipynb", limits=LIMITS, adapt="none").evidence
    first = ev.run.cell_errors[0]
    assert (first.cell_index, first.ename) == (2, "FileNotFoundError")
    assert _adapted(ev) == [] and [m.fits for m in ev.models] == [[]]  # compiled, never trained: no data


def test_tfds_and_get_file_are_served_from_the_graders_copy(grade) -> None:
    ev = grade(CORPUS / "data_tfds_and_get_file.py", limits=LIMITS).evidence
    assert ev.run.status is RunStatus.COMPLETED, (ev.run.message, ev.run.script_error)
    assert "classes: 10 train examples: 6000" in ev.printed
    assert "idx labels match tfds: True 1000" in ev.printed
    assert "cifar100: DatasetNotFoundError" in ev.printed
    kinds = [(n.kind, n.line, n.detail) for n in _adapted(ev)]
    assert [(k, line) for k, line, _ in kinds] == [("provided", 7), ("provided", 9), ("provided", 12),
                                                   ("failed", 31)], kinds
    assert "get_file('t10k-labels-idx1-ubyte.gz')" in kinds[2][2] and "cifar100" in kinds[3][2]
    assert [f.epochs_run for m in ev.models for f in m.fits] == [1]


@pytest.fixture(scope="module")
def tiny_mobilenet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """A real Keras weight file for MobileNetV2(alpha=0.35, include_top=False), in Keras 2's h5 layout as
    the ImageNet files are, under the name Keras asks for; and the first kernel's absolute sum."""
    from grader.weights.store import WeightsStore

    folder = tmp_path_factory.mktemp("made")
    made = folder / "tiny.h5"
    code = (
        "import sys, h5py, numpy as np, keras\n"
        "from keras.src.legacy.saving import legacy_h5_format\n"
        "keras.utils.set_random_seed(7)\n"
        "m = keras.applications.MobileNetV2(weights=None, alpha=0.35, input_shape=(32, 32, 3), include_top=False)\n"
        "with h5py.File(sys.argv[1], 'w') as f:\n"
        "    legacy_h5_format.save_weights_to_hdf5_group(f, m)\n"
        "print(float(np.abs(m.get_weights()[0]).sum()))\n")
    proc = subprocess.run([sys.executable, "-c", code, str(made)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    store = WeightsStore.resolve(folder / "store", create=True)
    store.add(made, MOBILENET)
    return store.root, float(proc.stdout.strip().splitlines()[-1])


def test_missing_weights_fail_at_once_with_a_note_naming_the_file_and_the_command(
        grade, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "weights"
    empty.mkdir(mode=0o755)
    monkeypatch.setenv("GRADER_WEIGHTS", str(empty))
    ev = grade(CORPUS / "weights_mobilenet_v2.py", limits=LIMITS).evidence
    assert ev.run.status is not RunStatus.COMPLETED and ev.run.script_error is not None
    assert ev.run.script_error.ename == "FileNotFoundError" and ev.run.script_error.lineno == 5
    (note,) = _adapted(ev)
    assert note.kind == "failed" and note.caused_error and note.subjects == [MOBILENET]
    assert "`grader weights fetch MobileNetV2`" in note.detail
    assert ev.run.duration_s < LIMITS.timeout_s / 2  # no download left to time out


def test_weights_in_the_store_are_loaded(grade, tiny_mobilenet, monkeypatch: pytest.MonkeyPatch) -> None:
    store, kernel_sum = tiny_mobilenet
    monkeypatch.setenv("GRADER_WEIGHTS", str(store))
    ev = grade(CORPUS / "weights_mobilenet_v2.py", limits=LIMITS).evidence
    assert ev.run.status is RunStatus.COMPLETED, (ev.run.message, ev.run.script_error)
    printed = [line for line in ev.printed.splitlines() if line.startswith("FIRST_KERNEL_ABS_SUM")]
    assert printed and float(printed[0].split()[1]) == pytest.approx(kernel_sum, rel=1e-6)
    (note,) = _adapted(ev)
    assert note.kind == "provided" and note.line == 5 and "MobileNetV2's pretrained weights" in note.detail
    assert "trained on the pretrained base" in ev.printed


def test_fetch_without_network_fails_with_the_reason_and_writes_nothing(tmp_path: Path) -> None:
    from grader.errors import DatasetError
    from grader.weights.fetch import fetch
    from grader.weights.store import WeightsStore

    store = WeightsStore.resolve(tmp_path / "store", create=True)
    with pytest.raises(DatasetError, match=r"could not download MobileNetV2's ImageNet weights .*offline"):
        fetch("mobilenet_v2", store, alpha=0.35, size=96, timeout_s=300)
    assert store.files() == []
