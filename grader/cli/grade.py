"""``grader grade FOLDER --rubric NAME``: grade a whole class, resumably, N sandboxes at once.

Exits OK when every submission got a grade (whether or not it met the rubric), USAGE for a bad
option, rubric or dataset folder, GRADER when the grader could not grade some submissions (see the
summary), INTERRUPTED on Ctrl-C (what finished is stored: run the same command again to resume).
"""

from __future__ import annotations

from pathlib import Path

import click

from grader.cli.environment_options import environment_options
from grader.cli.exits import GraderCommand
from grader.cli.options import adapt_option, compat_option, format_option, formats, seed_option, weights_option
from grader.errors import ConfigError, ExitCode, Interrupted


def _default_formats() -> tuple[str, ...]:
    from grader.render.registry import DEFAULT_FORMATS

    return DEFAULT_FORMATS


@click.command("grade", cls=GraderCommand)
@click.argument("folder", type=click.Path(exists=True, path_type=Path))
@click.option("--rubric", "rubric_ref", required=True, help="Bundled rubric name or a rubric .yaml file.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Submissions run at once; each gets cores/jobs CPU threads.")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Run on this machine's worker processes, or as tasks on a Ray cluster.")
@click.option("--address", help="Ray cluster address: auto, HOST:6379, or ray://HOST:10001 (needs ray[client]); default: a local Ray.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("grades"), show_default=True,
              help="Folder for the reports, the gradebook and (by default) the results store.")
@click.option("--store", "store_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Results store file (default: OUT/results.sqlite).")
@click.option("--datasets", help="Dataset folder, or 'synthetic' (default: $GRADER_DATASETS or Keras's cache).")
@click.option("--quick", is_flag=True, help="Short runs: criteria that need full training are not checked.")
@format_option(_default_formats)
@click.option("--cores", type=click.IntRange(min=1), help="CPU cores to share among jobs (default: all available).")
@click.option("--repeat", type=click.IntRange(min=0), default=0, show_default=True, metavar="K",
              help="Re-run each borderline submission (a metric whose 95% interval straddles its bar) with K more "
                   "seeds; its verdict uses the median, and the report shows the median and the spread. Cached "
                   "like any run.")
@click.option("--no-similarity", "no_similarity", is_flag=True,
              help="Leave out the class page's section of similar submissions (shared code, identical stored "
                   "training logs, identical models) and similarity.html. It never changes a grade.")
@click.option("--similarity-template", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Starter notebook or script handed out: its code is subtracted before comparing students' code.")
@compat_option
@adapt_option
@weights_option
@seed_option
@environment_options
def grade_command(folder: Path, rubric_ref: str, jobs: int, executor: str, address: str | None, out: Path,
                  store_path: Path | None, datasets: str | None, quick: bool, format_text: str, cores: int | None,
                  compat: str | None = None, python: str | None = None, runtime: str | None = None,
                  adapt: str | None = None, seed: int | str | None = None, repeat: int = 0,
                  no_similarity: bool = False, similarity_template: Path | None = None) -> ExitCode:
    """Grade every submission in FOLDER (files, student folders, Canvas/Moodle/Gradescope exports).

    Results are stored as they finish: run the same command again after an interruption, a rubric
    change or new submissions, and only what changed is run.
    """
    from grader import api
    from grader.render.class_summary import class_summary
    from grader.render.progress import ClassProgress

    fmts = formats(format_text)
    if address and executor != "ray":
        raise ConfigError("--address needs --executor ray")
    rubric = api.load_rubric(rubric_ref)  # refused before any store is opened or anything runs
    with ClassProgress() as progress:
        try:
            graded = api.grade_folder(folder, rubric=rubric, jobs=jobs, executor=executor, address=address,
                                      store=store_path, datasets=datasets, out=out, formats=fmts, quick=quick,
                                      cores=cores, progress=progress, compat=compat, python=python, runtime=runtime,
                                      adapt=adapt, seed=seed, repeat=repeat,
                                      similarity=not no_similarity, similarity_template=similarity_template)
        except KeyboardInterrupt:
            raise Interrupted("interrupted: finished results are stored; run the same command again to resume") \
                from None
    click.echo(class_summary(graded))
    if graded.written:
        click.echo(f"reports: {out}")
    return ExitCode(graded.exit_code)


__all__ = ["grade_command"]


if __name__ == "__main__":
    grade_command()
