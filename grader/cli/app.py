"""The command line: a thin layer over grader.api (see `grader --help`).

Exit codes: 0 success, 1 the submission failed (ran badly, or missed the rubric),
2 usage or rubric error, 3 the grader could not do its job.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from grader.cli.options import compat_option, resolve_compat
from grader.cli.environment_options import environment_options
from grader.errors import GraderError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_GRADER = 0, 1, 2, 3


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="grader")
def main() -> None:
    """Grade TensorFlow/Keras exercise submissions: run them in isolation, verify, report."""


@main.command()
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
@environment_options
def run(path: Path, as_json: bool, datasets: str | None, timeout: float | None, cell_timeout: float | None,
        memory_mb: int | None, cpus: int | None, stop_on_error: bool, keep: Path | None, compat: str | None = None,
        python: str | None = None, runtime: str | None = None) -> None:
    """Run one script or notebook in the sandbox and show what it trained."""
    from grader.api import default_cpus, run_submission
    from grader.evidence.model import Limits, RunStatus
    from grader.render.run_summary import render_run

    updates = {k: v for k, v in {"timeout_s": timeout, "cell_timeout_s": cell_timeout, "memory_mb": memory_mb}.items() if v is not None}
    limits = Limits(cpus=cpus or default_cpus(), **updates)
    from grader.render.progress import ProgressLine

    progress = ProgressLine()
    try:
        verified = run_submission(path, datasets=datasets, limits=limits, continue_on_error=not stop_on_error,
                                  keep_files=keep, progress=progress, compat=resolve_compat(compat),
                                  python=python, runtime=runtime)
    except GraderError as exc:
        click.echo(f"grader: {exc}", err=True)
        sys.exit(exc.exit_code)
    finally:
        progress.close()
    click.echo(verified.model_dump_json(indent=2) if as_json else render_run(verified))
    ok = verified.evidence.run.status in (RunStatus.COMPLETED, RunStatus.COMPLETED_WITH_ERRORS)
    sys.exit(EXIT_OK if ok else EXIT_FAILED)


@main.command()
@click.argument("name", type=click.Choice(["evidence", "verified"]))
def schema(name: str) -> None:
    """Print the JSON Schema of the evidence (or verified evidence) that `grader run --json` emits."""
    import json

    from grader.evidence.model import Evidence
    from grader.verify.verified import VerifiedEvidence

    model = Evidence if name == "evidence" else VerifiedEvidence
    click.echo(json.dumps(model.model_json_schema(), indent=2))


@main.group()
def datasets() -> None:
    """Inspect and fill the dataset store served to submissions."""


@datasets.command("list")
@click.option("--datasets", "store_dir", metavar="DIR", help="Dataset store folder.")
def datasets_list(store_dir: str | None) -> None:
    """Show which datasets the store holds."""
    from grader.datasets.store import DatasetStore

    store = DatasetStore.resolve(store_dir)
    click.echo(f"store: {store.root}")
    for row in store.describe():
        click.echo(f"  {row['name']:<14} {row.get('path') or '(missing)'}")


@datasets.command("fetch")
@click.argument("name")
@click.option("--datasets", "store_dir", metavar="DIR", help="Dataset store folder to fill.")
def datasets_fetch(name: str, store_dir: str | None) -> None:
    """Download NAME through Keras's own loader into the store (needs network)."""
    from grader.datasets.fetch import fetch
    from grader.datasets.store import DatasetStore

    try:
        fetch(name, DatasetStore.resolve(store_dir).root)
    except GraderError as exc:
        click.echo(f"grader: {exc}", err=True)
        sys.exit(exc.exit_code)


def _register_optional() -> None:
    try:
        from grader.cli.rubric import check_command, rubric_group
    except ImportError:
        return
    main.add_command(rubric_group, "rubric")
    main.add_command(check_command, "check")
    from grader.cli.report import report_command

    main.add_command(report_command, "report")
    from grader.cli.grade import grade_command

    main.add_command(grade_command, "grade")


_register_optional()
