"""What each student brings to a similarity check: their code, their stored outputs, their models.

Read from files only (nothing runs): a submissions folder gives code and a notebook's stored outputs; a
grading output folder (``results/*.json``) adds the models the grader's run recorded, and finds the
code where the class folder holds it.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.errors import ConfigError
from grader.evidence.model import ModelRecord
from grader.evidence.reported import ReportedRun
from grader.evidence.stored_outputs import parse_notebook

if TYPE_CHECKING:
    from grader.grading.result import GradeResult
    from grader.intake.discovery import Student

MAX_SOURCE_BYTES = 4 * 2**20  # past it a file is not read as code: no exercise solution is that long


@dataclass(frozen=True)
class Source:
    name: str
    code: str = ""
    stored: ReportedRun | None = None
    models: tuple[ModelRecord, ...] = ()
    problems: tuple[str, ...] = field(default=())


def _read_notebook(path: Path) -> dict[str, Any] | None:
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES * 16:  # outputs (images) make notebooks far larger than code
            return None
        nb = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError):
        return None
    return nb if isinstance(nb, dict) else None


def _cell_source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def notebook_code(nb: dict[str, Any]) -> str:
    """A notebook's code cells in cell order, one block each; IPython magics and shell escapes dropped
    (they are not Python, and `!pip install` lines are the same in every submission)."""
    blocks = []
    for cell in nb.get("cells") or []:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            lines = [ln for ln in _cell_source(cell).splitlines() if not ln.lstrip().startswith(("%", "!"))]
            blocks.append("\n".join(lines).strip("\n"))
    return "\n\n".join(b for b in blocks if b) + "\n"


def file_code(path: Path) -> tuple[str, ReportedRun | None]:
    """The code of one submitted file, and a notebook's stored outputs (None for a script)."""
    if path.suffix.lower() == ".ipynb":
        nb = _read_notebook(path)
        if nb is None:
            return "", None
        return notebook_code(nb), parse_notebook(nb)
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES:
            return "", None
        return path.read_text(encoding="utf-8", errors="replace"), None
    except OSError:
        return "", None


def template_code(path: Path) -> str:
    """The starter code (a notebook or a script) as the students' code is read."""
    if not path.is_file():
        raise ConfigError(f"template not found: {path}")
    return file_code(path)[0]


def _merged(runs: list[ReportedRun | None]) -> ReportedRun | None:
    cells = [c for r in runs if r is not None for c in r.cells]
    return ReportedRun(cells=cells) if any(r is not None for r in runs) else None


def from_submissions(folder: Path, *, exclude: tuple[Path, ...] = ()) -> list[Source]:
    """Every student of a submissions folder (any layout :mod:`grader.intake.discovery` knows)."""
    from grader.intake.discovery import discover

    with tempfile.TemporaryDirectory(prefix="grader-similarity-") as staging:
        out = []
        for st in discover(folder, staging=staging, exclude=exclude):
            if st.problem is not None:
                out.append(Source(st.name, problems=(st.problem,)))
                continue
            read = [file_code(st.root / e) for e in st.entries]
            out.append(Source(st.name, "\n\n".join(code for code, _ in read), _merged([r for _, r in read])))
        return out


def from_graded(graded: Sequence[tuple[str, Student, GradeResult]]) -> list[Source]:
    """The students of a class just graded: code and stored outputs from their files, models from their runs."""
    out = []
    for name, st, result in graded:
        models = tuple(result.evidence.evidence.models)
        if st.problem is not None:
            out.append(Source(name, models=models, problems=(st.problem,)))
            continue
        read = [file_code(st.root / e) for e in st.entries]
        out.append(Source(name, "\n\n".join(code for code, _ in read), _merged([r for _, r in read]), models))
    return out


def from_results(results_dir: Path, submissions: Path | None = None) -> list[Source]:
    """Every stored result under ``results_dir`` (``grader grade``'s ``results/``); code comes from
    ``submissions`` (the class folder), else from each result's recorded path where it still exists."""
    from grader.grading.result import GradeResult

    by_label: dict[str, Source] = {}
    if submissions is not None:
        with tempfile.TemporaryDirectory(prefix="grader-similarity-") as staging:
            from grader.intake.discovery import discover

            for st in discover(submissions, staging=staging):
                if st.problem is None:
                    read = [file_code(st.root / e) for e in st.entries]
                    by_label[st.label] = Source(st.name, "\n\n".join(code for code, _ in read))
    out = []
    for path in sorted(results_dir.glob("*.json")):
        try:
            result = GradeResult.model_validate_json(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path}: not a grader result ({exc.__class__.__name__})") from None
        ev = result.evidence.evidence
        label = result.submission.path
        code, problems = "", ()
        if label in by_label:
            code = by_label[label].code
        else:
            recorded = Path(label)
            candidates = [recorded] if recorded.is_absolute() else [recorded, results_dir.parent.parent / recorded]
            hit = next((c for c in candidates if c.is_file()), None)
            if hit is not None:
                code = file_code(hit)[0]
            else:
                problems = (f"code not found at {label} (pass --submissions FOLDER)",)
        stored = ev.notebook.stored if ev.notebook is not None else None
        out.append(Source(path.stem, code, stored, tuple(ev.models), problems))
    if not out:
        raise ConfigError(f"no results (*.json) in {results_dir}")
    return out


def load(path: Path, submissions: Path | None = None) -> list[Source]:
    """A grading output folder (it holds ``results/``) or a submissions folder."""
    if not path.exists():
        raise ConfigError(f"not found: {path}")
    if path.is_dir() and (path / "results").is_dir() and any((path / "results").glob("*.json")):
        return from_results(path / "results", submissions)
    if submissions is not None:
        raise ConfigError("--submissions goes with a grading output folder (one holding results/)")
    return from_submissions(path)


__all__ = ["Source", "file_code", "from_graded", "from_results", "from_submissions", "load", "notebook_code", "template_code"]
