"""Writing synthetic stand-ins into a store folder, once.

A manifest (``.synthetic.json``) records which files were generated, from which generator
version, size and seed, and their sha256. A later call with the same parameters finds the
files intact and writes nothing; files the manifest does not list are someone's real data
and are never overwritten.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from grader.datasets import formats
from grader.datasets.catalog import get_spec
from grader.datasets.synthetic import SIZES, SYNTHETIC_VERSION, SplitArrays, make_dataset
from grader.errors import DatasetError

MANIFEST = ".synthetic.json"


def _payload(name: str, size: str, seed: int) -> bytes:
    data = make_dataset(name, size, seed)  # type: ignore[arg-type]
    if isinstance(data, SplitArrays):
        return formats.npz_bytes(data.as_dict())
    return data.to_csv(index=False).encode("utf-8")


def _read_manifest(root: Path) -> dict[str, Any]:
    try:
        loaded = json.loads((root / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def materialise(root: Path, *, size: str, seed: int, names: Iterable[str]) -> dict[str, Path]:
    """Ensure ``root`` holds synthetic files for ``names``; returns dataset name -> file."""
    if size not in SIZES:
        raise DatasetError(f"synthetic size must be one of {sorted(SIZES)}, not {size!r}")
    root.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(root)
    params = {"version": SYNTHETIC_VERSION, "size": size, "seed": seed}
    written: dict[str, Path] = {}
    changed = False
    for name in names:
        spec = get_spec(name)
        filename = spec.filenames[0]
        path = root / filename
        entry = manifest.get(filename)
        fresh = isinstance(entry, dict) and all(entry.get(k) == v for k, v in params.items())
        if fresh and path.is_file() and formats.sha256_file(path) == entry["sha256"]:
            written[spec.name] = path
            continue
        payload = _payload(spec.name, size, seed)
        digest = hashlib.sha256(payload).hexdigest()
        if path.exists() and entry is None and formats.sha256_file(path) != digest:
            raise DatasetError(
                f"{path} exists and was not generated here; refusing to overwrite it with synthetic data"
            )
        formats.atomic_write_bytes(path, payload)
        manifest[filename] = {"dataset": spec.name, **params, "sha256": digest}
        written[spec.name] = path
        changed = True
    if changed:
        text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
        formats.atomic_write_bytes(root / MANIFEST, text.encode())
    return written
