"""The GitHub Action's shell steps (action.yml runs .github/action/*.sh), run here as GitHub runs them:
`bash` with the environment variables GitHub documents (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
GITHUB_EVENT_NAME, GITHUB_BASE_REF), in a sample course repository whose last commit adds submissions, with
the real `grader` on PATH, a real TensorFlow run and a submission that crashes.

actions/setup-python and actions/upload-artifact cannot run here: the test checks the folder the upload
step is given exists and holds the reports, which is all upload-artifact's documented contract needs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / ".github" / "action"
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
RUBRIC = """id: ci-action
title: Action test
version: "1"
datasets: [mnist]
limits: {timeout_s: 300}
requirements:
  - {id: sgd, title: SGD optimizer, optimizer: sgd, points: 2}
  - {id: validation, title: Validation data, validation: true, points: 3}
"""

pytestmark = pytest.mark.skipif(shutil.which("git") is None or shutil.which("bash") is None, reason="needs git, bash")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo,
                          check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def course(tmp_path: Path) -> tuple[Path, str]:
    """main: a rubric and last week's script; the new commit adds a good script, a crashing one and notes."""
    repo = tmp_path / "course"
    (repo / "week0").mkdir(parents=True)
    (repo / "rubric.yaml").write_text(RUBRIC)
    (repo / "week0" / "old.py").write_text("print('last week')\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(repo, "checkout", "-q", "-b", "hand-in")
    (repo / "week1").mkdir()
    shutil.copy(FIXTURES / "tfkeras_sequential.py", repo / "week1" / "ada lovelace.py")
    (repo / "week1" / "crash.py").write_text("raise RuntimeError('not finished')\n")
    (repo / "week1" / "notes.md").write_text("not a submission\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "hand in")
    return repo, base


def step(script: str, repo: Path, **env: str) -> subprocess.CompletedProcess[str]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"  # the real grader and python3
    full = {**os.environ, "PATH": path, **env}
    return subprocess.run(["bash", "-e", str(SCRIPTS / script)], cwd=repo, env=full, text=True, capture_output=True,
                          timeout=600, check=False)


def test_changed_finds_new_notebooks_and_scripts(course: tuple[Path, str], tmp_path: Path) -> None:
    repo, base = course
    expected = ["week1/ada lovelace.py", "week1/crash.py"]
    for event in ({"GITHUB_EVENT_NAME": "push", "GRADER_BASE": base},
                  {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main", "GRADER_BASE": ""},
                  {"GITHUB_EVENT_NAME": "push", "GRADER_BASE": "0" * 40}):  # a new branch: HEAD~1
        listing, out = tmp_path / "list.txt", tmp_path / "github_output"
        out.unlink(missing_ok=True)
        found = step("changed.sh", repo, GRADER_LIST=str(listing), GITHUB_OUTPUT=str(out), INPUT_PATHS="", **event)
        assert found.returncode == 0, found.stderr
        assert listing.read_text().splitlines() == expected, event
        assert out.read_text().strip() == "count=2"
    explicit = step("changed.sh", repo, GRADER_LIST=str(listing), GITHUB_OUTPUT=str(out),
                    INPUT_PATHS="week0/*.py\n  rubric.yaml\n", GITHUB_EVENT_NAME="push")
    assert explicit.returncode == 0 and listing.read_text().splitlines() == ["week0/old.py"]


@pytest.mark.tf
def test_grade_summarises_uploads_and_fails_under_the_bar(course: tuple[Path, str], tmp_path: Path, dataset_store) -> None:
    repo, base = course
    listing, reports, summary = tmp_path / "list.txt", tmp_path / "reports", tmp_path / "summary.md"
    found = step("changed.sh", repo, GRADER_LIST=str(listing), GRADER_BASE=base, GITHUB_EVENT_NAME="push",
                 INPUT_PATHS="")
    assert found.returncode == 0, found.stderr
    env = {"RUBRIC": "rubric.yaml", "FAIL_UNDER": "60", "DATASETS": str(dataset_store.root),
           "GRADER_OUT": str(reports), "GRADER_LIST": str(listing), "GITHUB_STEP_SUMMARY": str(summary)}
    graded = step("grade.sh", repo, **env)
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]  # the upload step must still run
    scores = {line.split("\t")[2]: line.split("\t")[:2] for line in (reports / "scores.tsv").read_text().splitlines()}
    assert scores["week1/ada lovelace.py"] == ["0", "100.0"]
    assert scores["week1/crash.py"][0] == "1" and float(scores["week1/crash.py"][1]) < 60
    # The job summary: the action's heading, then each submission's Markdown summary.
    text = summary.read_text()
    assert text.startswith("## Grader: rubric `rubric.yaml`, pass mark 60%")
    assert "ada lovelace" in text and "crash" in text
    # What upload-artifact is given: the reports folder, holding each submission's HTML report and JUnit file.
    assert sorted(p.name for p in reports.glob("*/*.html")) == ["ada_lovelace.html", "crash.html"]
    assert (reports / "week1_crash.xml").is_file()

    verdict = step("verdict.sh", repo, FAIL_UNDER="60", GRADER_OUT=str(reports))
    assert verdict.returncode == 1, verdict.stdout + verdict.stderr
    assert "::error file=week1/crash.py::scored" in verdict.stdout and "::error file=week1/ada" not in verdict.stdout
    # Only the good script handed in: the bar is met.
    (reports / "scores.tsv").write_text("".join(f"{line}\n" for line in (reports / "scores.tsv").read_text().splitlines()
                                                if line.endswith("ada lovelace.py")))
    assert step("verdict.sh", repo, FAIL_UNDER="60", GRADER_OUT=str(reports)).returncode == 0


def test_verdict_keeps_grader_failures_apart(tmp_path: Path) -> None:
    """A submission the grader could not grade fails the job with the grader's code, never as a student's 1."""
    (tmp_path / "scores.tsv").write_text("0\t100.0\ta.ipynb\n3\t-\tb.ipynb\n1\t20.0\tc.ipynb\n")
    ran = step("verdict.sh", tmp_path, FAIL_UNDER="50", GRADER_OUT=str(tmp_path))
    assert ran.returncode == 3 and "::error file=b.ipynb::the grader could not grade" in ran.stdout
    (tmp_path / "scores.tsv").write_text("0\t100.0\ta.ipynb\n1\t95.0\tc.ipynb\n")
    assert step("verdict.sh", tmp_path, FAIL_UNDER="", GRADER_OUT=str(tmp_path)).returncode == 1  # no bar: every criterion
    assert step("verdict.sh", tmp_path, FAIL_UNDER="90", GRADER_OUT=str(tmp_path)).returncode == 0


def test_action_runs_these_scripts_with_inputs_from_the_environment() -> None:
    action = YAML(typ="safe").load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert {"rubric", "paths", "fail-under", "datasets"} <= set(action["inputs"])
    assert action["inputs"]["rubric"]["required"] is True
    steps = action["runs"]["steps"]
    scripts = [s["run"].split("/.github/action/")[1].strip('"') for s in steps if "/.github/action/" in s.get("run", "")]
    assert scripts == ["install.sh", "changed.sh", "grade.sh", "verdict.sh"]
    for name in scripts:
        checked = subprocess.run(["bash", "-n", str(SCRIPTS / name)], capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stderr
    for s in steps:
        assert "${{" not in s.get("run", ""), s  # inputs reach scripts only through env: no expression injection
        assert "run" not in s or s.get("shell") == "bash"  # composite run steps must name their shell
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    grade = next(s for s in steps if s.get("run", "").endswith('grade.sh"'))
    assert upload["with"]["path"] == grade["env"]["GRADER_OUT"] and upload["if"].startswith("always()")
