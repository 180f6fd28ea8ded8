"""``grader similarity RESULTS|FOLDER``: pairs of submissions that share more than chance explains.

Reads files only, nothing runs: a submissions folder (code and notebooks' stored outputs) or a grading
output folder (its ``results/`` add the models the grader's runs recorded). Exits OK whatever it finds
(similarity is evidence for a person, not a verdict), USAGE for a bad path or option.
"""

from __future__ import annotations

from pathlib import Path

import click

from grader.cli.exits import GraderCommand
from grader.errors import ExitCode


@click.command("similarity", cls=GraderCommand)
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--template", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Starter notebook or script handed out: code from it is no evidence, and is subtracted.")
@click.option("--submissions", type=click.Path(exists=True, path_type=Path),
              help="With a grading output folder: the class folder graded, where the code is.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the pairs side by side (shared code marked, equal training logs) to this HTML file.")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=None,
              help="Code overlap (0-1) that flags a pair [default: 0.6].")
@click.option("--all", "show_all", is_flag=True, help="List unflagged pairs too (the closest first).")
def similarity_command(path: Path, template: Path | None, submissions: Path | None, out: Path | None,
                       threshold: float | None, show_all: bool) -> ExitCode:
    """Rank pairs of submissions by shared code (starter code subtracted), identical stored training logs and
    identical model choices. Similarity never changes a grade: it is evidence for a person to read."""
    from grader.render.safe import for_terminal
    from grader.similarity import compare_class, load, template_code
    from grader.similarity.page import render_similarity
    from grader.similarity.rank import CODE_THRESHOLD

    sources = load(path, submissions)
    report = compare_class(sources, template=template_code(template) if template else None,
                           template_name=template.name if template else None,
                           code_threshold=CODE_THRESHOLD if threshold is None else threshold)
    shown = report.pairs if show_all else report.flagged
    click.echo(f"{len(report.students)} submissions, {len(report.flagged)} pair(s) flagged"
               + (f" (starter code {for_terminal(report.template)} subtracted)" if report.template else ""))
    if shown:
        width = max(len(for_terminal(p.a)) + len(for_terminal(p.b)) + 5 for p in shown)
        click.echo(f"{'rank':>4}  {'pair':<{width}}  {'code':>5}  signals")
        for n, p in enumerate(shown, 1):
            pair = f"{for_terminal(p.a)} <> {for_terminal(p.b)}"
            code = f"{100 * p.code.similarity:.0f}%" if p.code else "–"
            extra = []
            if p.outputs:
                extra.append(f"{len(p.outputs.epochs)} equal epochs")
            if p.model:
                extra.append(f"model shared by {p.model.shared_by}")
            signals = ", ".join(s.value for s in p.signals) or "-"
            click.echo(f"{n:>4}  {pair:<{width}}  {code:>5}  {signals}" + (f" ({'; '.join(extra)})" if extra else ""))
    for note in report.notes:
        click.echo(f"not compared: {for_terminal(note)}", err=True)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render_similarity(report), encoding="utf-8")
        click.echo(f"wrote {out}")
    return ExitCode.OK


__all__ = ["similarity_command"]
