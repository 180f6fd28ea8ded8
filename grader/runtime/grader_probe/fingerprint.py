"""Compact fingerprints of training data, so the grader can recognise a split and rebuild it.

The grader's verifier compares the sampled values with its own copy of a dataset to learn
how the submission reshaped and scaled it (an affine map), and whether the data passed to
`evaluate` really was the test split.
"""

from __future__ import annotations

from typing import Any

SAMPLE_ROWS = 16
SAMPLE_COLS = 64
STAT_ROWS = 2048


def _to_numpy(x: Any):
    import numpy as np

    if hasattr(x, "to_numpy"):  # pandas
        return x.to_numpy()
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):  # eager tensors
        return x.numpy()
    return np.asarray(x)


def fingerprint(x: Any) -> dict[str, Any] | None:
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
        return {
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
    except Exception as exc:
        return {"kind": f"{type(x).__name__} (unreadable: {type(exc).__name__})"}
