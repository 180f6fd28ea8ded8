"""Command line for rubrics: ``grader rubric validate/show/schema/list/test`` and ``grader check``.

Exit codes: 0 all criteria passed (or the rubric command succeeded), 1 some criteria failed
(or a rubric test case mismatched), 2 a rubric or usage error, 3 the run could not be graded.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from grader.cli.options import compat_option, resolve_compat
from grader.cli.environment_options import environment_options

from grader.errors import GraderError, RubricError
from grader.evidence.model import Limits

if TYPE_CHECKING:
    from types import ModuleType

    from grader.grading.result import GradeResult
    from grader.rubric.model import Rubric

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_GRADER = 0, 1, 2, 3


def _load(ref: str) -> Rubric:
    from grader.rubric.loader import load_rubric
    from grader.rubric.resolve import resolve_rubric

    return load_rubric(resolve_rubric(ref))


def _fail(exc: GraderError) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(exc.exit_code)


@click.group("rubric")
def rubric_group() -> None:
    """Write, check and prove rubrics."""


@rubric_group.command("validate")
@click.argument("files", nargs=-1, required=True)
def validate_command(files: tuple[str, ...]) -> None:
    """Check rubric files (or bundled names); print every problem with file:line and a hint."""
    from grader.rubric.loader import RubricErrors

    bad = 0
    for ref in files:
        try:
            rubric = _load(ref)
        except RubricErrors as exc:
            bad += 1
            for err in exc.errors:
                click.echo(str(err), err=True)
        except RubricError as exc:
            bad += 1
            click.echo(str(exc), err=True)
        else:
            n = sum(1 for _ in rubric.criteria())
            click.echo(f"ok: {ref} ({rubric.id} {rubric.version}: {n} criteria, {rubric.max_score:g} points)")
    sys.exit(EXIT_USAGE if bad else EXIT_OK)


@rubric_group.command("show")
@click.argument("rubric")
def show_command(rubric: str) -> None:
    """Summarise a rubric: parts, slots, criteria and points."""
    from grader.rubric.show import describe_rubric

    try:
        click.echo(describe_rubric(_load(rubric)))
    except RubricError as exc:
        _fail(exc)


@rubric_group.command("schema")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
def schema_command(output: Path | None) -> None:
    """Print the JSON Schema of rubric files (generated from the rubric models)."""
    from grader.rubric.schema import schema_text

    text = schema_text()
    if output:
        output.write_text(text)
    else:
        click.echo(text, nl=False)


@rubric_group.command("list")
def list_command() -> None:
    """List the bundled rubrics with their titles."""
    from grader.rubric.loader import load_rubric
    from grader.rubric.resolve import bundled_rubrics

    for name, path in sorted(bundled_rubrics().items()):
        try:
            rubric = load_rubric(path)
            click.echo(f"{name:28} {rubric.title} (v{rubric.version}, {rubric.max_score:g} points)")
        except RubricError as exc:
            click.echo(f"{name:28} INVALID: {exc.message} ({path}:{exc.line})")


@rubric_group.command("test")
@click.argument("rubric")
@click.option("--reference", type=click.Path(file_okay=False, path_type=Path),
              help="Folder with the reference submission and variants/ (default: reference/<rubric-id>/).")
@click.option("--datasets", help="Dataset folder (default: $GRADER_DATASETS or Keras's cache).")
@click.option("--quick", is_flag=True, help="Quick runs; criteria needing full training are not compared.")
def test_command(rubric: str, reference: Path | None, datasets: str | None, quick: bool) -> None:
    """Run the reference submission and its variants; each must lose exactly what it declares."""
    from grader.pipeline.selftest import cases, reference_dir, run_cases, table

    try:
        r = _load(rubric)
        found = cases(reference_dir(r, reference))
    except RubricError as exc:
        _fail(exc)
        return
    api = _api()
    limits = r.limits.to_limits(_base_limits(api))
    try:
        run_cases(r, found, lambda p: api.run_submission(p, datasets=datasets, limits=limits,
                                                          continue_on_error=r.continue_on_error, quick=quick,
                                                          compat=r.limits.compat),
                  quick=quick)
    except GraderError as exc:
        _fail(exc)
    click.echo(table(found))
    sys.exit(EXIT_OK if all(c.ok for c in found) else EXIT_FAILED)


@click.command("check")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--rubric", "rubric_ref", required=True, help="Bundled rubric name or a rubric .yaml file.")
@click.option("--quick", is_flag=True, help="Short runs: criteria that need full training are not checked.")
@click.option("--json", "as_json", is_flag=True, help="Print the full grade as JSON.")
@click.option("--datasets", help="Dataset folder (default: $GRADER_DATASETS or Keras's cache).")
@click.option("--color/--no-color", default=None, help="Colour the summary (default: when a terminal).")
@click.option("--verbose", "-v", is_flag=True, help="Also explain passed criteria and unused models.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write reports here (formats from --format; default html,json,md).")
@click.option("--format", "formats", help="Comma-separated: html, csv, json, junit, gradescope, md (needs --out).")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=Path), help="Write JUnit XML here.")
@click.option("--fail-under", type=click.FloatRange(0, 100),
              help="Exit 0 when the score is at least this percent (and 1 below it), whatever single criteria did.")
@compat_option
@environment_options
def check_command(path: Path, rubric_ref: str, quick: bool, as_json: bool, datasets: str | None,
                  color: bool | None, verbose: bool, out: Path | None = None, formats: str | None = None,
                  junit_file: Path | None = None, fail_under: float | None = None, compat: str | None = None,
                  python: str | None = None, runtime: str | None = None) -> None:
    """Run a submission and grade it against a rubric."""
    from grader.grading.grade import grade
    from grader.render.terminal import render_summary

    try:
        rubric = _load(rubric_ref)
    except RubricError as exc:
        _fail(exc)
        return
    try:
        fmts = _check_formats(out, formats)
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    api = _api()
    from grader.render.progress import ProgressLine

    progress = ProgressLine()
    try:
        from grader.pipeline.classgrade import course_environment

        course = course_environment(rubric, python, runtime)  # refuses a bad interpreter before running
        verified = api.run_submission(path, datasets=datasets, limits=rubric.limits.to_limits(_base_limits(api)),
                                      python=course,
                                      continue_on_error=rubric.continue_on_error, quick=quick, progress=progress,
                                      compat=resolve_compat(compat, rubric.limits.compat),
                                      **({"keep_files": out / "files"} if out and "html" in fmts else {}))
    except GraderError as exc:
        _fail(exc)  # ConfigError exits 2, the others 3
        return
    finally:
        progress.close()
    result = grade(verified, rubric, quick=quick)
    if as_json:
        click.echo(json.dumps(result.model_dump(mode="json"), indent=2))
    else:
        use_color = sys.stdout.isatty() if color is None else color
        click.echo(render_summary(result, color=use_color, verbose=verbose))
    _write_reports(result, out, fmts, junit_file)
    sys.exit(_exit_code(result, fail_under))


def _check_formats(out: Path | None, formats: str | None) -> list[str]:
    from grader.render.outputs import parse_formats

    if formats and out is None:
        raise ValueError("--format needs --out")
    return parse_formats(formats or "html,json,md") if out else []


def _write_reports(result: GradeResult, out: Path | None, fmts: list[str], junit_file: Path | None) -> None:
    # What check writes is for the student (hidden criteria concealed): CI logs and artifacts are theirs to read.
    from grader.render.outputs import Entry, write_outputs

    if out is not None:
        files = out / "files"
        write_outputs([Entry(result, files if files.is_dir() else None)], out, fmts, audience="student",
                      class_page=False)
    if junit_file is not None:
        from grader.render.exports.junit import write_junit

        write_junit([result], junit_file, audience="student")


def _exit_code(result: GradeResult, fail_under: float | None) -> int:
    """With --fail-under the percent decides (a grader error still exits 3); without it, every criterion."""
    from grader.grading.result import GradeStatus

    if fail_under is None or result.status == GradeStatus.ERROR:
        return result.exit_code
    return EXIT_OK if result.percent >= fail_under else EXIT_FAILED


def _api() -> ModuleType:
    # Imported when a command runs: the sandbox machinery is not needed to validate or show rubrics.
    import grader.api as api

    return api


def _base_limits(api: ModuleType) -> Limits:
    # Keep the API's own default of all available cores: rubric limits only override what they set.
    cpus = api.default_cpus() if hasattr(api, "default_cpus") else 1
    return Limits(cpus=cpus)


__all__ = ["rubric_group", "check_command"]
