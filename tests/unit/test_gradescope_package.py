"""`grader package gradescope`: the zip's layout, setup.sh's pins, the wheel it carries, and what
run_autograder writes, without TensorFlow (the real runs are in tests/integration/test_gradescope_package.py)."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
import test_report_samples as s
from click.testing import CliRunner
from test_export_gradescope import GRADESCOPE_SCHEMA

from grader.cli.app import main
from grader.errors import ConfigError, ExitCode
from grader.package.autograder import find_submission, results_for
from grader.package.gradescope import CONFIG_NAME, PackageConfig, build_gradescope_zip, read_config
from grader.package.pins import Pins, current_pins
from grader.package.report_text import html_text
from grader.render.audience import HIDDEN_TITLE

ROOT = Path(__file__).resolve().parents[2]
RUBRIC = """id: pkg
title: Package test
version: "1"
requirements:
  - {id: sgd, title: Stochastic gradient descent, optimizer: sgd, points: 2, hidden: true}
custom:
  - {id: mine, title: Custom rule, function: "checks/rules.py:always", points: 1}
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PackageConfig, Path]:
    tmp = tmp_path_factory.mktemp("pkg")
    (tmp / "course" / "checks").mkdir(parents=True)
    (tmp / "course" / "rubric.yaml").write_text(RUBRIC)
    (tmp / "course" / "checks" / "rules.py").write_text("def always(evidence, params, slots):\n    return True\n")
    (tmp / "data").mkdir()
    (tmp / "data" / "USA_Housing.csv").write_text("a,b\n1,2\n")
    out = tmp / "out" / "autograder.zip"
    config = build_gradescope_zip(rubric=tmp / "course" / "rubric.yaml", out=out, datasets=tmp / "data",
                                  submission="hw*.ipynb")
    return out, config, tmp


def test_zip_has_the_layout_gradescope_expects(built: tuple[Path, PackageConfig, Path]) -> None:
    out, config, _ = built
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        stored = PackageConfig.model_validate_json(zf.read(CONFIG_NAME))
    wheel = f"grader-{config.grader_version}-py3-none-any.whl"
    assert {"setup.sh", "run_autograder", wheel, CONFIG_NAME, "rubric/rubric.yaml", "rubric/checks/rules.py",
            "data/USA_Housing.csv"} <= names
    assert all("/" not in n for n in ("setup.sh", "run_autograder"))  # at the root, not in a folder
    assert modes["setup.sh"] & stat.S_IXUSR and modes["run_autograder"] & stat.S_IXUSR
    assert stored == config and config.datasets == "data" and config.submission == "hw*.ipynb"
    assert config.rubric == "rubric/rubric.yaml" and config.hidden_visibility == "after_published"


