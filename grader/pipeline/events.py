"""The events a class's grading adds to the probe's (grader.evidence.events) on their way to the progress display.

Values are the strings on the wire: they cross process boundaries (worker queues, Ray) as plain JSON-able dicts.
"""

from __future__ import annotations

from grader.evidence.model import Word


class ClassEvent(Word):
    PLAN = "plan"
    """Before anything runs: how many submissions, how many cached, re-graded and to run, with how many jobs."""
    DONE = "done"
    """A submission's grade is stored (ran, cached or re-graded)."""
    JOB_START = "job_start"
    """A worker took a submission (with the worker's name)."""
    JOB_END = "job_end"
    """A worker finished a submission and is idle until its next."""
    ENTRY_START = "entry_start"
    """One file of a submission of several files starts to run."""
