"""``grader override STUDENT CRITERION --points P --comment TEXT``: a TA's verdict on one criterion.

The override is stored in the results store with who made it and when, and is applied to every later
report and export while the rubric defines the criterion the same way (see :mod:`grader.review.apply`).
"""

from __future__ import annotations

from pathlib import Path

import click

from grader.cli.exits import GraderCommand


@click.command("override", cls=GraderCommand)
@click.argument("student")
@click.argument("criterion")
@click.option("--points", type=float, help="Points to award instead of the grader's (0 to the criterion's maximum).")
@click.option("--verdict", type=click.Choice(["passed", "failed"]),
              help="Verdict instead of the grader's (without --points: full or no points).")
@click.option("--comment", required=True, help="Why: shown to the student beside the criterion.")
@click.option("--reviewer", envvar="GRADER_REVIEWER", required=True,
              help="Who decides (instructors see it, students do not) [env: GRADER_REVIEWER].")
@click.option("--grades", type=click.Path(file_okay=False, path_type=Path), default=Path("grades"),
              show_default=True, help="The class's output folder (its results store is GRADES/results.sqlite).")
@click.option("--store", "store_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Results store file (default: GRADES/results.sqlite).")
def override_command(student: str, criterion: str, points: float | None, verdict: str | None, comment: str,
                     reviewer: str, grades: Path, store_file: Path | None) -> None:
    """Override CRITERION of STUDENT's grade; it counts in every report and export from the next `grader grade`."""
    from grader.render.safe import for_terminal, pts
    from grader.review.locate import open_store
    from grader.review.record import record_override

    with open_store(grades, store_file) as store:
        result = record_override(store, student, criterion, reviewer=reviewer, comment=comment, points=points,
                                 outcome=verdict)
    c = result.criterion(criterion)
    assert c is not None and c.override is not None  # record_override refuses unknown criteria
    click.echo(f"{for_terminal(student)} / {for_terminal(criterion)}: {c.override.original_outcome.value} "
               f"{pts(c.override.original_points)} -> {c.outcome.value} {pts(c.points)} of {pts(c.max_points)}; "
               f"score {pts(result.score)} / {pts(result.max_score)}")
    click.echo("stored; reports and exports show it after the next `grader grade` of the class")


__all__ = ["override_command"]
