"""``grader history STUDENT``: every change of a student's grade, with its reason, from the results store."""

from __future__ import annotations

from pathlib import Path

import click

from grader.cli.exits import GraderCommand
from grader.errors import ConfigError


@click.command("history", cls=GraderCommand)
@click.argument("student")
@click.option("--grades", type=click.Path(file_okay=False, path_type=Path), default=Path("grades"),
              show_default=True, help="The class's output folder (its results store is GRADES/results.sqlite).")
@click.option("--store", "store_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Results store file (default: GRADES/results.sqlite).")
def history_command(student: str, grades: Path, store_file: Path | None) -> None:
    """Show STUDENT's grade history: new submissions, rubric changes, overrides, repeats, re-grades."""
    from grader.review.history_text import history_lines
    from grader.review.locate import open_store

    with open_store(grades, store_file) as store:
        entries = store.history(student)
        if not entries and student not in store.students():
            raise ConfigError(f"no grade stored for student {student!r}")
    for line in history_lines(student, entries):
        click.echo(line)


__all__ = ["history_command"]
