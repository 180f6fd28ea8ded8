"""Which results store the review commands read: ``--store FILE``, else ``GRADES/results.sqlite``."""

from __future__ import annotations

from pathlib import Path

from grader.errors import ConfigError
from grader.pipeline.store import ResultsStore


def store_path(grades: Path | None, store: Path | None) -> Path:
    """The store file to open; ConfigError when there is none (a review never creates an empty store)."""
    path = store if store is not None else (grades or Path("grades")) / "results.sqlite"
    if not path.is_file():
        raise ConfigError(f"no results store at {path}: grade the class first (grader grade ... --out "
                          f"{path.parent}) or name the store with --store")
    return path


def open_store(grades: Path | None, store: Path | None) -> ResultsStore:
    return ResultsStore(store_path(grades, store))


__all__ = ["open_store", "store_path"]
