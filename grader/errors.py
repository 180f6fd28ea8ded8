"""The one exception hierarchy: grader and rubric bugs, never a student's failure.

A student's broken submission is *data* (a run status, a failed criterion). These
exceptions mean the grader itself, its configuration, or a rubric is wrong.
"""

from __future__ import annotations


class GraderError(Exception):
    """Base of every exception the grader raises on purpose."""

    exit_code = 3


class ConfigError(GraderError):
    """A bad option, path or setting given to the grader."""

    exit_code = 2


class RubricError(GraderError):
    """A rubric file that cannot be used: reported with file, line and a hint before anything runs."""

    exit_code = 2

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
