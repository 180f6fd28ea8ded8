"""``grader rubric validate/show/schema/list/test/draft``: write, check and prove rubrics."""

from __future__ import annotations

from pathlib import Path

import click

from grader.cli.exits import GraderGroup
from grader.errors import ExitCode, RubricError


@click.group("rubric", cls=GraderGroup)
def rubric_group() -> None:
    """Write, check and prove rubrics."""


@rubric_group.command("validate")
@click.argument("files", nargs=-1, required=True)
def validate_command(files: tuple[str, ...]) -> ExitCode:
    """Check rubric files (or bundled names); print every problem with file:line and a hint."""
    from grader.api import load_rubric
    from grader.rubric.loader import RubricErrors

    bad = 0
    for ref in files:
        try:
            rubric = load_rubric(ref)
        except RubricErrors as exc:  # every problem in the file, one per line
            bad += 1
            for err in exc.errors:
                click.echo(str(err), err=True)
        except RubricError as exc:  # one file's problem must not hide the next file's
            bad += 1
            click.echo(str(exc), err=True)
        else:
            n = sum(1 for _ in rubric.criteria())
            click.echo(f"ok: {ref} ({rubric.id} {rubric.version}: {n} criteria, {rubric.max_score:g} points)")
    return ExitCode.USAGE if bad else ExitCode.OK


@rubric_group.command("show")
@click.argument("rubric")
def show_command(rubric: str) -> None:
    """Summarise a rubric: parts, slots, criteria and points."""
    from grader.api import load_rubric
    from grader.rubric.show import describe_rubric

    click.echo(describe_rubric(load_rubric(rubric)))


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
        except RubricError as exc:  # a broken bundled rubric is listed as such, not hidden
            click.echo(f"{name:28} INVALID: {exc.message} ({path}:{exc.line})")


@rubric_group.command("test")
@click.argument("rubric")
@click.option("--reference", type=click.Path(file_okay=False, path_type=Path),
              help="Folder with the reference submission and variants/ (default: reference/<rubric-id>/).")
@click.option("--datasets", help="Dataset folder (default: $GRADER_DATASETS or Keras's cache).")
@click.option("--quick", is_flag=True, help="Quick runs; criteria needing full training are not compared.")
def test_command(rubric: str, reference: Path | None, datasets: str | None, quick: bool) -> ExitCode:
    """Run the reference submission and its variants; each must lose exactly what it declares."""
    from grader.api import default_cpus, load_rubric, run_submission
    from grader.evidence.model import Limits
    from grader.pipeline.selftest import cases, reference_dir, run_cases, table
    from grader.datasets.served import hidden_split

    r = load_rubric(rubric)
    found = cases(reference_dir(r, reference))
    limits = r.limits.to_limits(Limits(cpus=default_cpus()))
    run_cases(r, found, lambda p: run_submission(p, datasets=datasets, limits=limits,
                                                 continue_on_error=r.continue_on_error, quick=quick,
                                                 compat=r.limits.compat,
                                                 hidden_test=hidden_split(r) is not None),
              quick=quick)
    click.echo(table(found))
    return ExitCode.OK if all(c.ok for c in found) else ExitCode.FAILED


@rubric_group.command("draft")
@click.argument("reference", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "-o", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Write the draft rubric here (YAML, commented).")
@click.option("--datasets", default="synthetic", show_default=True,
              help="Dataset folder the reference runs on ('synthetic': the deterministic stand-ins).")
@click.option("--id", "rubric_id", help="The draft's rubric id (default: from the file name).")
@click.option("--title", help="The draft's title (default: from the file name).")
@click.option("--timeout", type=float, default=3600, show_default=True, help="Time limit for the reference's run (s).")
def draft_command(reference: Path, out: Path, datasets: str, rubric_id: str | None, title: str | None,
                  timeout: float) -> ExitCode:
    """Run REFERENCE (.ipynb or .py) in the sandbox and write a commented rubric drafted from what it did."""
    import re

    from grader.api import default_cpus, run_submission
    from grader.errors import EvidenceError
    from grader.evidence.model import Limits, RunStatus
    from grader.rubric.draft import draft_rubric

    verified = run_submission(reference, datasets=datasets, limits=Limits(timeout_s=timeout, cpus=default_cpus()))
    if (fault := verified.blocking_fault) is not None:
        raise EvidenceError(f"the reference could not be run: {fault.message}")
    run = verified.evidence.run
    stem = re.sub(r"[^A-Za-z0-9]+", "-", reference.stem).strip("-").lower() or "draft"
    draft = draft_rubric(verified, rubric_id=rubric_id or stem, title=title or reference.stem.replace("_", " "),
                         reference=reference.name)
    out.write_text(draft.text, encoding="utf-8")
    n = sum(1 for _ in draft.rubric.criteria())
    click.echo(f"wrote {out}: {len(draft.rubric.slots)} slot(s), {n} criteria, {draft.rubric.max_score:g} points "
               f"(reference run: {run.status.value}, {len(verified.evidence.models)} model(s))")
    if draft.dropped:
        click.echo(f"left out (the reference does not earn them): {', '.join(draft.dropped)}")
    if draft.unearned:
        click.echo(f"the reference does not pass: {', '.join(draft.unearned)}", err=True)
    if run.status is not RunStatus.COMPLETED or draft.unearned:
        click.echo(f"the reference's run: {run.message}", err=True)
        return ExitCode.FAILED
    click.echo(f"check it: grader rubric test {out} --reference <folder with {reference.name}> --datasets {datasets}")
    return ExitCode.OK


__all__ = ["rubric_group"]
