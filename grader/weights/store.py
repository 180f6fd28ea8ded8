"""The weights store: one flat folder of Keras application weight files, under Keras's own names.

Submissions run without network, so ``VGG16(weights="imagenet")`` inside a sandbox gets its file from
here (bound read-only; see grader_probe.weights) or fails at once, naming the file and the command
that adds it. The instructor fills it once on a machine with network: ``grader weights fetch VGG16``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from grader.errors import ConfigError, DatasetError
from grader.weights.catalog import CLASS_INDEX, application_of

Origin = Literal["explicit", "env", "cache"]
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def default_folder(environ: Mapping[str, str] | None = None) -> Path:
    """``$GRADER_CACHE/weights``, else ``~/.cache/grader/weights``: beside the grader's other caches."""
    env = os.environ if environ is None else environ
    cache = Path(env["GRADER_CACHE"]).expanduser() if env.get("GRADER_CACHE") else Path.home() / ".cache" / "grader"
    return cache / "weights"


@dataclass(frozen=True)
class WeightFile:
    """One file in the store: its name, the application it serves, its size in bytes."""

    name: str
    application: str | None
    size: int


@dataclass(frozen=True)
class WeightsStore:
    """A view of one folder of weight files; it may not exist yet (an empty store)."""

    root: Path
    origin: Origin = "explicit"

    ENV_VAR: ClassVar[str] = "GRADER_WEIGHTS"

    @classmethod
    def resolve(cls, path: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None,
                create: bool = False) -> WeightsStore:
        """``path`` if given, else ``$GRADER_WEIGHTS``, else the default folder under the grader's cache.

        A folder named explicitly (option or variable) must exist unless ``create`` (filling it): a typo
        should not quietly serve no weights. The default folder may be absent: an empty store.
        """
        env = os.environ if environ is None else environ
        if path is not None and str(path) != "":
            root, origin, what = Path(path).expanduser(), "explicit", "weights folder"
        elif env.get(cls.ENV_VAR):
            root, origin, what = Path(env[cls.ENV_VAR]).expanduser(), "env", f"${cls.ENV_VAR}"
        else:
            root, origin, what = default_folder(env), "cache", ""
        if create:
            root.mkdir(parents=True, exist_ok=True)
        elif origin != "cache" and not root.is_dir():
            raise ConfigError(f"{what} {root} does not exist or is not a folder")
        return cls(root.resolve(), origin)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"{self.root} ({self.origin})"

    def find(self, filename: str) -> Path | None:
        candidate = self.root / filename
        return candidate if candidate.is_file() else None

    def files(self) -> list[WeightFile]:
        """The weight files held (names Keras asks for), sorted by name."""
        if not self.root.is_dir():
            return []
        return [WeightFile(p.name, application_of(p.name), p.stat().st_size)
                for p in sorted(self.root.iterdir()) if p.is_file() and not p.name.startswith(".")]

    def of(self, application: str) -> list[WeightFile]:
        return [f for f in self.files() if f.application == application]

    def sandbox_folder(self) -> Path | None:
        """The folder to bind read-only into a sandbox, or None when the store does not exist."""
        return self.root if self.root.is_dir() else None

    def add(self, source: str | os.PathLike[str], name: str | None = None) -> Path:
        """Copy one weight file in under ``name`` (default: its own), refusing what Keras could not load."""
        src = Path(source)
        target_name = name or src.name
        if application_of(target_name) is None:
            raise DatasetError(f"{target_name} is not the name of a Keras application weight file "
                               "(keras.applications asks for its files by their exact names)")
        if target_name.endswith(".h5"):
            with open(src, "rb") as fh:
                if fh.read(len(HDF5_MAGIC)) != HDF5_MAGIC:
                    raise DatasetError(f"{src} is not an HDF5 file; Keras's weight files are")
        elif target_name == CLASS_INDEX:
            import json

            try:
                json.loads(src.read_text())
            except (OSError, ValueError) as exc:
                raise DatasetError(f"{src} is not the JSON class index Keras reads: {exc}") from exc
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.root / target_name
        tmp = self.root / f".{target_name}.part"
        shutil.copyfile(src, tmp)
        os.chmod(tmp, 0o644)  # the sandbox's unprivileged user reads it
        os.replace(tmp, target)
        return target


__all__ = ["HDF5_MAGIC", "WeightFile", "WeightsStore", "default_folder"]
