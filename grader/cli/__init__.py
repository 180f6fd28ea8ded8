"""The command line: a thin layer over :mod:`grader.api` (see ``grader --help``)."""

from grader.cli.app import main

__all__ = ["main"]
