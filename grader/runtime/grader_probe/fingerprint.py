"""Compact fingerprints of training data, so the grader can recognise a split and rebuild it.

The grader's verifier compares the sampled values with its own copy of a dataset to learn
how the submission reshaped and scaled it (an affine map), and whether the data passed to
`evaluate` really was the test split.

For the data a model is trained on, the probe also records a signature of *every* row: its
projection on a few fixed random vectors (one matrix product over the whole array). Projection is
linear, so the verifier can project its own test rows, apply the inferred affine map
(proj(a*x + b) = a*proj(x) + b*sum(v)) and count exactly how many test rows the model trained on,
whatever order or mixture the submission fed them in.
"""

from __future__ import annotations

from typing import Any

SAMPLE_ROWS = 16
SIGNATURE_VECTORS = 4  # one projection would collide by chance among 70,000 rows; four do not
SIGNATURE_SEED = 20240611
SIGNATURE_CHUNK = 4096  # rows projected at a time, so a float64 copy of a large array is never made whole
SIGNATURE_DIR = "signatures"
SAMPLE_COLS = 64
STAT_ROWS = 2048


def _to_numpy(x: Any):
    import numpy as np

    if hasattr(x, "to_numpy"):  # pandas
        return x.to_numpy()
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):  # eager tensors
        return x.numpy()
    return np.asarray(x)


def signature_vectors(d: int):
    """The fixed random vectors (d x SIGNATURE_VECTORS) that rows of width ``d`` are projected on."""
    import numpy as np

    return np.random.default_rng(SIGNATURE_SEED).standard_normal((d, SIGNATURE_VECTORS))


def row_signatures(flat: Any):
    """Each row's projections on the signature vectors (n x SIGNATURE_VECTORS, saved as float64).

    Computed in float32 unless the rows are float64: a float32 product is ~3x cheaper, and its rounding
    (about 1e-7 of a projection's size) stays far inside the verifier's matching tolerance.
    """
    import numpy as np

    dtype = np.float64 if flat.dtype == np.float64 else np.float32
    v = signature_vectors(flat.shape[1]).astype(dtype)
    out = np.empty((flat.shape[0], v.shape[1]), dtype=np.float64)
    for start in range(0, flat.shape[0], SIGNATURE_CHUNK):
        out[start:start + SIGNATURE_CHUNK] = np.asarray(flat[start:start + SIGNATURE_CHUNK], dtype=dtype) @ v
    return out


def _write_signatures(flat: Any, name: str) -> str | None:
    """Saves the rows' signatures as .npy in the run's output folder; the path relative to it, or None."""
    import os

    import numpy as np

    from grader_probe import events

    base = events.out_dir()
    if not base:
        return None
    rel = os.path.join(SIGNATURE_DIR, f"{name}.npy")
    os.makedirs(os.path.join(base, SIGNATURE_DIR), exist_ok=True)
    np.save(os.path.join(base, rel), row_signatures(flat), allow_pickle=False)
    return rel


def fingerprint(x: Any, signatures: str | None = None) -> dict[str, Any] | None:
    """A compact description of ``x``; with ``signatures`` (a file name), also every row's signature, saved."""
    if x is None:
        return None
    if isinstance(x, (list, tuple)) and x and hasattr(x[0], "shape"):
        inner = fingerprint(x[0])
        if inner is not None:
            inner["kind"] = "array-list"
        return inner
    if isinstance(x, dict):
        return {"kind": "dict"}
    if not (hasattr(x, "shape") and hasattr(x, "dtype") or hasattr(x, "dtypes")):
        return {"kind": type(x).__name__}
    try:
        import numpy as np

        arr = _to_numpy(x)
        if arr.ndim == 0 or arr.shape[0] == 0 or arr.dtype == object:
            return {"kind": "array", "shape": list(arr.shape), "dtype": str(arr.dtype)}
        n = arr.shape[0]
        flat = arr.reshape(n, -1)
        d = flat.shape[1]
        rows = sorted({int(i) for i in np.linspace(0, n - 1, min(n, SAMPLE_ROWS))})
        cols = sorted({int(i) for i in np.linspace(0, d - 1, min(d, SAMPLE_COLS))})
        stat_idx = np.unique(np.linspace(0, n - 1, min(n, STAT_ROWS)).astype(int))
        sub = flat[stat_idx].astype(np.float64)
        found = {
            "kind": "array",
            "shape": [int(s) for s in arr.shape],
            "dtype": str(arr.dtype),
            "min": float(sub.min()),
            "max": float(sub.max()),
            "mean": float(sub.mean()),
            "std": float(sub.std()),
            "sample_rows": rows,
            "sample_cols": cols,
            "samples": flat[np.ix_(rows, cols)].astype(np.float64).round(6).tolist(),
        }
        if signatures and np.issubdtype(arr.dtype, np.number):
            try:
                found["signature_file"] = _write_signatures(flat, signatures)
            except Exception as exc:  # a disk that is full: the fit is still described, only not row by row
                found["signature_error"] = f"{type(exc).__name__}: {exc}"[:200]
        return found
    except Exception as exc:
        return {"kind": f"{type(x).__name__} (unreadable: {type(exc).__name__})"}
