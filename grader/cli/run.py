"""``grader run PATH``: run one script or notebook in the sandbox and show what it trained."""

from __future__ import annotations

from pathlib import Path

import click

from grader.cli.environment_options import environment_options
from grader.cli.exits import GraderCommand
from grader.cli.options import adapt_option, compat_option, resolve_compat, seed_option, weights_option
from grader.errors import ExitCode


@click.command("run", cls=GraderCommand)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the verified evidence as JSON.")
@click.option("--datasets", metavar="DIR", help="Dataset store folder, or 'synthetic' (default: $GRADER_DATASETS, else Keras's cache).")
@click.option("--timeout", type=float, default=None, help="Whole-run time limit in seconds.")
@click.option("--cell-timeout", type=float, default=None, help="Per-cell time limit in seconds (notebooks).")
@click.option("--memory", "memory_mb", type=int, default=None, help="Memory limit in MiB.")
@click.option("--cpus", type=int, default=None, help="CPU threads for TensorFlow and BLAS in the sandbox.")
@click.option("--stop-on-error", is_flag=True, help="Stop a notebook at the first cell that raises.")
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), help="Copy the run's evidence files here.")
@compat_option
@adapt_option
@weights_option
@seed_option
@environment_options
def run_command(path: Path, as_json: bool, datasets: str | None, timeout: float | None, cell_timeout: float | None,
                memory_mb: int | None, cpus: int | None, stop_on_error: bool, keep: Path | None,
                compat: str | None = None, python: str | None = None, runtime: str | None = None,
                adapt: str | None = None, seed: int | str | None = None) -> ExitCode:
    """Run one script or notebook in the sandbox and show what it trained."""
    from grader.api import default_cpus, run_submission
    from grader.evidence.model import Limits, RunStatus
    from grader.render.progress import ProgressLine
    from grader.render.run_summary import render_run

    given = {"timeout_s": timeout, "cell_timeout_s": cell_timeout, "memory_mb": memory_mb}
    limits = Limits(cpus=cpus or default_cpus(), **{k: v for k, v in given.items() if v is not None})
    with ProgressLine() as progress:
        verified = run_submission(path, datasets=datasets, limits=limits, continue_on_error=not stop_on_error,
                                  keep_files=keep, progress=progress, compat=resolve_compat(compat),
                                  python=python, runtime=runtime, adapt=adapt, seed=seed)
    click.echo(verified.model_dump_json(indent=2) if as_json else render_run(verified))
    ran = verified.evidence.run.status in (RunStatus.COMPLETED, RunStatus.COMPLETED_WITH_ERRORS)
    return ExitCode.OK if ran else ExitCode.FAILED


__all__ = ["run_command"]
