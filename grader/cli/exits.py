"""The one place where the command line turns outcomes and exceptions into exit codes.

Commands return an :class:`~grader.errors.ExitCode` (or nothing, for OK) and raise
:class:`~grader.errors.GraderError` for what stops them; :func:`exit_code_for` decides what the
process exits with. :class:`GraderCommand` and :class:`GraderGroup` apply it whether a command is
run through ``grader`` or on its own (``python -m grader.cli.grade``, a test's ``CliRunner``).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import click

from grader.errors import ExitCode, GraderError

DEBUG_ENV = "GRADER_DEBUG"  # set to print the full traceback of a grader bug


def exit_code_for(call: Callable[[], object]) -> ExitCode | int:
    """Run ``call`` (a command in click's non-standalone mode) and say what the process exits with.

    Messages go to stderr; nothing escapes but SystemExit (click's own, for a broken pipe).
    """
    try:
        returned = call()
    except GraderError as exc:
        from grader.render.safe import for_terminal  # a message may quote a submission's file name

        click.echo(f"grader: {for_terminal(exc, multiline=True)}", err=True)
        return exc.exit_code
    except click.ClickException as exc:  # a bad option or argument, worded by click
        exc.show()
        return ExitCode.USAGE
    except (click.Abort, KeyboardInterrupt):
        click.echo("grader: interrupted", err=True)
        return ExitCode.INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - anything else is a bug in the grader, and must say so
        _report_bug(exc)
        return ExitCode.GRADER
    if returned is None:
        return ExitCode.OK
    if isinstance(returned, int) and not isinstance(returned, bool):  # an ExitCode, or click's own (0 after --help)
        try:
            return ExitCode(returned)
        except ValueError:
            return returned
    _report_bug(TypeError(f"a command returned {returned!r}; commands return an ExitCode or None"))
    return ExitCode.GRADER


def _report_bug(exc: BaseException) -> None:
    if os.environ.get(DEBUG_ENV):
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name})" if frames else ""
    click.echo(f"grader: internal error, a bug in the grader rather than in any submission: "
               f"{type(exc).__name__}: {exc}{where}", err=True)
    if not os.environ.get(DEBUG_ENV):
        click.echo(f"grader: run again with {DEBUG_ENV}=1 for the full traceback, and include it in a bug report",
                   err=True)


class _ExitCodes:
    """Mixed into click's Command and Group: standalone runs exit through :func:`exit_code_for`."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        parent = super()
        if not standalone_mode:  # a caller that handles outcomes itself gets click's plain behaviour
            return parent.main(args, prog_name, complete_var, standalone_mode=False, **extra)  # type: ignore[misc]
        code = exit_code_for(lambda: parent.main(args, prog_name, complete_var,  # type: ignore[misc]
                                                 standalone_mode=False, **extra))
        sys.exit(int(code))


class GraderCommand(_ExitCodes, click.Command):
    """A command whose return value (an ExitCode) is the process's exit status."""


class GraderGroup(_ExitCodes, click.Group):
    """A group whose subcommands are GraderCommands and GraderGroups, and that exits like one."""

    command_class = GraderCommand
    group_class = type  # subgroups get this class too


__all__ = ["DEBUG_ENV", "GraderCommand", "GraderGroup", "exit_code_for"]
