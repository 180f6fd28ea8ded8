"""Row signatures: the probe projects every training row, the verifier counts the test rows among them.

Runs the probe's and the verifier worker's own functions (NumPy only, no TensorFlow) on the grader's
synthetic digits, under the preprocessing students write.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "grader" / "runtime"))

import grader_verify  # noqa: E402
from grader_probe.fingerprint import fingerprint, row_signatures, signature_vectors  # noqa: E402

from grader.datasets.synthetic import make_digits  # noqa: E402

DATA = make_digits(3000, 1000, seed=0)
X_TRAIN, X_TEST = DATA.as_dict()["x_train"], DATA.as_dict()["x_test"]
SCALE = (1 / 255, 0.0)


def count(fit_x: np.ndarray, affine: tuple[float, float] = SCALE) -> int:
    return grader_verify.test_overlap(row_signatures(fit_x.reshape(len(fit_x), -1)), X_TEST, affine)


def test_an_honest_fit_on_the_training_split_overlaps_nothing() -> None:
    assert count(X_TRAIN.astype("float32") / 255.0) == 0


def test_train_and_test_shuffled_together_is_counted_row_for_row() -> None:
    both = np.concatenate([X_TRAIN, X_TEST]).astype("float32") / 255.0
    both = both[np.random.default_rng(1).permutation(len(both))]
    assert count(both) == len(X_TEST)


def test_the_test_split_alone_and_a_one_percent_slice_mixed_in() -> None:
    assert count(X_TEST / 255.0) == len(X_TEST)  # float64 preprocessing this time
    mixed = np.concatenate([X_TRAIN, X_TEST[:10]]).astype("float32") / 255.0
    assert count(mixed[np.random.default_rng(2).permutation(len(mixed))]) == 10


@pytest.mark.parametrize("a, b", [(1 / 127.5, -1.0), (-1 / 255, 1.0), (1.0, 0.0)])
def test_the_count_follows_the_student_s_affine_preprocessing(a: float, b: float) -> None:
    part = (X_TEST[:250].astype("float32") * np.float32(a) + np.float32(b)).reshape(250, 28, 28, 1)
    assert count(np.concatenate([part, (X_TRAIN.astype("float32") * np.float32(a) + np.float32(b))
                                 .reshape(-1, 28, 28, 1)]), (a, b)) == 250


def test_the_preprocessing_is_found_from_the_value_range_when_no_row_lines_up() -> None:
    both = np.concatenate([X_TRAIN, X_TEST]).astype("float32") / 127.5 - 1.0
    both = both[np.random.default_rng(3).permutation(len(both))]
    a, b = grader_verify._range_affine(fingerprint(both), X_TEST)
    assert (a, b) == (pytest.approx(1 / 127.5), pytest.approx(-1.0))
    assert count(both, (a, b)) == len(X_TEST)


def test_slightly_altered_copies_are_not_exact_matches() -> None:
    # What exact signatures promise: the same rows. A copy with one pixel changed is another row.
    altered = X_TEST.astype("float32") / 255.0
    altered[:, 14, 14] = 1.0 - altered[:, 14, 14]
    assert count(altered) == 0


def test_flipped_and_shifted_copies_are_counted_as_augmented() -> None:
    x = X_TEST.astype("float32") / 255.0
    copies = np.concatenate([X_TRAIN.astype("float32") / 255.0, x[:100, :, ::-1],
                             np.pad(x[100:300], ((0, 0), (0, 0), (2, 0)))[:, :, :28]])  # shifted 2 px right
    sig = row_signatures(copies.reshape(len(copies), -1))
    exact = grader_verify._found(sig, X_TEST, SCALE)
    assert exact.sum() == 0 and grader_verify.augmented_overlap(sig, X_TEST, SCALE, exact) == 300
    honest = row_signatures(X_TRAIN.reshape(len(X_TRAIN), -1).astype("float32") / 255.0)
    assert grader_verify.augmented_overlap(honest, X_TEST, SCALE) == 0


def test_the_probe_writes_signatures_for_the_fit_s_data(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GRADER_OUT", str(tmp_path))
    fp = fingerprint(X_TEST.astype("float32") / 255.0, signatures="m1_fit0_x")
    saved = np.load(tmp_path / fp["signature_file"], allow_pickle=False)
    assert saved.shape == (len(X_TEST), 4)
    assert grader_verify.load_signatures(str(tmp_path / fp["signature_file"]), fp) is not None
    assert grader_verify.load_signatures(str(tmp_path / fp["signature_file"]), {"shape": [5, 784]}) is None
    assert "signature_file" not in fingerprint(X_TEST)  # without a name (evaluate's data) nothing is written


def test_test_rows_the_dataset_itself_repeats_in_its_training_split_are_never_counted() -> None:
    # Real datasets hold a few test images that are also training images: an honest fit trains on them too.
    data = {"x_train": np.concatenate([X_TRAIN, X_TEST[:3]]), "x_test": X_TEST}
    shared = grader_verify.shared_rows("with-duplicates", data)
    assert shared.sum() == 3 and shared[:3].all()
    honest = row_signatures(data["x_train"].reshape(len(data["x_train"]), -1).astype("float32") / 255.0)
    assert (grader_verify._found(honest, X_TEST, SCALE) & ~shared).sum() == 0


def test_the_pair_comparison_agrees_with_a_row_by_row_one_across_slices(monkeypatch) -> None:
    """_found compares candidate pairs in slices; crowded first projections (blank rows) span slice bounds."""
    rng = np.random.default_rng(3)
    blank = np.zeros((40, 28, 28), dtype=np.uint8)
    fit = np.concatenate([X_TRAIN[:500], X_TEST[:50], blank, X_TEST[100:102] + 1]).astype("float32") / 255.0
    fit = fit[rng.permutation(len(fit))]
    sig = row_signatures(fit.reshape(len(fit), -1))
    test = np.concatenate([X_TEST[:200], blank[:3]])

    def row_by_row() -> np.ndarray:
        flat = test.reshape(len(test), -1)
        want = row_signatures(flat) * SCALE[0]
        v = signature_vectors(flat.shape[1])
        tol = grader_verify.OVERLAP_RTOL * (SCALE[0] * float(np.abs(flat).max())) * np.abs(v).sum(axis=0) + 1e-9
        return np.array([bool((np.abs(sig - w) <= tol).all(axis=1).any()) for w in want])

    expected = row_by_row()
    assert expected[:50].all() and not expected[50:200].any() and expected[200:].all()
    for pair_slice in (1, 7, 1 << 20):
        monkeypatch.setattr(grader_verify, "PAIR_SLICE", pair_slice)
        grader_verify._sorted.clear()
        assert (grader_verify._found(sig, test, SCALE) == expected).all(), pair_slice
