"""``grader grade FOLDER --rubric NAME``: grade a whole class, resumably, N sandboxes at once.

Exit codes: 0 every submission was graded (whether or not it met the rubric), 2 a usage, rubric
or dataset-folder error, 3 the grader could not grade some submissions (see the summary),
130 interrupted (what finished is stored: run the same command again to resume).
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

import click

from grader.cli.options import compat_option
from grader.cli.environment_options import environment_options
from grader.errors import GraderError

EXIT_OK, EXIT_USAGE, EXIT_GRADER, EXIT_INTERRUPTED = 0, 2, 3, 130


class ClassProgress:
    """A progress bar with ETA and one live line per worker on a terminal; one plain line per result elsewhere."""

    def __init__(self, stream: TextIO | None = None, *, tty: bool | None = None, redraw_s: float = 0.1):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.total = self.finished = self.to_run = self.ran = 0
        self.jobs = 1
        self.run_seconds: list[float] = []
        self.workers: dict[str, str] = {}
        self.started = self.last_done = time.monotonic()
        self._lines = 0
        self._last_draw = 0.0
        self.redraw_s = redraw_s
        self._lock = threading.Lock()  # events come from the worker listener thread and the main thread

    def __call__(self, event: dict[str, Any]) -> None:
        with self._lock:
            self._handle(event)

    def _handle(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "plan":
            self.total, self.to_run, self.jobs = event["students"], event["to_run"], event["jobs"]
            gpus = f", GPUs {','.join(event['gpus'])}" if event.get("gpus") else ""
            self._say(f"{self.total} submission(s): {event['cached']} already graded, {event['regraded']} re-graded "
                      f"from stored runs, {self.to_run} to run with {self.jobs} job(s) x {event['cpus_per_job']} CPU(s){gpus}")
        elif kind == "done":
            self.finished += 1
            result = event["result"]
            if event.get("how") == "ran":
                self.ran += 1
                self.run_seconds.append(float(event.get("seconds") or 0.0))
                self.last_done = time.monotonic()
                self.workers.pop(event.get("worker", ""), None)
                worker = f" [{event['worker']}]" if event.get("worker") else ""
                self._say(f"[{self.finished}/{self.total}] {event['student']}: {result.status.value} "
                          f"{result.score:g}/{result.max_score:g} ({result.percent:.1f}%), run {result.run.status.value}, "
                          f"{float(event.get('seconds') or 0):.1f} s{worker}")
            elif not self.tty:
                self._say(f"[{self.finished}/{self.total}] {event['student']}: {result.status.value} "
                          f"{result.percent:.1f}% ({event.get('how')})")
        elif kind == "job_end":
            self.workers.pop(event.get("worker", ""), None)  # idle until its next submission
        elif "worker" in event:
            self.workers[event["worker"]] = f"{event.get('student', '')}: {self._describe(event)}"
        self._draw()

    @staticmethod
    def _describe(event: dict[str, Any]) -> str:
        kind = event.get("event")
        if kind == "job_start":
            return "starting"
        if kind == "entry_start":
            return f"{event.get('entry')} ({event.get('n')}/{event.get('of')})"
        if kind == "cell_start":
            return f"cell {event.get('n')}/{event.get('of')}"
        if kind == "fit_start":
            return f"{event.get('model')} training, {event.get('epochs')} epoch(s)"
        if kind == "epoch":
            return f"{event.get('model')} epoch {event.get('epoch')}/{event.get('epochs')}"
        return str(kind)

    def eta(self, now: float | None = None) -> float | None:
        """Seconds left: mean run time so far x rounds of `jobs` runs left, less the time since the
        last run ended (None before the first run ends)."""
        if not self.run_seconds:
            return None
        left = max(0, self.to_run - self.ran)
        mean = sum(self.run_seconds) / len(self.run_seconds)
        since = (time.monotonic() if now is None else now) - self.last_done
        return max(0.0, mean * -(-left // max(1, self.jobs)) - since) if left else 0.0

    @staticmethod
    def _clock(seconds: float) -> str:
        s = int(seconds)
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"

    def _say(self, text: str) -> None:
        self._clear()
        self.stream.write(text + "\n")
        self.stream.flush()

    def _clear(self) -> None:
        if self.tty and self._lines:
            self.stream.write(f"\x1b[{self._lines}F\x1b[J")
            self._lines = 0

    def _draw(self) -> None:
        if not self.tty or not self.total:
            return
        now = time.monotonic()
        if now - self._last_draw < self.redraw_s and self.finished < self.total:
            return
        self._last_draw = now
        self._clear()
        width = 30
        filled = int(width * self.finished / self.total)
        eta = self.eta(now)
        lines = [f"[{'#' * filled}{'.' * (width - filled)}] {self.finished}/{self.total} "
                 f"elapsed {self._clock(now - self.started)}"
                 + (f" ETA {self._clock(eta)}" if eta is not None and self.finished < self.total else "")]
        lines += [f"  {w}: {text}"[:150] for w, text in sorted(self.workers.items())]
        self.stream.write("\n".join(lines) + "\n")
        self.stream.flush()
        self._lines = len(lines)

    def close(self) -> None:
        self._clear()
        self.stream.flush()


def class_summary(graded: Any) -> str:
    """The class at a glance: counts, mean score, and every submission that needs a look."""
    from grader.grading.result import GradeStatus

    results = graded.results
    lines = [f"graded {len(results)} submission(s) in {graded.wall_s:.1f} s: {graded.count('ran')} run, "
             f"{graded.count('regraded')} re-graded from stored runs, {graded.count('cached')} unchanged"]
    if results:
        pct = [r.result.percent for r in results]
        by = {s: sum(1 for r in results if r.result.status == s) for s in GradeStatus}
        lines.append(f"passed {by[GradeStatus.PASSED]}, failed {by[GradeStatus.FAILED]}, "
                     f"not graded {by[GradeStatus.ERROR]}; mean {sum(pct) / len(pct):.1f}%, "
                     f"lowest {min(pct):.1f}%, highest {max(pct):.1f}%")
    width = max((len(r.student.name) for r in results), default=0)
    for r in results:
        res = r.result
        note = "" if res.run.status.value == "completed" else f"  [{res.run.status.value}: {res.run.message[:90]}]"
        lines.append(f"  {r.student.name:<{width}}  {res.score:>6g}/{res.max_score:<6g} {res.percent:5.1f}%  "
                     f"{res.status.value:<6}{note}")
    if graded.ungraded:
        lines.append(f"the grader could not grade {len(graded.ungraded)} submission(s); they are retried on the next run")
    if graded.store:
        lines.append(f"results store: {graded.store}")
    return "\n".join(lines)


@click.command("grade")
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
@click.option("--format", "formats", default="html,csv,json,junit,md", show_default=True,
              help="Comma-separated: html, csv, json, junit, gradescope, md.")
@click.option("--cores", type=click.IntRange(min=1), help="CPU cores to share among jobs (default: all available).")
@compat_option
@environment_options
def grade_command(folder: Path, rubric_ref: str, jobs: int, executor: str, address: str | None, out: Path,
                  store_path: Path | None, datasets: str | None, quick: bool, formats: str, cores: int | None,
                  compat: str | None = None, python: str | None = None, runtime: str | None = None) -> None:
    """Grade every submission in FOLDER (files, student folders, Canvas/Moodle/Gradescope exports).

    Results are stored as they finish: run the same command again after an interruption, a rubric
    change or new submissions, and only what changed is run.
    """
    from grader.pipeline.classgrade import grade_folder
    from grader.errors import RubricError
    from grader.render.outputs import parse_formats

    try:
        fmts = parse_formats(formats)
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    if address and executor != "ray":
        click.echo("error: --address needs --executor ray", err=True)
        sys.exit(EXIT_USAGE)
    try:
        from grader.pipeline.classgrade import _rubric

        rubric = _rubric(rubric_ref)
    except RubricError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    progress = ClassProgress()
    try:
        graded = grade_folder(folder, rubric=rubric, jobs=jobs, executor=executor, address=address, store=store_path,
                              datasets=datasets, out=out, formats=fmts, quick=quick, cores=cores, progress=progress,
                              compat=compat, python=python, runtime=runtime)
    except KeyboardInterrupt:
        progress.close()
        click.echo("interrupted: finished results are stored; run the same command again to resume", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except GraderError as exc:
        progress.close()
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    progress.close()
    click.echo(class_summary(graded))
    if graded.written:
        click.echo(f"reports: {out}")
    sys.exit(graded.exit_code)


__all__ = ["ClassProgress", "class_summary", "grade_command"]


if __name__ == "__main__":
    grade_command()
