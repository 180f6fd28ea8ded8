"""Folds the probe's `run_note` events into RunNotes, and says which note explains an error.

Notes come from code written for Colab or a laptop (pip, shell, magic, colab, path, network) and
from adaptation to the grading machine (`adaptation`: a GPU line made inert, a drawing skipped, a
Keras 3 relocation served; `package`: an import of a package the grader does not have).

A note gets the cell of the last `cell_start` before it (the driver and the kernel append to
one log, in order). A failed note explains an error when they name the same thing: a pip
install that failed and a later `No module named 'x'`, a path that could not be provided and a
FileNotFoundError naming it, `files.upload()` and a later missing file.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from grader.evidence.model import CellError, NoteTopic, RunNote, ScriptError
from grader.evidence.events import ProbeEvent

MAX_NOTES = 200
# Topics of the notes the probe writes about adaptation to the grading machine (grader_probe.adapt):
# what it adapted (a GPU line made inert, a drawing skipped, a Keras 3 relocation served), and a
# package the grader does not have (the import then fails as it would anyway, named).
ADAPTATION = NoteTopic.ADAPTATION
MISSING_PACKAGE = NoteTopic.PACKAGE
_MODULE = re.compile(r"No module named '([^']+)'")
_FILE_ERRORS = ("FileNotFoundError", "NotADirectoryError", "OSError", "IOError")
_IMPORT_NAMES = {"sklearn": "scikit-learn", "PIL": "pillow", "cv2": "opencv-python", "bs4": "beautifulsoup4",
                 "yaml": "pyyaml"}


def fold_run_notes(events: list[dict[str, Any]], warnings: list[str] | None = None) -> list[RunNote]:
    notes: list[RunNote] = []
    cell: int | None = None
    for ev in events:
        kind = ProbeEvent.of(ev.get("event"))
        if kind is ProbeEvent.CELL_START and isinstance(ev.get("index"), int):
            cell = ev["index"]
        elif kind is ProbeEvent.RUN_NOTE and len(notes) < MAX_NOTES:
            try:
                notes.append(RunNote(kind=ev.get("kind"), topic=str(ev.get("topic", ""))[:40],
                                     detail=str(ev.get("detail", ""))[:600],
                                     subjects=[str(s)[:300] for s in (ev.get("subjects") or [])][:20],
                                     cell_index=cell, line=ev.get("line") if isinstance(ev.get("line"), int) else None))
            except (ValidationError, TypeError) as exc:
                if warnings is not None:
                    warnings.append(f"'run_note' event did not match the schema: {str(exc).splitlines()[0][:200]}")
    return notes


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _explains(note: RunNote, ename: str, evalue: str) -> bool:
    if note.kind != "failed":
        return False
    if ename in ("ModuleNotFoundError", "ImportError") and note.topic in (NoteTopic.PIP, MISSING_PACKAGE):
        match = _MODULE.search(evalue)
        if not match:
            return False
        top = match.group(1).split(".")[0]
        wanted = {_norm(top), _norm(_IMPORT_NAMES.get(top, top))}
        return any(_norm(s) in wanted for s in note.subjects)
    if ename in _FILE_ERRORS or "No such file" in evalue or "does not exist" in evalue:
        if note.topic is NoteTopic.COLAB and "upload" in note.detail:
            return True
        for subject in note.subjects:
            base = re.split(r"[\\/]", subject.rstrip("/\\"))[-1]
            if subject in evalue or (base and base in evalue):
                return True
    return False


def link_notes(notes: list[RunNote], cell_errors: list[CellError], script_error: ScriptError | None) -> list[RunNote]:
    """The notes, with caused_error set on those that explain one of the run's errors."""
    errors: list[tuple[int | None, str, str]] = [(e.cell_index, e.ename, e.evalue) for e in cell_errors]
    if script_error is not None:
        errors.append((None, script_error.ename, script_error.evalue))
    out = []
    for note in notes:
        caused = any(_explains(note, ename, evalue) and (cell is None or note.cell_index is None or note.cell_index <= cell)
                     for cell, ename, evalue in errors)
        out.append(note.model_copy(update={"caused_error": True}) if caused else note)
    return out


def adaptations(notes: list[RunNote]) -> list[RunNote]:
    """The notes on what was adapted because the grading machine is not the student's (see README,
    'Adaptation to the grading machine')."""
    return [n for n in notes if n.topic == ADAPTATION]


def explain(message: str, notes: list[RunNote]) -> str:
    """The run's one-line message, saying so when an error came from something the grader could not provide."""
    cause = next((n for n in notes if n.caused_error), None)
    if cause is None:
        return message
    return f"{message} (because {cause.detail})"


def note_line(note: RunNote) -> str:
    """One plain-text line for terminals: '[provided] cell 2, line 1: read ... (this is what failed)'."""
    cause = " (this is what failed)" if note.caused_error else ""
    return f"[{note.kind}] {note.where()}: {note.detail}{cause}"
