"""A stored run's evidence with the words of another copy of the same notebook: answers re-read, nothing re-run.

Two notebooks with the same run key (:mod:`grader.intake.runkey`: the same code cells at the same places,
the same other files) run the same way, so one run's evidence serves both. What differs is what the
student wrote and saw, and it is taken from the new file here:

- ``markdown`` (the driver's join of the markdown cells, which the questions check reads without a
  notebook record) and the markdown passages of the notebook record;
- the notebook's stored outputs (the student's own run, part of the submission, not of the grader's
  run): their printed passages and the parsed ``stored`` run, attached to the re-run's models again;
- ``submission``'s sha256 and size (and its path, when given).

What the grader's run produced stays: the re-run's printed passages and text, the models, the probe's
touches, errors, diagnoses (code cells only) and verifications.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from grader.evidence.model import Evidence
from grader.evidence.reported import NotebookRecord
from grader.evidence.stored_outputs import MAX_NOTEBOOK_BYTES, attach, parse_notebook, passages

if TYPE_CHECKING:
    from grader.verify.verified import VerifiedEvidence

MARKDOWN_CAP = 1024 * 1024  # the driver's cap on the markdown it reports (grader_probe.driver.PRINTED_CAP)


def _markdown(nb: dict[str, Any]) -> str:
    """The driver's ``markdown``: every markdown cell's source, joined by blank lines."""
    cells = nb.get("cells") if isinstance(nb.get("cells"), list) else []
    texts = []
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            src = cell.get("source", "")
            texts.append("".join(src) if isinstance(src, list) else str(src))
    return "\n\n".join(texts)[:MARKDOWN_CAP]


def evidence_with_notebook_text(evidence: Evidence, notebook: bytes, path: str | None = None) -> Evidence:
    """`evidence` as if its run had been of `notebook` (the raw file), which has the same run key."""
    info = evidence.submission.model_copy(update={
        "sha256": hashlib.sha256(notebook).hexdigest(), "size": len(notebook),
        **({"path": path} if path is not None else {})})
    try:
        nb = json.loads(notebook.decode("utf-8")) if len(notebook) <= MAX_NOTEBOOK_BYTES else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        nb = None
    if not isinstance(nb, dict):  # the words cannot be read: none are (as the run's assembly would have it)
        return evidence.model_copy(update={"submission": info, "markdown": "", "notebook": None})
    record = evidence.notebook or NotebookRecord()
    rerun = [p for p in record.passages if p.source == "printed" and p.run == "rerun"]
    found = passages(nb, run=None) + rerun + passages(nb, run="stored", markdown=False)
    found.sort(key=lambda p: (p.cell_index if p.cell_index is not None else -1, p.source != "markdown",
                              p.run != "stored"))
    parsed = parse_notebook(nb)
    stored = attach(parsed, record.touches, evidence.models) if parsed.cells else None
    notebook_record = record.model_copy(update={"passages": found, "stored": stored})
    return evidence.model_copy(update={"submission": info, "markdown": _markdown(nb), "notebook": notebook_record})


def with_notebook_text(verified: VerifiedEvidence, notebook: bytes, path: str | None = None) -> VerifiedEvidence:
    """The verified evidence of a stored run, with the answers and stored outputs of `notebook` (pure)."""
    return verified.model_copy(update={"evidence": evidence_with_notebook_text(verified.evidence, notebook, path)})


__all__ = ["evidence_with_notebook_text", "with_notebook_text"]
