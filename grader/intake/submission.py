"""A submission as the grader sees it before anything runs: what it is, and whether it can run."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from grader.evidence.model import SubmissionKind

MAX_SUBMISSION_BYTES = 64 * 2**20


@dataclass(frozen=True)
class Submission:
    path: Path
    kind: SubmissionKind
    sha256: str
    size: int
    problem: str | None = None  # why it cannot run, when it cannot

    @property
    def runnable(self) -> bool:
        return self.problem is None


def load_submission(path: str | Path) -> Submission:
    """Inspect a file without running it. Problems are data (`problem`), not exceptions."""
    p = Path(path)
    if not p.is_file():
        return Submission(p, SubmissionKind.UNKNOWN, "", 0, f"{p} is not a file")
    raw = p.read_bytes() if p.stat().st_size <= MAX_SUBMISSION_BYTES else b""
    size = p.stat().st_size
    sha = hashlib.sha256(raw).hexdigest()
    suffix = p.suffix.lower()
    kind = {".ipynb": SubmissionKind.NOTEBOOK, ".py": SubmissionKind.SCRIPT}.get(suffix, SubmissionKind.UNKNOWN)
    if kind is SubmissionKind.UNKNOWN:
        return Submission(p, kind, sha, size, f"unsupported file type '{suffix or p.name}': expected .py or .ipynb")
    if size > MAX_SUBMISSION_BYTES:
        return Submission(p, kind, sha, size, f"file is {size / 2**20:.0f} MiB, over the {MAX_SUBMISSION_BYTES // 2**20} MiB limit")
    if not raw.strip():
        return Submission(p, kind, sha, size, "the file is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Submission(p, kind, sha, size, f"the file is not UTF-8 text (byte {exc.start}); is it binary?")
    return Submission(p, kind, sha, size, _notebook_problem(text) if kind == SubmissionKind.NOTEBOOK else None)


def _notebook_problem(text: str) -> str | None:
    import nbformat

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"the notebook is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        return "the file is JSON but not a Jupyter notebook (no cells)"
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several unrelated types
        return f"the notebook does not follow the notebook format: {str(exc).splitlines()[0][:300]}"
    language = (nb.metadata.get("kernelspec", {}) or {}).get("language") or (nb.metadata.get("language_info", {}) or {}).get("name")
    if language and str(language).lower() not in ("python", "python3"):
        return f"the notebook's kernel language is '{language}', not Python"
    if not any(c.cell_type == "code" and c.source.strip() for c in nb.cells):
        return "the notebook has no code cells"
    return None
