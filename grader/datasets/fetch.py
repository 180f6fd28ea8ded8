"""Filling a dataset store from the internet, through Keras's own loaders.

Run once on a machine with network; graders, sandboxes and tests never download anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grader.datasets import formats
from grader.datasets.catalog import get_spec
from grader.datasets.validate import check_splits
from grader.errors import DatasetError


def _keras_loader(name: str) -> Any:
    try:
        # Imported here: TensorFlow takes seconds to import and most callers never fetch.
        import keras
    except ImportError as exc:
        raise DatasetError("fetching datasets needs Keras; install the 'tf' extra (pip install 'grader[tf]')") from exc
    return getattr(keras.datasets, name)


def fetch(name: str, store_dir: str | Path) -> Path:
    """Download ``name`` with ``keras.datasets.<name>.load_data()`` and store it as a Keras-layout npz."""
    spec = get_spec(name)
    if spec.kind != "npz":
        raise DatasetError(
            f"{spec.name} has no Keras loader to fetch it with; copy one of {', '.join(spec.filenames)} "
            f"into {store_dir} by hand"
        )
    loader = _keras_loader(spec.name)
    try:
        (x_train, y_train), (x_test, y_test) = loader.load_data()
    except Exception as exc:  # Keras wraps every network failure in a bare Exception
        raise DatasetError(
            f"could not download {spec.name} through keras.datasets.{spec.name}.load_data() "
            f"(is this machine offline?): {exc}"
        ) from exc
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    target = Path(store_dir).expanduser() / spec.filenames[0]
    check_splits(spec, arrays, Path(f"keras.datasets.{spec.name}"))
    formats.write_npz(target, arrays)
    size_mb = target.stat().st_size / 1e6
    print(f"{spec.name}: wrote {target} ({size_mb:.1f} MB, {len(x_train)} train / {len(x_test)} test samples)")
    return target
