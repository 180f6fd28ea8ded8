"""The probe's data fingerprints let the verifier rebuild a submission's preprocessing."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "grader" / "runtime"))
from grader_probe.fingerprint import fingerprint  # noqa: E402
import grader_verify  # noqa: E402


def raw():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(500, 28, 28), dtype=np.uint8)


def test_scaled_and_flattened_data_is_recognised():
    data = raw()
    fp = fingerprint(data.reshape(-1, 784) / 255.0)
    a, b = grader_verify.match(fp, data)
    assert abs(a - 1 / 255) < 1e-7 and abs(b) < 1e-6


def test_standardised_prefix_is_recognised():
    data = raw()
    x = (data[:200].astype(np.float32) - 33.3) / 78.5
    assert grader_verify.match(fingerprint(x[..., None]), data) is not None


def test_shuffled_or_other_data_is_not():
    data = raw()
    shuffled = data[np.random.default_rng(1).permutation(len(data))] / 255.0
    assert grader_verify.match(fingerprint(shuffled), data) is None
    assert grader_verify.match(fingerprint(np.zeros((10, 5))), data) is None


def test_tail_slice_with_offset():
    data = raw()
    tail = data[400:] / 255.0
    assert grader_verify.match(fingerprint(tail), data, offset=400) is not None
    assert grader_verify.match(fingerprint(tail), data) is None


def test_non_array_inputs():
    assert fingerprint(None) is None
    assert fingerprint(iter([1, 2]))["kind"] == "list_iterator"
    assert fingerprint({"a": 1})["kind"] == "dict"
