"""How a student's grade in a class run was obtained: the one decision a class result adds to a grade."""

from __future__ import annotations

from grader.evidence.model import Word


class How(Word):
    RAN = "ran"
    """The student's code ran in this class run."""
    REGRADED = "regraded"
    """Stored evidence (a run of the same code), graded anew: the rubric, the answers or the stored outputs changed."""
    CACHED = "cached"
    """The stored grade of the same files under the same rubric: nothing ran and nothing was graded."""


__all__ = ["How"]
