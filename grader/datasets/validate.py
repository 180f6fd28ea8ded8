"""Shape, dtype and label checks, so a malformed store file fails loudly in the grader
instead of surfacing as a baffling failure inside a student's submission."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from grader.datasets.catalog import SPLIT_KEYS, DatasetSpec
from grader.errors import DatasetError

if TYPE_CHECKING:
    import pandas as pd


def check_splits(spec: DatasetSpec, arrays: Mapping[str, np.ndarray], source: Path) -> None:
    missing = [key for key in SPLIT_KEYS if key not in arrays]
    if missing:
        found = ", ".join(sorted(arrays)) or "nothing"
        raise DatasetError(f"{source}: {spec.name} needs arrays {', '.join(missing)} (found {found})")
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.dtype != np.uint8:
            raise DatasetError(f"{source}: x_{split} has dtype {x.dtype}, expected uint8")
        if x.ndim != 1 + len(spec.sample_shape) or x.shape[1:] != spec.sample_shape:
            raise DatasetError(
                f"{source}: x_{split} has shape {x.shape}, expected (n, {', '.join(map(str, spec.sample_shape))})"
            )
        if not np.issubdtype(y.dtype, np.integer):
            raise DatasetError(f"{source}: y_{split} has dtype {y.dtype}, expected integer labels")
        if y.shape != (len(x), *spec.label_shape):
            raise DatasetError(
                f"{source}: y_{split} has shape {y.shape}, expected {(len(x), *spec.label_shape)} to match x_{split}"
            )
        if len(x) == 0:
            raise DatasetError(f"{source}: the {split} split is empty")
        if spec.num_classes is not None and (y.min() < 0 or y.max() >= spec.num_classes):
            raise DatasetError(
                f"{source}: y_{split} has labels outside 0..{spec.num_classes - 1} "
                f"(min {y.min()}, max {y.max()})"
            )


def check_frame(spec: DatasetSpec, frame: pd.DataFrame, source: Path) -> None:
    import pandas as pd

    missing = [c for c in spec.columns if c not in frame.columns]
    if missing:
        raise DatasetError(f"{source}: {spec.name} is missing columns {missing} (has {list(frame.columns)})")
    if frame.empty:
        raise DatasetError(f"{source}: no rows")
    for column in spec.columns:
        if column not in spec.text_columns and not pd.api.types.is_numeric_dtype(frame[column]):
            raise DatasetError(f"{source}: column {column!r} is not numeric (dtype {frame[column].dtype})")
