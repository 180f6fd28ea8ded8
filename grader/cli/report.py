"""``grader report``: re-render every output from stored result JSON files; nothing is re-run.

Exit codes: 0 written, 2 a bad option or an unreadable result file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from grader.errors import ConfigError

EXIT_OK, EXIT_USAGE = 0, 2
DEFAULT_FORMATS = "html,csv,json,junit,gradescope,md"


def _figures_dir(result_file: Path, figures_dir: Path | None, figure_files: list[str]) -> Path | None:
    """Where this result's figure PNGs are: the first candidate folder that holds any of them.

    A run's kept files usually sit next to the result JSON: in a folder named after it, in ``files/``
    (where ``grader check --out`` keeps them), or in the JSON's own folder; a shared ``--figures-dir``
    may hold one subfolder per result.
    """
    stem, here = result_file.stem, result_file.parent
    candidates = ([figures_dir / stem, figures_dir] if figures_dir else []) + \
                 [here / stem, here / f"{stem}.files", here / "files", here.parent / "files", here]
    for folder in candidates:
        if folder.is_dir() and any((folder / f).is_file() for f in figure_files):
            return folder
    return None


def collect(paths: tuple[Path, ...]) -> list[tuple[Path, list]]:
    """(file, results) for every result file named, or found (*.json, recursively) in a folder named."""
    from grader.render.exports.json import load_results

    found = []
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*.json")):
                try:
                    found.append((f, load_results(f)))
                except ConfigError as exc:  # a folder may hold other JSON (configs, Gradescope output)
                    click.echo(f"skipped: {exc}", err=True)
        else:
            found.append((p, load_results(p)))
    return found


@click.command("report")
@click.argument("results", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write into (created if missing).")
@click.option("--format", "formats", default=DEFAULT_FORMATS, show_default=True,
              help="Comma-separated: html, csv, json, junit, gradescope, md.")
@click.option("--audience", type=click.Choice(["instructor", "student"]), default="instructor", show_default=True,
              help="'student' conceals hidden criteria and the grader's own answers.")
@click.option("--figures-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder with the runs' figure files (default: next to each result file).")
def report_command(results: tuple[Path, ...], out: Path, formats: str, audience: str, figures_dir: Path | None) -> None:
    """Render reports and exports from stored result JSON files (or folders of them)."""
    from grader.render.outputs import Entry, parse_formats, write_outputs

    try:
        fmts = parse_formats(formats)
        loaded = collect(results)
    except (ValueError, ConfigError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    entries = [Entry(r, _figures_dir(f, figures_dir, [fig.file for fig in r.evidence.evidence.figures if fig.file]))
               for f, rs in loaded for r in rs]
    if not entries:
        click.echo("error: no results found", err=True)
        sys.exit(EXIT_USAGE)
    written = write_outputs(entries, out, fmts, audience=audience)  # type: ignore[arg-type]
    click.echo(f"wrote {len(written)} file(s) for {len(entries)} result(s) to {out}")
    sys.exit(EXIT_OK)


__all__ = ["report_command"]