def test_setup_pins_the_building_environment(built: tuple[Path, PackageConfig, Path]) -> None:
    out, config, _ = built
    with zipfile.ZipFile(out) as zf:
        setup = zf.read("setup.sh").decode()
    tf = next(d for d in ("tensorflow-cpu", "tensorflow") if _version(d))
    for dist in (tf, "keras", "numpy", "pydantic"):
        assert f'"{dist}=={_version(dist)}"' in setup, dist
    assert "apt-get install" in setup and "bubblewrap" in setup
    assert f'--no-deps "$SOURCE/grader-{config.grader_version}-py3-none-any.whl"' in setup
    assert f'PYTHON_MINOR="{sys.version_info.major}.{sys.version_info.minor}"' in setup
    assert not re.search(r"@[A-Z_]+@", setup)  # every template placeholder was filled


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("script", ["setup.sh", "run_autograder"])
def test_scripts_are_valid_bash(built: tuple[Path, PackageConfig, Path], tmp_path: Path, script: str) -> None:
    out, _, _ = built
    with zipfile.ZipFile(out) as zf:
        (tmp_path / script).write_bytes(zf.read(script))
    checked = subprocess.run(["bash", "-n", str(tmp_path / script)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def test_a_pin_that_is_not_plain_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot pin"):
        build_gradescope_zip(rubric="nn-basics-keras", out=tmp_path / "a.zip",
                             pins=Pins(packages=("numpy==1.0; rm -rf /",)))
    assert not (tmp_path / "a.zip").exists()


def test_pins_come_from_the_installed_versions() -> None:
    pins = current_pins()
    assert f"numpy=={importlib.metadata.version('numpy')}" in pins.packages
    assert not any(p.startswith(("pytest", "playwright", "nbconvert", "ray")) for p in pins.packages + pins.no_deps)


def test_the_wheel_installs_the_grader_with_its_rubrics(built: tuple[Path, PackageConfig, Path], tmp_path: Path) -> None:
    out, config, _ = built
    with zipfile.ZipFile(out) as zf:
        wheel = tmp_path / f"grader-{config.grader_version}-py3-none-any.whl"
        wheel.write_bytes(zf.read(wheel.name))
    target = tmp_path / "site"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                          "--target", str(target), str(wheel)], capture_output=True, text=True, check=False)
    assert pip.returncode == 0, pip.stderr
    assert (target / "grader" / "package" / "templates" / "run_autograder").is_file()
    assert (target / "grader" / "runtime" / "grader_probe" / "__init__.py").is_file()
    assert (target / "share" / "grader" / "rubrics" / "nn-basics-keras.yaml").is_file()
    assert "grader = grader.cli:main" in (target / f"grader-{config.grader_version}.dist-info" / "entry_points.txt").read_text()
    # The installed copy imports and knows its version, in a process that cannot see this checkout.
    env = {**os.environ, "PYTHONPATH": str(target)}
    shown = subprocess.run([sys.executable, "-c", "import grader, grader.package.gradescope as g; print(grader.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert shown.returncode == 0 and shown.stdout.strip().startswith(str(target)), shown.stderr


def test_run_autograder_with_nothing_to_grade_writes_a_zero(built: tuple[Path, PackageConfig, Path], tmp_path: Path) -> None:
    """The real script and the real command, on a submission without the file the assignment asks for."""
    out, _, _ = built
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(out) as zf:
        zf.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    (root / "submission" / "notes.txt").write_text("I forgot the notebook")
    env = {**os.environ, "GRADER_AUTOGRADER_ROOT": str(root), "GRADER_PYTHON": sys.executable}
    ran = subprocess.run([str(root / "run_autograder")], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    assert ran.returncode == 0, ran.stdout + ran.stderr  # the grade is written: Gradescope shows it
    data = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(data, GRADESCOPE_SCHEMA)
    assert data["score"] == 0 and data["tests"] == []
    assert "hw*.ipynb" in data["output"] and "notes.txt" in data["output"]


def test_autograde_refuses_a_tree_that_is_not_a_package(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["package", "autograde", "--root", str(tmp_path)])
    assert result.exit_code == ExitCode.USAGE and "grader-package.json is missing" in result.output
    assert not (tmp_path / "results" / "results.json").exists()
    with pytest.raises(ConfigError):
        read_config(tmp_path)


def test_cli_builds_and_refuses(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["package", "gradescope", "--rubric", "nn-basics-keras", "--datasets", "synthetic",
                              "--out", str(tmp_path / "ag.zip")])
    assert ok.exit_code == ExitCode.OK, ok.output
    with zipfile.ZipFile(tmp_path / "ag.zip") as zf:
        assert PackageConfig.model_validate_json(zf.read(CONFIG_NAME)).datasets == "synthetic"
    for args in (["--rubric", "no-such-rubric"], ["--rubric", "nn-basics-keras", "--datasets", str(tmp_path / "none")]):
        bad = runner.invoke(main, ["package", "gradescope", *args, "--out", str(tmp_path / "bad.zip")])
        assert bad.exit_code == ExitCode.USAGE, bad.output
        assert not (tmp_path / "bad.zip").exists()


def test_a_custom_check_outside_the_rubric_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "course").mkdir()
    (tmp_path / "rules.py").write_text("def always(evidence, params, slots):\n    return True\n")
    (tmp_path / "course" / "r.yaml").write_text(RUBRIC.replace("checks/rules.py", "../rules.py"))
    with pytest.raises(ConfigError, match="beside the rubric"):
        build_gradescope_zip(rubric=tmp_path / "course" / "r.yaml", out=tmp_path / "a.zip")


def _files(tmp_path: Path, *names: str) -> Path:
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    return tmp_path


@pytest.mark.parametrize(("names", "pattern", "expected"), [
    (["hw.ipynb", "helpers.py"], None, "hw.ipynb"),                         # the notebook, beside its helper
    (["solution.py", "notes.md"], None, "solution.py"),                     # the only script
    (["a/hw.ipynb", ".ipynb_checkpoints/hw-checkpoint.ipynb", "__MACOSX/a/._hw.ipynb"], None, "a/hw.ipynb"),
    (["hw1.ipynb", "scratch.ipynb"], "hw*.ipynb", "hw1.ipynb"),
])
def test_find_submission_picks_the_one_file(tmp_path: Path, names: list[str], pattern: str | None, expected: str) -> None:
    assert find_submission(_files(tmp_path, *names), pattern) == tmp_path / expected


@pytest.mark.parametrize(("names", "pattern", "says"), [
    (["a.ipynb", "b.ipynb"], None, "found 2 notebooks, expected one"),
    (["readme.md"], None, "found no notebook"),
    (["a.ipynb"], "hw*.ipynb", "expected one file matching 'hw*.ipynb', found 0"),
])
def test_find_submission_says_why_there_is_none(tmp_path: Path, names: list[str], pattern: str | None, says: str) -> None:
    problem = find_submission(_files(tmp_path, *names), pattern)
    assert isinstance(problem, str) and says in problem and names[0] in problem


def test_results_show_hidden_criteria_after_publishing_but_not_in_the_output() -> None:
    r = s.failing_result()
    hidden = [c for c in r.criteria if c.hidden]
    assert hidden
    config = PackageConfig(grader_version="0", python="3.11", rubric="rubric/r.yaml", pins=Pins(packages=()))
    data = results_for(r, config)
    jsonschema.validate(data, GRADESCOPE_SCHEMA)
    assert data["score"] == r.score and sum(t["score"] for t in data["tests"]) == pytest.approx(r.score)
    by_name = {t["name"]: t for t in data["tests"]}
    for c in hidden:
        assert by_name[c.title]["visibility"] == "after_published"
    assert {t["visibility"] for t in data["tests"] if t["name"] not in {c.title for c in hidden}} == {"visible"}
    # The output is the student's report: the hidden criteria are there, concealed.
    assert HIDDEN_TITLE in data["output"] and not any(c.title in data["output"] for c in hidden)
    assert data["output"].startswith(f"Isolation in this autograder: ")
    assert data["extra_data"]["isolation"] == r.run.isolation.value
    assert not re.search(r"</?(div|td|style|svg|span)\b", data["output"])  # text, not markup


def test_report_text_keeps_what_a_reader_sees() -> None:
    html = ('<html><head><style>h1{color:red}</style></head><body><a class="skip" href="#m">Skip to content</a>'
            '<nav><a href="#c">Criteria</a></nav><h1>Score: 3 / 5</h1><p>a &amp; b<svg><text>axis</text></svg></p>'
            '<table><tr><th>Criterion</th><td>passed</td></tr></table><img alt="learning curves"></body></html>')
    assert html_text(html) == "Score: 3 / 5\na & b\nCriterion | passed\n[learning curves]\n"
