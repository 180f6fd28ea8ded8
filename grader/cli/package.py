"""``grader package gradescope``: build a Gradescope autograder zip; ``grader package autograde``: what it runs."""

from __future__ import annotations

from pathlib import Path

import click

from grader.cli.exits import GraderGroup
from grader.errors import ExitCode


@click.group("package", cls=GraderGroup)
def package_group() -> None:
    """Package the grader for where a course grades (Gradescope)."""


@package_group.command("gradescope")
@click.option("--rubric", "rubric_ref", required=True, help="Bundled rubric name or a rubric .yaml file.")
@click.option("--datasets", metavar="DIR|synthetic",
              help="Dataset store copied into the zip (or 'synthetic' stand-ins); without it runs have no data store.")
@click.option("--weights", metavar="DIR", type=click.Path(file_okay=False, exists=True),
              help="Pretrained-weights store copied into the zip (see `grader weights`).")
@click.option("--submission", metavar="NAME",
              help="The file to grade in a submission (a name or glob; default: its one notebook, else its one script).")
@click.option("--hidden-visibility", type=click.Choice(["after_published", "after_due_date", "hidden"]),
              default="after_published", show_default=True,
              help="When students see hidden criteria on Gradescope.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("autograder.zip"),
              show_default=True, help="The zip to write.")
def gradescope_command(rubric_ref: str, datasets: str | None, weights: str | None, submission: str | None,
                       hidden_visibility: str, out: Path) -> ExitCode:
    """Build the autograder zip Gradescope expects: setup.sh, run_autograder, this grader, the rubric, the data."""
    from grader.package.gradescope import build_gradescope_zip

    config = build_gradescope_zip(rubric=rubric_ref, out=out, datasets=datasets, weights=weights,
                                  submission=submission, hidden_visibility=hidden_visibility)
    pins = ", ".join(p for p in config.pins.packages + config.pins.no_deps
                     if p.split("==")[0].lower().replace("_", "-") in ("tensorflow", "tensorflow-cpu", "keras", "tf-keras"))
    click.echo(f"wrote {out} ({out.stat().st_size / 2**20:.1f} MiB): rubric {config.rubric}, "
               f"datasets {config.datasets or 'none'}, grader {config.grader_version} on Python {config.python}, {pins}")
    if config.datasets is None:
        click.echo("note: no --datasets: submissions that load keras.datasets will find no data inside Gradescope",
                   err=True)
    return ExitCode.OK


@package_group.command("autograde")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="The autograder tree (default: $GRADER_AUTOGRADER_ROOT, else /autograder).")
def autograde_command(root: Path | None) -> ExitCode:
    """Grade <root>/submission into <root>/results/results.json (what run_autograder runs on Gradescope)."""
    from grader.package.autograder import autograde

    path, code = autograde(root)
    click.echo(f"wrote {path}")
    return code


__all__ = ["package_group"]
