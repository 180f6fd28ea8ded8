"""The documented CI workflow's shell steps, run for real: a git repository with a pull request that
changes two notebooks, and `grader` on PATH as the real CLI with only the sandboxed run faked."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "grade-notebooks.yml"

# The real `grader` command line, with grader.api.run_submission replaced by evidence built in Python:
# notebooks named *weak* lose most of the rubric, the others earn full marks.
SHIM = """#!{python}
import sys
sys.path.insert(0, {unit!r})
import evidence_factory as f
import grader.api as api

def run_submission(path, **kw):
    if "weak" in str(path):
        v = f.verify(f.evidence(f.nn_basics_models()[:2], markdown=f.NN_BASICS_MARKDOWN))
    else:
        v = f.nn_basics_evidence()
    sub = v.evidence.submission.model_copy(update={{"path": str(path)}})  # as the real run records it
    return v.model_copy(update={{"evidence": v.evidence.model_copy(update={{"submission": sub}})}})

api.run_submission, api.default_cpus = run_submission, lambda: 2
from grader.cli.app import main
sys.exit(main())
"""

pytestmark = pytest.mark.skipif(shutil.which("git") is None or shutil.which("bash") is None,
                                reason="needs git and bash")


def steps() -> dict[str, dict]:
    workflow = YAML(typ="safe").load(WORKFLOW.read_text())
    return {s["id"]: s for s in workflow["jobs"]["grade"]["steps"] if "id" in s}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A course repository: main has one notebook; the pull request changes it and adds two more."""
    repo = tmp_path / "course"
    (repo / "week1").mkdir(parents=True)
    (repo / "week1" / "alice good.ipynb").write_text("{}")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(repo, "checkout", "-q", "-b", "pr")
    (repo / "week1" / "alice good.ipynb").write_text('{"changed": 1}')
    (repo / "week1" / "bob-weak.ipynb").write_text("{}")
    (repo / "README.md").write_text("not a notebook")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "pr")
    return repo


def run_step(step: dict, repo: Path, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    shim = bindir / "grader"
    shim.write_text(SHIM.format(python=sys.executable, unit=str(ROOT / "tests" / "unit")))
    shim.chmod(0o755)
    full = {**os.environ, **{k: str(v) for k, v in steps_env().items()}, **step.get("env", {}), **env,
            "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}", "GRADER_DATASETS": "synthetic"}
    # GitHub runs `run:` scripts with `bash -e {0}`.
    return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=full, text=True, capture_output=True,
                          timeout=300, check=False)


def steps_env() -> dict[str, str]:
    workflow = YAML(typ="safe").load(WORKFLOW.read_text())
    return {k: v for k, v in workflow["jobs"]["grade"]["env"].items() if "${{" not in str(v)}


def test_workflow_grades_every_changed_notebook(repo: Path, tmp_path: Path) -> None:
    s = steps()
    out, summary = tmp_path / "github_output", tmp_path / "step_summary.md"
    changed = run_step(s["changed"], repo, tmp_path, BASE_REF="main", GITHUB_OUTPUT=str(out))
    assert changed.returncode == 0, changed.stderr
    assert (repo / "changed-notebooks.txt").read_text().split("\n")[:2] == ["week1/alice good.ipynb",
                                                                          "week1/bob-weak.ipynb"]
    assert out.read_text().strip() == "count=2"

    graded = run_step(s["grade"], repo, tmp_path, GITHUB_STEP_SUMMARY=str(summary))
    assert graded.returncode == 1, graded.stdout + graded.stderr  # bob is under 80%: the check fails
    good = ET.parse(repo / "grader-out" / "week1_alice_good.xml").getroot()
    weak = ET.parse(repo / "grader-out" / "week1_bob-weak.xml").getroot()
    assert good.get("failures") == "0" and int(weak.get("failures")) > 0
    assert (repo / "grader-out" / "week1_alice_good" / "alice_good.html").is_file()
    text = summary.read_text()
    assert "### ✅ alice good: Neural network basics in Keras: 100.0%" in text and "### ❌ bob-weak" in text


def test_workflow_passes_when_every_notebook_clears_the_bar(repo: Path, tmp_path: Path) -> None:
    (repo / "changed-notebooks.txt").write_text("week1/alice good.ipynb\n")
    graded = run_step(steps()["grade"], repo, tmp_path, GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"))
    assert graded.returncode == 0, graded.stdout + graded.stderr


def test_workflow_uses_the_documented_command() -> None:
    run = steps()["grade"]["run"]
    assert 'grader check "$nb" --rubric "$RUBRIC" --junit' in run and '--fail-under "$FAIL_UNDER"' in run
    assert "${{" not in run and "${{" not in steps()["changed"]["run"]  # no expression injection into scripts
