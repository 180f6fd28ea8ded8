"""What a run depends on, as a hash: the key the results store files a run's evidence under.

A submission's content hash (:meth:`grader.intake.discovery.Student.content_hash`) changes with every byte,
markdown included; a run does not. For a submission of one notebook the run key covers what the kernel
executes: each code cell's source (magics and shell lines too: they execute) and tags (nbclient skips a cell
tagged ``skip-execution``), at its position in the notebook, plus every other file's bytes (data the code
reads, helper modules). Markdown, stored outputs, execution counts and other metadata are left out, so a
resubmission that only edits its answers reuses the stored run and has its answers re-read
(:func:`grader.evidence.notebook_text.with_notebook_text`).

Code cells keep their positions in the key because the evidence refers to cells by index (errors,
attribution of answers, diagnoses): inserting or removing a markdown cell *before* a code cell runs again,
editing one (or adding one after the last code cell) does not. Anything the key cannot read as a
notebook-format 4 file (invalid JSON, an older format) is hashed byte for byte, as is every submission with
several entries or none: its run key is then its content hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RUN_KEY_VERSION = b"grader-run-key/notebook-code/1\0"  # a run key never equals a content hash


def notebook_code(raw: bytes) -> bytes | None:
    """The executed part of a notebook file, canonical; None when it is not a readable nbformat 4 notebook."""
    try:
        nb = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) or not isinstance(nb.get("nbformat"), int) \
            or nb["nbformat"] < 4:
        return None
    code: list[Any] = []
    for index, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict):
            return None  # nbformat would refuse it: let the bytes decide
        kind = cell.get("cell_type")
        if kind == "code":
            src = cell.get("source", "")
            tags = (cell.get("metadata") or {}).get("tags") if isinstance(cell.get("metadata"), dict) else None
            code.append([index, "".join(src) if isinstance(src, list) else str(src),
                         sorted(str(t) for t in tags) if isinstance(tags, list) else []])
        elif kind not in ("markdown", "raw"):
            return None
    return json.dumps(code, ensure_ascii=False).encode()


def run_key(root: Path, files: Sequence[str], entries: Sequence[str], content_hash: str) -> str:
    """The run key of a submission (see the module's doc); `content_hash` is what it falls back to."""
    notebooks = [e for e in entries if e.lower().endswith(".ipynb")]
    if len(entries) != 1 or len(notebooks) != 1:
        return content_hash
    try:
        code = notebook_code((root / notebooks[0]).read_bytes())
    except OSError:
        return content_hash
    if code is None:
        return content_hash
    h = hashlib.sha256(RUN_KEY_VERSION)
    for rel in sorted(set(files) | set(entries)):
        h.update(rel.encode() + b"\0")
        if rel == notebooks[0]:
            h.update(code)
        else:
            try:
                with (root / rel).open("rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        h.update(chunk)
            except OSError as exc:
                h.update(f"unreadable:{exc.__class__.__name__}".encode())
        h.update(b"\0")
    return h.hexdigest()


__all__ = ["RUN_KEY_VERSION", "notebook_code", "run_key"]
