"""Finding a rubric by bundled name ('nn-basics-keras') or by path."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from grader.errors import RubricError
from grader.rubric import names

ENV_VAR = "GRADER_RUBRICS"


def rubric_dirs() -> list[Path]:
    """Where bundled rubrics live, first match wins: $GRADER_RUBRICS, the repository's rubrics/, an install's share/."""
    here = Path(__file__).resolve().parent.parent  # the grader package
    dirs = [Path(p) for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p]
    dirs += [here.parent / "rubrics", here / "rubrics", Path(sys.prefix) / "share" / "grader" / "rubrics"]
    return [d for d in dirs if d.is_dir()]


def bundled_rubrics() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for d in rubric_dirs():
        for path in sorted(d.glob("*.yaml")) + sorted(d.glob("*.yml")):
            found.setdefault(path.stem, path)
    return found


def resolve_rubric(ref: str | os.PathLike[str]) -> Path:
    """A file path if ``ref`` is one, else the bundled rubric of that name."""
    path = Path(ref)
    if path.is_file():
        return path
    if path.suffix in (".yaml", ".yml") or os.sep in str(ref):
        raise RubricError(f"no rubric file {str(ref)!r}", hint="give an existing .yaml file or a bundled rubric name")
    bundled = bundled_rubrics()
    if str(ref) in bundled:
        return bundled[str(ref)]
    hint = names.suggest(str(ref), set(bundled)) or (
        f"bundled rubrics: {', '.join(sorted(bundled))}" if bundled else "no bundled rubrics were found")
    raise RubricError(f"unknown rubric {str(ref)!r}", hint=hint)
