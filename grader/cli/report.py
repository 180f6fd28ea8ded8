"""``grader report RESULTS... --out DIR``: re-render every output from stored result JSON; nothing is re-run."""

from __future__ import annotations

from pathlib import Path

import click

from grader.cli.exits import GraderCommand
from grader.cli.options import AudienceChoice, format_option, formats
from grader.errors import ConfigError


def _every_format() -> tuple[str, ...]:  # every output, unless --format says
    from grader.render.registry import formats as registered

    return registered()


@click.command("report", cls=GraderCommand)
@click.argument("results", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write into (created if missing).")
@format_option(_every_format)
@click.option("--audience", type=AudienceChoice(), default="instructor", show_default=True,
              help="'student' conceals hidden criteria and the grader's own answers.")
@click.option("--figures-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder with the runs' figure files (default: next to each result file).")
def report_command(results: tuple[Path, ...], out: Path, format_text: str, audience: str,
                   figures_dir: Path | None) -> None:
    """Render reports and exports from stored result JSON files (or folders of them)."""
    from grader.api import stored_results, write_outputs
    from grader.render.audience import Audience

    fmts = formats(format_text)
    stored = stored_results(results, figures_dir=figures_dir)
    for reason in stored.skipped:  # a folder may hold other JSON (configs, Gradescope output)
        click.echo(f"skipped: {reason}", err=True)
    if not stored.entries:
        raise ConfigError("no results found")
    written = write_outputs(stored.entries, out=out, formats=fmts, audience=Audience(audience))
    click.echo(f"wrote {len(written)} file(s) for {len(stored.entries)} result(s) to {out}")


__all__ = ["report_command"]
