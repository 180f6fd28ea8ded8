"""Filling the weights store from the internet, through ``keras.applications`` itself.

Run once on a machine with network; sandboxes and tests never download anything. The application is
built in a child process whose ``KERAS_HOME`` is a fresh folder (Keras reads that variable when it is
imported), so whatever Keras downloads lands there under its own names and is copied into the store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.errors import DatasetError
from grader.weights.catalog import SIZED, canonical_name
from grader.weights.store import WeightsStore

# Runs in the child: builds each variant with weights="imagenet", then fetches the class index.
_CHILD = r"""
import json, sys
name, alpha, size, variants = json.loads(sys.argv[1])
errors = []
try:
    import keras
    build = getattr(keras.applications, name)
except Exception as exc:
    print(json.dumps([f"keras.applications.{name}: {type(exc).__name__}: {exc}"])); sys.exit(0)
for top in variants:
    kwargs = {"weights": "imagenet", "include_top": top}
    if alpha is not None:
        kwargs["alpha"] = alpha
    if size is not None:
        kwargs["input_shape"] = (size, size, 3)
    try:
        build(**kwargs)
    except Exception as exc:
        errors.append(f"include_top={top}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
if True in variants:
    try:
        import numpy as np
        keras.applications.imagenet_utils.decode_predictions(np.zeros((1, 1000)))
    except Exception as exc:
        errors.append(f"imagenet_class_index.json: {type(exc).__name__}: {exc}")
print(json.dumps(errors))
"""


def fetch(name: str, store: WeightsStore, *, alpha: float | None = None, size: int | None = None,
          include_top: tuple[bool, ...] = (True, False), timeout_s: float = 3600) -> list[Path]:
    """Download ``name``'s ImageNet weights (with and without the classifier top, by default) into ``store``.

    ``alpha`` and ``size`` pick a MobileNet's width and input size (Keras keeps one file per pair).
    Returns the files written; raises DatasetError when nothing could be downloaded (no network).
    """
    app = canonical_name(name)
    if (alpha is not None or size is not None) and app not in SIZED:
        raise DatasetError(f"--alpha and --size pick a MobileNet's weight file; {app} has one file each way")
    with tempfile.TemporaryDirectory(prefix="grader-weights-") as home:
        env = {**os.environ, "KERAS_HOME": home, "TF_CPP_MIN_LOG_LEVEL": "2"}
        args = json.dumps([app, alpha, size, list(include_top)])
        try:
            proc = subprocess.run([sys.executable, "-c", _CHILD, args], env=env, capture_output=True, text=True,
                                  timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise DatasetError(f"downloading {app}'s weights took more than {timeout_s:g} s") from exc
        try:
            errors = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise DatasetError(f"could not run keras.applications.{app}: {' | '.join(tail)}") from None
        downloaded = sorted((Path(home) / "models").glob("*")) if (Path(home) / "models").is_dir() else []
        written = [store.add(path) for path in downloaded if path.is_file() and not path.name.startswith(".")]
    if not any(p.suffix == ".h5" for p in written):
        why = "; ".join(errors) or "Keras downloaded no file"
        raise DatasetError(f"could not download {app}'s ImageNet weights through keras.applications.{app} "
                           f"(is this machine offline?): {why}")
    for path in written:
        print(f"{app}: wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    for error in errors:
        print(f"{app}: not fetched: {error}", file=sys.stderr)
    return written


__all__ = ["fetch"]
