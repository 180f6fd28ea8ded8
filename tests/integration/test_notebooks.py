"""Notebooks run cell by cell through nbclient: errors and timeouts are recorded per cell, and
the cells after them still run unless the run is told to stop."""

from __future__ import annotations

import pytest

from grader.evidence.model import Limits, RunStatus

pytestmark = pytest.mark.tf

ERRORS = [
    ("markdown", "# A notebook with a bug in the middle"),
    "print('first cell ran')",
    """
    values = [1, 2, 3]
    print(values[10])
    """,
    "print('after the error')",
    "undefined_name + 1",
    "print('last cell ran')",
]

TIMEOUT = [
    "print('before the loop')",
    """
    spins = 0
    while True:
        spins += 1
    """,
    "print('after the timeout')",
]


def test_cell_error_recorded_and_later_cells_run(submission, grade) -> None:
    verified = grade(submission("errors.ipynb", ERRORS))
    run, ev = verified.evidence.run, verified.evidence
    assert run.status is RunStatus.COMPLETED_WITH_ERRORS
    assert (run.cells_total, run.cells_run) == (5, 5)
    first, second = run.cell_errors
    # Indices are positions in the notebook, markdown cells included.
    assert (first.cell_index, first.execution_count, first.ename) == (2, 2, "IndexError")
    assert first.evalue == "list index out of range"
    assert "print(values[10])" in first.traceback and "IndexError" in first.traceback
    assert "\x1b[" not in first.traceback  # colour codes stripped
    assert (second.cell_index, second.ename) == (4, "NameError")
    assert "cell 2, IndexError" in run.message
    assert "after the error" in ev.printed and "last cell ran" in ev.printed
    assert ev.models == [] and verified.verifications == []


def test_stop_on_error_stops_at_the_failing_cell(submission, grade) -> None:
    verified = grade(submission("errors.ipynb", ERRORS), continue_on_error=False)
    run, ev = verified.evidence.run, verified.evidence
    assert run.status is RunStatus.COMPLETED_WITH_ERRORS
    assert "stopped there" in run.message
    assert (run.cells_total, run.cells_run) == (5, 2)
    (error,) = run.cell_errors
    assert (error.cell_index, error.ename) == (2, "IndexError")
    assert "first cell ran" in ev.printed
    assert "after the error" not in ev.printed


def test_cell_timeout_interrupts_the_cell_and_later_cells_run(submission, grade) -> None:
    verified = grade(submission("spin.ipynb", TIMEOUT), limits=Limits(cell_timeout_s=3, timeout_s=120))
    run, ev = verified.evidence.run, verified.evidence
    assert run.status is RunStatus.TIMEOUT
    assert run.message == "cell 1 was interrupted by the per-cell time limit of 3 s (set by the --cell-timeout option)"
    (error,) = run.cell_errors
    assert (error.cell_index, error.ename) == (1, "CellTimeoutError")
    assert "3 s" in error.evalue
    assert "spins += 1" in error.traceback  # where the interrupt landed
    assert run.cells_run == 3
    assert "before the loop" in ev.printed and "after the timeout" in ev.printed
    assert run.duration_s < 60
