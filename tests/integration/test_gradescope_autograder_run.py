"""The Gradescope autograder end to end: build the zip with `grader package gradescope`, unpack it into a
tree laid out like Gradescope's /autograder, run its run_autograder on two sample submissions with real
TensorFlow in the real sandbox, and check results.json against Gradescope's documented fields.

The zip's setup.sh cannot run here (it installs from the network as root): run_autograder runs the grader
of this checkout through GRADER_PYTHON instead of the one setup.sh would install."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "unit"))
from test_export_gradescope import GRADESCOPE_SCHEMA  # noqa: E402  (one schema, written from Gradescope's docs)

from grader.evidence.model import Isolation  # noqa: E402
from grader.render.audience import HIDDEN_TITLE  # noqa: E402

pytestmark = pytest.mark.tf

FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
HIDDEN = "Trained with stochastic gradient descent"
RUBRIC = f"""id: gs-package
title: Gradescope package test
version: "1"
datasets: [mnist]
limits: {{timeout_s: 300}}
requirements:
  - {{id: sgd, title: {HIDDEN}, optimizer: sgd, points: 2, hidden: true, feedback: Compile with SGD.}}
  - {{id: validation, title: Validation data during training, validation: true, points: 3,
     feedback: Pass validation_split or validation_data to fit().}}
"""


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory: pytest.TempPathFactory, dataset_store) -> Path:
    tmp = tmp_path_factory.mktemp("gradescope")
    (tmp / "rubric.yaml").write_text(RUBRIC)
    out = tmp / "autograder.zip"
    built = subprocess.run([sys.executable, "-m", "grader", "package", "gradescope", "--rubric", str(tmp / "rubric.yaml"),
                            "--datasets", str(dataset_store.root), "--out", str(out)],
                           capture_output=True, text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    return out


def run_autograder(zip_path: Path, root: Path, submission: Path) -> dict:
    """Gradescope's steps: unpack to source/, copy run_autograder to the root, the submission to submission/."""
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            zf.extract(info, root / "source")
            os.chmod(root / "source" / info.filename, info.external_attr >> 16 & 0o777)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    shutil.copy(submission, root / "submission" / submission.name)
    env = {**os.environ, "GRADER_AUTOGRADER_ROOT": str(root), "GRADER_PYTHON": sys.executable}
    ran = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                         timeout=600, check=False)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    data = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(data, GRADESCOPE_SCHEMA)
    return data


@pytest.mark.parametrize(("fixture", "uses_sgd"), [("tfkeras_sequential.py", True), ("keras_functional.py", False)])
def test_run_autograder_grades_a_submission(autograder_zip: Path, tmp_path: Path, fixture: str, uses_sgd: bool) -> None:
    data = run_autograder(autograder_zip, tmp_path / "autograder", FIXTURES / fixture)
    tests = {t["name"]: t for t in data["tests"]}
    assert set(tests) == {HIDDEN, "Validation data during training"}
    # One test per criterion; the score is the grade's points, the tests' scores add up to it.
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
    assert data["extra_data"]["max_score"] == sum(t["max_score"] for t in data["tests"]) == 5
    # The hidden criterion is shown once grades are published, and decided by what the submission did.
    hidden = tests[HIDDEN]
    assert hidden["visibility"] == "after_published"
    assert hidden["status"] == ("passed" if uses_sgd else "failed")
    assert hidden["score"] == (2 if uses_sgd else 0)
    assert tests["Validation data during training"]["visibility"] == "visible"
    # The output is the student's report as text, headed by the isolation level detected in this container.
    level = data["extra_data"]["isolation"]
    assert level in {i.value for i in Isolation}
    assert data["output"].startswith("Isolation in this autograder: ")
    assert f"Isolation\n{level}" in data["output"]  # the report's own run section says the same level
    assert HIDDEN_TITLE in data["output"] and HIDDEN not in data["output"]
    assert data["extra_data"]["status"] in {"passed", "failed"} and data["execution_time"] >= 1
