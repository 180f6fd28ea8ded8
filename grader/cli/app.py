"""The ``grader`` command: one click group, every subcommand registered here by name.

Commands are thin: they parse options, call :mod:`grader.api`, render, and return an
:class:`~grader.errors.ExitCode`; :mod:`grader.cli.exits` turns what they return or raise into the
process's exit status (0 OK, 1 a submission failed, 2 usage or rubric error, 3 the grader could not
do its job, 130 interrupted).

Subcommands are imported here, unguarded: a module that cannot be imported breaks ``grader`` itself,
loudly, instead of quietly taking its commands off the list.
"""

from __future__ import annotations

import click

from grader.cli.check import check_command
from grader.cli.datasets import datasets_group
from grader.cli.exits import GraderGroup
from grader.cli.grade import grade_command
from grader.cli.history import history_command
from grader.cli.override import override_command
from grader.cli.package import package_group
from grader.cli.report import report_command
from grader.cli.review import review_command
from grader.cli.rubric import rubric_group
from grader.cli.run import run_command
from grader.cli.schema import schema_command
from grader.cli.similarity import similarity_command
from grader.cli.weights import weights_group


@click.group(cls=GraderGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="grader")
def main() -> None:
    """Grade TensorFlow/Keras exercise submissions: run them in isolation, verify, report."""


for command in (run_command, check_command, grade_command, report_command, rubric_group, datasets_group,
                schema_command, weights_group, package_group, similarity_command):
    main.add_command(command)
main.add_command(review_command)
main.add_command(override_command)
main.add_command(history_command)

__all__ = ["main"]
