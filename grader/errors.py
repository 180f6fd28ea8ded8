"""The one exception hierarchy: grader and rubric bugs, never a student's failure.

A student's broken submission is *data* (a run status, a failed criterion). These
exceptions mean the grader itself, its configuration, or a rubric is wrong.
"""

from __future__ import annotations

from enum import IntEnum
from typing import ClassVar


class ExitCode(IntEnum):
    """What the ``grader`` command's exit status means: the only set of exit codes in the project."""

    OK = 0
    """The command did its job, and what it checked passed (``grader grade``: every submission got a grade)."""
    FAILED = 1
    """A submission failed: it missed the rubric, or ran badly (crashed, timed out, ...)."""
    USAGE = 2
    """A bad option, path, setting or rubric: nothing was graded."""
    GRADER = 3
    """The grader could not do its job (a sandbox, the verifier, a dataset, or a grader bug)."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C (128 + SIGINT, as shells report it)."""


class GraderError(Exception):
    """Base of every exception the grader raises on purpose."""

    exit_code: ClassVar[ExitCode] = ExitCode.GRADER


class ConfigError(GraderError):
    """A bad option, path or setting given to the grader."""

    exit_code: ClassVar[ExitCode] = ExitCode.USAGE


class RubricError(GraderError):
    """A rubric file that cannot be used: reported with file, line and a hint before anything runs."""

    exit_code: ClassVar[ExitCode] = ExitCode.USAGE

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None, hint: str | None = None):
        self.message = message
        self.file = file
        self.line = line
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        text = f"{where}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class SandboxError(GraderError):
    """The host cannot run a sandbox as asked (missing tool, no permission)."""


class EvidenceError(GraderError):
    """Evidence from a sandbox that is too large or malformed to read."""


class VerifierError(GraderError):
    """The verifier process broke (not the student's model: that is a verification status)."""


class DatasetError(GraderError):
    """A dataset the grader needs is missing or corrupt."""


class InterpreterError(ConfigError):
    """A course interpreter or environment that cannot run submissions (missing, too old, lacking a package).

    Raised before anything runs, once for the whole class, never once per student."""


class Interrupted(GraderError):
    """The user stopped the command (Ctrl-C); the message says what was kept."""

    exit_code: ClassVar[ExitCode] = ExitCode.INTERRUPTED
