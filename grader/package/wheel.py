"""A wheel of the running grader, written directly (PEP 427), for packages that install it elsewhere.

``pip wheel .`` would need the build backend pinned in pyproject.toml (and, without build isolation, a
setuptools new enough for it), which a course's machine or an offline CI cannot promise. The grader is pure
Python, so its wheel is a zip of the package folder, the bundled rubrics as data files, and the dist-info that
pip reads: built from whatever grader is running, checkout or install, with fixed timestamps so the same tree
gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import sys
import zipfile
from pathlib import Path

import grader

DIST = "grader"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can record: reproducible archives
_SKIP_PARTS = {"__pycache__"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}


def package_files() -> list[tuple[str, Path]]:
    """(path in the wheel, file on disk) for every file of the grader package, sorted."""
    root = Path(grader.__file__).resolve().parent
    out = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not _SKIP_PARTS & set(rel.parts) and path.suffix not in _SKIP_SUFFIXES:
            out.append((f"grader/{rel.as_posix()}", path))
    return out


def rubric_files() -> list[Path]:
    """The bundled rubrics (and their JSON Schema) that an install puts in ``<prefix>/share/grader/rubrics``."""
    here = Path(grader.__file__).resolve().parent
    for folder in (here.parent / "rubrics", Path(sys.prefix) / "share" / "grader" / "rubrics"):
        if folder.is_dir():
            return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml", ".json"))
    return []


def _metadata(version: str) -> str:
    try:
        meta = importlib.metadata.metadata(DIST)
        requires = meta.get_all("Requires-Dist") or []
        extras = meta.get_all("Provides-Extra") or []
        summary = meta.get("Summary") or ""
        python = meta.get("Requires-Python") or ">=3.10"
    except importlib.metadata.PackageNotFoundError:  # run from a bare source tree
        requires, extras, summary, python = [], [], "", ">=3.10"
    lines = ["Metadata-Version: 2.1", f"Name: {DIST}", f"Version: {version}", f"Summary: {summary}",
             f"Requires-Python: {python}"]
    lines += [f"Provides-Extra: {e}" for e in extras] + [f"Requires-Dist: {r}" for r in requires]
    return "\n".join(lines) + "\n"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(dest: Path) -> Path:
    """Write ``grader-<version>-py3-none-any.whl`` into ``dest`` and return its path."""
    version = grader.__version__
    dist_info, data_dir = f"{DIST}-{version}.dist-info", f"{DIST}-{version}.data"
    entries: list[tuple[str, bytes]] = [(name, path.read_bytes()) for name, path in package_files()]
    entries += [(f"{data_dir}/data/share/grader/rubrics/{p.name}", p.read_bytes()) for p in rubric_files()]
    entries += [
        (f"{dist_info}/METADATA", _metadata(version).encode()),
        (f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: grader.package.wheel\nRoot-Is-Purelib: true\n"
                               b"Tag: py3-none-any\n"),
        (f"{dist_info}/entry_points.txt", b"[console_scripts]\ngrader = grader.cli:main\n"),
    ]
    record = [_record_line(name, data) for name, data in entries] + [f"{dist_info}/RECORD,,"]
    entries.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode()))
    dest.mkdir(parents=True, exist_ok=True)
    wheel = dest / f"{DIST}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, _EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return wheel


__all__ = ["build_wheel", "package_files", "rubric_files"]
