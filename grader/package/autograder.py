"""What ``run_autograder`` does inside Gradescope: grade ``<root>/submission/`` into ``<root>/results/results.json``.

``<root>`` is ``/autograder`` on Gradescope (``$GRADER_AUTOGRADER_ROOT`` or ``--root`` elsewhere); the zip's
contents are in ``<root>/source`` (:mod:`grader.package.gradescope`).

results.json holds one test per rubric criterion from the instructor's copy of the grade, hidden criteria
with the package's ``hidden_visibility`` (``after_published``: Gradescope shows them once grades are
published), the grade's points as ``score``, and as ``output`` the text of the *student's* HTML report
(hidden criteria concealed), headed by the isolation level the sandbox reached in this container, which is
detected at run time: Gradescope's containers may refuse the namespaces bubblewrap needs.

Exit codes are ``grader check``'s: 0 passed, 1 the submission missed the rubric or had nothing to grade
(score 0 and a message saying what was found), 3 an incomplete grade (written, saying the problem is the
grader's). A grader that cannot grade at all writes no results.json and raises: Gradescope then shows staff
that the autograder failed, rather than a zero to the student. ``run_autograder`` turns 0 and 1 into 0,
since results.json then holds the student's grade.
"""

from __future__ import annotations

import fnmatch
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.errors import ExitCode
from grader.package.gradescope import DATA_DIR, PackageConfig, read_config

if TYPE_CHECKING:
    from grader.api import ProgressSink
    from grader.grading.result import GradeResult

ROOT_ENV = "GRADER_AUTOGRADER_ROOT"
DEFAULT_ROOT = Path("/autograder")
SUFFIXES = (".ipynb", ".py")
_IGNORED_PARTS = {"__pycache__", ".ipynb_checkpoints", "__MACOSX"}

ISOLATION_WORDS = {
    "bwrap": "bubblewrap: a private read-only view of the system, no network, its own processes",
    "namespaces": "namespaces: no network and its own processes, but the container's files stay readable",
    "limits-only": "resource limits only: this container allows no namespaces, so the run could read its files",
}


def autograder_root(root: Path | None = None) -> Path:
    return root if root is not None else Path(os.environ.get(ROOT_ENV) or DEFAULT_ROOT)


def handed_in(folder: Path) -> list[Path]:
    """Every file the student handed in, sorted, leaving out editor and OS debris."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file()
                  and not _IGNORED_PARTS & set(p.relative_to(folder).parts)
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def candidates(folder: Path) -> list[Path]:
    """The notebooks and scripts among what the student handed in."""
    return [p for p in handed_in(folder) if p.suffix.lower() in SUFFIXES]


def find_submission(folder: Path, pattern: str | None) -> Path | str:
    """The file to grade, or why there is none: the one matching ``pattern``, else the only notebook, else
    the only script."""
    found = candidates(folder)
    if pattern:
        matching = [p for p in found if fnmatch.fnmatch(p.relative_to(folder).as_posix(), pattern)
                    or fnmatch.fnmatch(p.name, pattern)]
        if len(matching) == 1:
            return matching[0]
        problem = f"expected one file matching {pattern!r}, found {len(matching)}"
    else:
        notebooks = [p for p in found if p.suffix.lower() == ".ipynb"]
        pick = notebooks if notebooks else found
        if len(pick) == 1:
            return pick[0]
        problem = ("found no notebook (.ipynb) or script (.py)" if not pick else
                   f"found {len(pick)} {'notebooks' if notebooks else 'scripts'}, expected one")
    files = [p.relative_to(folder).as_posix() for p in handed_in(folder)]
    names = ", ".join(files[:20]) + (f" and {len(files) - 20} more" if len(files) > 20 else "") or "nothing"
    return f"{problem} in your submission (it holds: {names}). Submit the one file the assignment asks for."


def _isolation_text(result: GradeResult) -> str:
    level = result.run.isolation.value
    lines = [f"Isolation in this autograder: {ISOLATION_WORDS.get(level, level)}."]
    notes = result.evidence.evidence.run.isolation_notes
    lines += [f"  {n}" for n in notes]
    return "\n".join(lines) + "\n"


def results_for(result: GradeResult, config: PackageConfig) -> dict[str, Any]:
    """results.json for a grade: tests from the instructor's copy, output from the student's report."""
    from grader.grading.result import GradeStatus
    from grader.package.report_text import html_text
    from grader.render.audience import Audience, for_audience
    from grader.render.exports.gradescope import gradescope_results
    from grader.render.html.report import render_report

    student = for_audience(result, Audience.STUDENT)
    head = ""
    if result.status == GradeStatus.ERROR:
        head = ("The grader could not complete this grade. This is a problem on the grader's side, not in your "
                "submission: the course staff can see it and will grade it again.\n")
    output = head + _isolation_text(result) + "\n" + html_text(render_report(student))
    data = gradescope_results(result, hidden_visibility=config.hidden_visibility, output=output)
    data["extra_data"]["isolation_notes"] = list(result.evidence.evidence.run.isolation_notes)
    return data


def nothing_to_grade(problem: str, elapsed: float) -> dict[str, Any]:
    return {"score": 0.0, "execution_time": round(elapsed), "output": f"Nothing was graded: {problem}\n",
            "output_format": "text", "visibility": "visible", "stdout_visibility": "hidden", "tests": [],
            "extra_data": {"status": "no-submission"}}


def write_results(results_dir: Path, data: dict[str, Any]) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / "results.json"
    tmp = path.with_suffix(".json.partial")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)  # Gradescope never reads a half-written file
    return path


def autograde(root: Path | None = None, *, progress: ProgressSink | None = None) -> tuple[Path, ExitCode]:
    """Grade ``<root>/submission`` and write ``<root>/results/results.json``; returns its path and the exit code.

    Raises GraderError (ConfigError for a tree that is not one of our packages) when nothing can be graded
    because of the grader, and leaves results.json unwritten then."""
    from grader import api

    root = autograder_root(root)
    source = root / "source"
    config = read_config(source)
    started = time.monotonic()
    found = find_submission(root / "submission", config.submission)
    if isinstance(found, str):
        return write_results(root / "results", nothing_to_grade(found, time.monotonic() - started)), ExitCode.FAILED
    if config.weights:
        # The weights store is found through the environment by the sandbox (grader.weights.store).
        os.environ["GRADER_WEIGHTS"] = str(source / config.weights)
    datasets = str(source / DATA_DIR) if config.datasets == DATA_DIR else config.datasets
    result = api.check(found, rubric=source / config.rubric, datasets=datasets, progress=progress)
    return write_results(root / "results", results_for(result, config)), ExitCode(result.exit_code)


__all__ = ["ROOT_ENV", "autograde", "autograder_root", "candidates", "find_submission", "handed_in", "results_for"]
