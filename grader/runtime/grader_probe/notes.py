"""Run notes: what the probe did about code written for Colab or a laptop (pip, magics, Drive, paths).

Each note is one `run_note` event; the host folds them into `RunNote`s and decides which one
explains an error. The notebook driver's `cell_start` events give the cell, so the kernel only
has to say which line of the student's code it was called from.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Iterable

from grader_probe import events

KINDS = ("skipped", "provided", "failed", "ran")
# IPython compiles each cell into a file under a per-kernel folder (or "<ipython-input-..>").
_CELL_FILE = re.compile(r"(ipykernel_\d+|<ipython-input-)")
_START_CWD = os.getcwd()
_seen: set[tuple[str, str]] = set()
_PRINT = sys.stderr.write  # bound early, like events: student code may replace sys.stderr


def work_dir() -> str:
    """The submission's own folder inside the sandbox."""
    return os.environ.get("GRADER_WORK") or _START_CWD


def data_dir() -> str | None:
    return os.environ.get("GRADER_DATA") or None


def is_student_file(filename: str) -> bool:
    if not filename:
        return False
    if _CELL_FILE.search(filename):
        return True
    if "grader_probe" in filename or "site-packages" in filename:
        return False
    work = work_dir().rstrip("/") + "/"
    return filename.startswith(work)


def student_line(depth: int = 2) -> int | None:
    """Line of the innermost student frame that called into the probe."""
    try:
        frame = sys._getframe(depth)
    except ValueError:
        return None
    while frame is not None:
        if is_student_file(frame.f_code.co_filename):
            return frame.f_lineno
        frame = frame.f_back
    return None


def called_from_student(depth: int = 2) -> bool:
    """True when the direct caller (`depth` frames up) is the student's code, not a library."""
    try:
        return is_student_file(sys._getframe(depth).f_code.co_filename)
    except ValueError:
        return False


def note(kind: str, topic: str, detail: str, subjects: Iterable[str] = (), *, echo: bool = True,
         per_line: bool = False) -> None:
    """Record a note once per (topic, detail), or once per line of the student's code with `per_line`;
    `subjects` are the packages, files or paths it names."""
    line = student_line(3)
    key = (topic, detail, line) if per_line else (topic, detail)
    if key in _seen:
        return
    _seen.add(key)
    events.emit("run_note", kind=kind, topic=topic, detail=detail[:600],
                subjects=[str(s)[:300] for s in list(subjects)[:20]], line=line)
    if echo:
        try:
            _PRINT(f"[grader] {detail}\n")
        except Exception:
            pass


def provided_files(limit: int = 30) -> list[str]:
    """Names the grader serves in its data folder, for a note on a file it could not find."""
    folder = data_dir()
    if not folder or not os.path.isdir(folder):
        return []
    try:
        return sorted(os.listdir(folder))[:limit]
    except OSError:
        return []
