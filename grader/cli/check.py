"""``grader check PATH --rubric NAME``: run one submission, grade it, and say what to fix."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from grader.cli.environment_options import environment_options
from grader.cli.exits import GraderCommand
from grader.cli.options import adapt_option, compat_option, format_option, formats, seed_option, weights_option
from grader.errors import ConfigError, ExitCode

if TYPE_CHECKING:
    from grader.grading.result import GradeResult

REPORT_FORMATS = ("html", "json", "md")  # what --out writes without --format


@click.command("check", cls=GraderCommand)
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--rubric", "rubric_ref", required=True, help="Bundled rubric name or a rubric .yaml file.")
@click.option("--quick", is_flag=True, help="Short runs: criteria that need full training are not checked.")
@click.option("--json", "as_json", is_flag=True, help="Print the full grade as JSON.")
@click.option("--datasets", help="Dataset folder (default: $GRADER_DATASETS or Keras's cache).")
@click.option("--color/--no-color", default=None, help="Colour the summary (default: when a terminal).")
@click.option("--verbose", "-v", is_flag=True, help="Also explain passed criteria and unused models.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help=f"Write reports here (formats from --format; default {','.join(REPORT_FORMATS)}).")
@format_option(note=" (needs --out)")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=Path), help="Write JUnit XML here.")
@click.option("--fail-under", type=click.FloatRange(0, 100),
              help="Exit 0 when the score is at least this percent (and 1 below it), whatever single criteria did.")
@compat_option
@adapt_option
@weights_option
@seed_option
@environment_options
def check_command(path: Path, rubric_ref: str, quick: bool, as_json: bool, datasets: str | None,
                  color: bool | None, verbose: bool, out: Path | None = None, format_text: str | None = None,
                  junit_file: Path | None = None, fail_under: float | None = None, compat: str | None = None,
                  python: str | None = None, runtime: str | None = None, adapt: str | None = None,
                  seed: int | str | None = None) -> ExitCode:
    """Run a submission and grade it against a rubric."""
    from grader import api
    from grader.render.audience import Audience, for_audience
    from grader.render.outputs import Entry
    from grader.render.progress import ProgressLine
    from grader.render.terminal import render_summary

    rubric = api.load_rubric(rubric_ref)  # a bad rubric is refused before the options are
    if format_text and out is None:
        raise ConfigError("--format needs --out")
    fmts = formats(format_text, REPORT_FORMATS) if out else []
    with ProgressLine() as progress:
        result = api.check(path, rubric=rubric, quick=quick, datasets=datasets, compat=compat, python=python,
                           runtime=runtime, progress=progress, adapt=adapt, seed=seed,
                           keep_files=out / "files" if out and "html" in fmts else None)
    # Everything check prints and writes is for the student (hidden criteria concealed): CI logs and
    # artifacts are theirs to read. The audience is applied here, once.
    result = for_audience(result, Audience.STUDENT)
    if as_json:
        click.echo(json.dumps(result.model_dump(mode="json"), indent=2))
    else:
        click.echo(render_summary(result, color=sys.stdout.isatty() if color is None else color, verbose=verbose))
    if out is not None:
        files = out / "files"
        api.write_outputs([Entry(result, files if files.is_dir() else None)], out=out, formats=fmts,
                          audience=Audience.STUDENT, class_page=False)
    if junit_file is not None:
        from grader.render.exports.junit import write_junit

        write_junit([result], junit_file)
    return exit_code(result, fail_under)


def exit_code(result: GradeResult, fail_under: float | None) -> ExitCode:
    """With --fail-under the percent decides (an incomplete grade still exits GRADER); without it, every criterion."""
    from grader.grading.result import GradeStatus

    if fail_under is None or result.status == GradeStatus.ERROR:
        return ExitCode(result.exit_code)
    return ExitCode.OK if result.percent >= fail_under else ExitCode.FAILED


__all__ = ["check_command", "exit_code"]
