"""The dataset store: the one folder the grader serves ``keras.datasets`` calls from.

Submissions run without network, so whatever ``load_data()`` returns inside a sandbox, and
what the verifier re-evaluates saved models on, comes from here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np

from grader.datasets import formats
from grader.datasets.catalog import CATALOG, SPLIT_KEYS, DatasetSpec, get_spec
from grader.datasets.materialise import materialise
from grader.datasets.validate import check_frame, check_splits
from grader.errors import DatasetError

if TYPE_CHECKING:
    import pandas as pd

Origin = Literal["explicit", "env", "keras-cache", "synthetic"]
KerasSplits = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def keras_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where Keras's own ``get_file`` caches datasets, following Keras's own rules."""
    env = os.environ if environ is None else environ
    if "KERAS_HOME" in env:
        return Path(env["KERAS_HOME"]).expanduser() / "datasets"
    home = Path(env.get("HOME") or Path.home()).expanduser()
    # Keras falls back to /tmp when the home folder is read-only; so must we, to find its cache.
    base = home if os.access(home, os.W_OK) else Path("/tmp")
    return base / ".keras" / "datasets"


@dataclass(frozen=True)
class DatasetStore:
    """A read-only view of one folder of dataset files (see ``catalog`` for accepted names)."""

    root: Path
    origin: Origin = "explicit"

    ENV_VAR: ClassVar[str] = "GRADER_DATASETS"

    @classmethod
    def resolve(cls, path: str | Path | None = None, *, environ: Mapping[str, str] | None = None) -> DatasetStore:
        """The store to use: ``path`` if given, else ``$GRADER_DATASETS``, else Keras's cache folder.

        An explicitly named folder that does not exist is an error (a typo should not silently
        fall back to other data); Keras's cache may be absent, giving an empty store.
        """
        env = os.environ if environ is None else environ
        if path is not None and str(path) != "":
            return cls(_existing_dir(Path(path), "dataset folder"), "explicit")
        if env.get(cls.ENV_VAR):
            return cls(_existing_dir(Path(env[cls.ENV_VAR]), f"${cls.ENV_VAR}"), "env")
        return cls(keras_cache_dir(env), "keras-cache")

    @classmethod
    def synthetic(
        cls, folder: str | Path, *, size: str = "small", seed: int = 0, names: tuple[str, ...] | None = None
    ) -> DatasetStore:
        """Write deterministic synthetic stand-ins into ``folder`` (only when missing or stale) and serve them."""
        root = Path(folder)
        materialise(root, size=size, seed=seed, names=names or tuple(CATALOG))
        return cls(root.resolve(), "synthetic")

    def __str__(self) -> str:
        return f"{self.root} ({self.origin})"

    def find(self, name: str) -> Path | None:
        """The file serving ``name`` (for Keras's idx layout: the folder of idx files), or None."""
        spec = get_spec(name)
        for filename in spec.filenames:
            candidate = self.root / filename
            if candidate.is_file():
                return candidate
        if spec.idx_folder and all((self.root / rel).is_file() for _, rel in spec.idx_files):
            return self.root / spec.idx_folder
        return None

    def available(self) -> list[str]:
        return [name for name in CATALOG if self.find(name) is not None]

    def load_npz(self, name: str) -> dict[str, np.ndarray]:
        """The four Keras splits of ``name`` (x_train, y_train, x_test, y_test), validated."""
        spec = self._spec_of_kind(name, "npz")
        path = self._require(spec)
        if path.is_dir():
            arrays = {key: formats.read_idx(self.root / rel) for key, rel in spec.idx_files}
        else:
            arrays = formats.load_npz(path)
        check_splits(spec, arrays, path)
        return {key: arrays[key] for key in SPLIT_KEYS}

    def load_data(self, name: str) -> KerasSplits:
        """Exactly what ``keras.datasets.<name>.load_data()`` returns."""
        a = self.load_npz(name)
        return (a["x_train"], a["y_train"]), (a["x_test"], a["y_test"])

    def load_csv(self, name: str) -> pd.DataFrame:
        import pandas as pd

        spec = self._spec_of_kind(name, "csv")
        path = self._require(spec)
        try:
            frame = pd.read_csv(path)
        except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise DatasetError(f"cannot read {path} as CSV: {exc}") from exc
        check_frame(spec, frame, path)
        return frame

    def describe(self) -> list[dict[str, Any]]:
        """One row per catalog dataset: where it is, its size, and whether it is a known canonical file."""
        rows: list[dict[str, Any]] = []
        for name, spec in CATALOG.items():
            path = self.find(name)
            row: dict[str, Any] = {"name": name, "path": None, "layout": None, "size": None}
            row.update(sha256=None, canonical=False, provenance=None)
            if path is not None:
                is_idx = path.is_dir()
                files = [self.root / rel for _, rel in spec.idx_files] if is_idx else [path]
                digest = None if is_idx else formats.sha256_file(path)
                row.update(
                    path=str(path),
                    layout="idx" if is_idx else spec.kind,
                    size=sum(f.stat().st_size for f in files),
                    sha256=digest,
                    canonical=spec.provenance(digest) is not None,
                    provenance=spec.provenance(digest),
                )
            rows.append(row)
        return rows

    def _spec_of_kind(self, name: str, kind: str) -> DatasetSpec:
        spec = get_spec(name)
        if spec.kind != kind:
            raise DatasetError(f"dataset {spec.name!r} is a {spec.kind} dataset; use load_{spec.kind}()")
        return spec

    def _require(self, spec: DatasetSpec) -> Path:
        path = self.find(spec.name)
        if path is None:
            wanted = " or ".join(spec.filenames + ((f"{spec.idx_folder}/*.gz",) if spec.idx_folder else ()))
            raise DatasetError(
                f"dataset {spec.name!r} is not in the store {self}: expected {wanted} there. "
                f"Point ${self.ENV_VAR} at a folder that has it, or fill a store on a machine with "
                f"network: from grader.datasets.fetch import fetch; fetch({spec.name!r}, <folder>)."
            )
        return path


def _existing_dir(path: Path, what: str) -> Path:
    path = path.expanduser()
    if not path.is_dir():
        raise DatasetError(f"{what} {path} does not exist or is not a folder")
    return path.resolve()
