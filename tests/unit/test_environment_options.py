"""Course environments without TensorFlow: option parsing, refusing interpreters that cannot work,
named environments, the rubric field, sandbox binds and the results store key.

The interpreters here are real virtual environments of this Python (made with --without-pip, in
seconds); the packages a course would install are stood in for by their distribution metadata, which
is all the grader reads before it runs anything.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import cli
from grader.intake.environments import (CourseEnvironment, check_runtime, environment_line, interpreter_roots,
                                 named_environments, resolve_environment)
from grader.errors import ConfigError, InterpreterError, RubricError
from grader.rubric.loader import parse_rubric
from grader.sandbox.isolation import Mounts, bwrap_prefix, detect, python_roots
from grader.pipeline.store import environment, environment_key
from submission_files import write_submission

RUBRIC = """
id: env-course
title: Env course
version: "1"
environment:
  python: {python}
  runtime: {runtime}
requirements:
  - {{id: sgd, title: SGD, optimizer: sgd, points: 1}}
"""


def make_venv(where: Path, packages: dict[str, str] | None = None) -> Path:
    """A virtual environment of this interpreter whose site-packages holds `packages` (name -> version)
    as importable stubs with distribution metadata."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(subprocess.run([str(where / "bin" / "python"), "-c", purelib], check=True, capture_output=True,
                               text=True).stdout.strip())
    for name, version in (packages or {}).items():
        (site / name).mkdir()
        (site / name / "__init__.py").write_text(f"__version__ = {version!r}\n")
        info = site / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: {version}\n")
    return where / "bin" / "python"


COURSE = {"numpy": "1.26.4", "tensorflow": "2.15.1", "keras": "2.15.0"}


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_venv(tmp_path_factory.mktemp("envs") / "course", COURSE)


def test_runtime_names_are_normalised_and_checked() -> None:
    assert check_runtime(None) is None
    assert check_runtime("TF_Keras") == "tf-keras"
    assert check_runtime("keras") == "keras"
    with pytest.raises(InterpreterError, match="unknown Keras runtime 'keras2'"):
        check_runtime("keras2")


def test_the_grader_own_interpreter_is_the_default() -> None:
    env = resolve_environment()
    assert env.default and env.python == os.path.normpath(os.path.abspath(sys.executable))
    assert env.version == sys.version.split()[0]
    assert env.describe() == {k: environment()[k] for k in ("python", "tensorflow", "keras")}


def test_a_venv_is_inspected_by_path_or_folder(course: Path) -> None:
    by_exe = resolve_environment(course)
    by_folder = resolve_environment(course.parent.parent)
    assert by_exe.python == str(course) and by_folder.python.startswith(str(course.parent))
    assert not by_exe.default and by_exe.runtime == "keras"
    assert [by_exe.package(p) for p in ("tensorflow", "keras", "numpy")] == ["2.15.1", "2.15.0", "1.26.4"]
    assert str(course.parent.parent) in by_exe.roots  # the venv is bound into the sandbox
    assert str(Path(sys.base_prefix).resolve()) in by_exe.roots or sys.base_prefix.startswith("/usr")


def test_missing_and_non_executable_interpreters_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InterpreterError, match="does not exist"):
        resolve_environment(tmp_path / "nope" / "python")
    plain = tmp_path / "python"
    plain.write_text("#!/bin/sh\n")
    with pytest.raises(InterpreterError, match="not an executable file"):
        resolve_environment(plain)
    with pytest.raises(InterpreterError, match="folder without bin/python3"):
        resolve_environment(tmp_path)
    with pytest.raises(InterpreterError, match="no interpreter 'no-such-course'"):
        resolve_environment("no-such-course")


def test_a_program_that_is_not_python_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho hello\n")
    fake.chmod(0o755)
    with pytest.raises(InterpreterError, match="does not behave like a Python interpreter"):
        resolve_environment(fake)
    failing = tmp_path / "python-broken"
    failing.write_text("#!/bin/sh\necho 'cannot start' >&2\nexit 3\n")
    failing.chmod(0o755)
    with pytest.raises(InterpreterError, match="failed to run \\(exit 3\\): cannot start"):
        resolve_environment(failing)


def test_an_interpreter_older_than_the_probe_supports_is_refused(tmp_path: Path) -> None:
    # Python 3.8 is not on this machine; a stand-in answers the inspection as it would.
    old = tmp_path / "python3.8"
    old.write_text('#!/bin/sh\necho \'{"version": [3, 8, 18], "executable": "/x/python3.8", "prefix": "/usr", '
                   '"base_prefix": "/usr", "exec_prefix": "/usr", "base_exec_prefix": "/usr", "path": [], '
                   '"packages": {"numpy": "1.24.4", "tensorflow": "2.13.1", "keras": "2.13.1"}, "importable": {}}\'\n')
    old.chmod(0o755)
    with pytest.raises(InterpreterError, match="is Python 3.8.18; the grader's probe needs Python >= 3.9"):
        resolve_environment(old)


def test_an_interpreter_without_what_the_run_needs_is_refused(tmp_path: Path, course: Path) -> None:
    bare = make_venv(tmp_path / "bare")
    with pytest.raises(InterpreterError, match="neither TensorFlow nor Keras"):
        resolve_environment(bare)
    no_numpy = make_venv(tmp_path / "no-numpy", {"tensorflow": "2.21.0"})
    with pytest.raises(InterpreterError, match="no numpy"):
        resolve_environment(no_numpy)
    assert resolve_environment(course, kind="script").python == str(course)
    with pytest.raises(InterpreterError, match="no ipykernel, so it cannot run notebooks"):
        resolve_environment(course, kind="notebook")
    with pytest.raises(InterpreterError, match="no tf_keras, which the tf-keras runtime needs: install "
                                               "'tf_keras==2.15.\\*'"):
        resolve_environment(course, "tf-keras")
    skewed = make_venv(tmp_path / "skewed", {**COURSE, "tf_keras": "2.14.0"})
    with pytest.raises(InterpreterError, match="tf_keras 2.14.0 but TensorFlow 2.15.1"):
        resolve_environment(skewed, "tf-keras")
    legacy = make_venv(tmp_path / "legacy", {**COURSE, "tf_keras": "2.15.1"})
    env = resolve_environment(legacy, "tf-keras")
    assert env.legacy and env.sandbox_env() == {"TF_USE_LEGACY_KERAS": "1", "GRADER_KERAS_RUNTIME": "tf-keras"}


def test_refusals_are_config_errors_with_exit_code_2(tmp_path: Path) -> None:
    assert issubclass(InterpreterError, ConfigError) and InterpreterError.exit_code == 2
    script = write_submission(tmp_path, "hw.py", "print('hi')\n")
    runner = CliRunner()
    for args in (["run", str(script), "--python", str(tmp_path / "missing")],
                 ["check", str(script), "--rubric", "nn-basics-keras", "--python", str(tmp_path / "missing")],
                 ["grade", str(tmp_path), "--rubric", "nn-basics-keras", "--python", str(tmp_path / "missing"),
                  "--out", str(tmp_path / "out")]):
        result = runner.invoke(cli.main, args)
        assert result.exit_code == 2, (args, result.output)
        assert "does not exist" in result.output
    assert not (tmp_path / "out" / "results.sqlite").exists()  # refused before any store or run
    bad = runner.invoke(cli.main, ["run", str(script), "--runtime", "keras2"])
    assert bad.exit_code == 2 and "keras2" in bad.output


def test_named_environments(tmp_path: Path, course: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    legacy = make_venv(tmp_path / "legacy", {**COURSE, "tf_keras": "2.15.0"})
    config = tmp_path / "environments.yaml"
    config.write_text(f"environments:\n  cs101: {course}\n  cs231-2019:\n    python: legacy/bin/python\n"
                      "    runtime: tf-keras\n    description: Keras 2 course\n")
    monkeypatch.setenv("GRADER_ENVIRONMENTS", str(config))
    assert named_environments()["cs231-2019"] == {"python": str(legacy), "runtime": "tf-keras"}
    env = resolve_environment("cs231-2019")
    assert (env.name, env.python, env.runtime) == ("cs231-2019", str(legacy), "tf-keras")
    assert resolve_environment("cs231-2019", "keras").runtime == "keras"  # an explicit runtime wins
    assert resolve_environment("cs101").labels() == {"interpreter": str(course), "runtime": "keras",
                                                     "environment": "cs101"}
    config.write_text("environments:\n  bad: {python: /x, kernel: y}\n")
    with pytest.raises(InterpreterError, match="unknown field"):
        resolve_environment("bad")


def test_the_rubric_names_the_environment(tmp_path: Path, course: Path) -> None:
    from grader.pipeline.classgrade import course_environment

    text = RUBRIC.format(python=os.path.relpath(course, tmp_path), runtime="keras")
    path = tmp_path / "rubric.yaml"
    path.write_text(text)
    from grader.rubric.loader import load_rubric

    rubric = load_rubric(path)
    assert rubric.environment is not None and rubric.environment.runtime == "keras"
    env = course_environment(rubric, None, None)  # relative to the rubric file
    assert env is not None and env.python == str(course)
    assert course_environment(rubric, sys.executable, None).default  # the option wins
    with pytest.raises(RubricError):
        parse_rubric(RUBRIC.format(python="x", runtime="keras2"))
    plain = parse_rubric(RUBRIC.replace("environment:\n  python: {python}\n  runtime: {runtime}\n", "").format())
    assert plain.environment is None and course_environment(plain, None, None) is None


def test_roots_take_pth_folders_and_skip_system_ones(tmp_path: Path) -> None:
    extra = tmp_path / "shared-site"
    extra.mkdir()
    venv = tmp_path / "v"
    venv.mkdir()
    info = {"prefix": str(venv), "base_prefix": "/usr", "exec_prefix": str(venv), "base_exec_prefix": "/usr",
            "path": ["/usr/lib/python3.11", str(venv / "lib"), str(extra)]}
    roots = interpreter_roots("/usr/bin/python3", info)
    assert roots == sorted([str(extra.resolve()), str(venv.resolve())])
    with pytest.raises(InterpreterError, match="whole host"):
        interpreter_roots("/usr/bin/python3", {**info, "path": ["/"]})


def test_the_sandbox_binds_the_course_interpreter_not_the_graders(tmp_path: Path, course: Path) -> None:
    env = resolve_environment(course)
    folders = [tmp_path / n for n in ("work", "out", "etc")]
    for f in folders:
        f.mkdir()
    mounts = Mounts(folders[0], folders[1], tmp_path, folders[2], python_roots=tuple(Path(r) for r in env.roots))
    cmd = bwrap_prefix(detect(), mounts, tmp_mb=64, env={})
    binds = {cmd[i + 1] for i, a in enumerate(cmd) if a == "--ro-bind"}
    assert set(env.roots) <= binds
    own_venv = str(Path(sys.prefix).resolve())
    assert own_venv not in binds or own_venv in env.roots
    default = bwrap_prefix(detect(), Mounts(folders[0], folders[1], tmp_path, folders[2]), tmp_mb=64, env={})
    assert {str(r) for r in python_roots()} <= {default[i + 1] for i, a in enumerate(default) if a == "--ro-bind"}


def test_the_store_key_includes_the_environment(tmp_path: Path, course: Path) -> None:
    own = resolve_environment()
    assert environment() == environment(course=None)
    assert environment_key(environment(course=own)) == environment_key(environment())  # keys kept
    other = environment(course=resolve_environment(course))
    assert other["interpreter"] == str(course) and other["tensorflow"] == "2.15.1" and other["runtime"] == "keras"
    assert environment_key(other) != environment_key(environment())
    legacy = make_venv(tmp_path / "legacy", {**COURSE, "tf_keras": "2.15.0"})
    keras2 = environment(course=resolve_environment(legacy, "tf-keras"))
    plain = environment(course=resolve_environment(legacy))
    assert keras2["runtime"] == "tf-keras" and keras2["tf_keras"] == "2.15.0"
    assert len({environment_key(e) for e in (environment(), other, keras2, plain)}) == 4


def test_environment_line() -> None:
    versions = {"python": "3.11.2", "python_executable": "/c/.venv/bin/python3", "interpreter": "/c/.venv/bin/python3",
                "environment": "cs231", "runtime": "tf-keras", "tensorflow": "2.21.0", "tf_keras": "2.21.0",
                "numpy": "2.4.6", "keras_runtime": "tf-keras", "keras_import": "keras is tf_keras (legacy runtime)"}
    assert environment_line("3.11.7", versions) == ("Python 3.11.2 (/c/.venv/bin/python3, environment 'cs231'), "
                                                    "runtime tf-keras; tensorflow 2.21.0, tf_keras 2.21.0, numpy 2.4.6")
    assert environment_line("3.11.7", {"tensorflow": "2.21.0"}) == "Python 3.11.7; tensorflow 2.21.0"
    assert CourseEnvironment(python="/p", version="3.10.1").describe() == {
        "python": "3.10.1", "tensorflow": "", "keras": "", "interpreter": "/p", "environment": "", "runtime": "keras",
        "tf_keras": ""}


def test_a_model_the_course_verifier_cannot_read_is_reported_only(tmp_path: Path, course: Path) -> None:
    # The course's "keras" here cannot load anything (it has no saving API): the figures the submission
    # reported stand, marked reported only; nothing raises.
    import evidence_factory as f

    from grader.verify.verified import VerificationStatus
    from grader.verify import Verifier, verify_evidence

    out = tmp_path / "out"
    (out / "models").mkdir(parents=True)
    (out / "models" / "m0.keras").write_bytes(b"PK\x05\x06" + bytes(18))
    evidence = f.evidence([f.dense_model("m1", [16])])
    with Verifier({}, environment=resolve_environment(course)) as verifier:
        verified = verify_evidence(evidence, out, verifier, metrics=False)
        assert verifier.versions["interpreter"] == str(course) and verifier.versions["keras"] == "2.15.0"
    v = verified.verifications[0]
    assert v.status == VerificationStatus.REPORTED_ONLY, v
    assert v.message.startswith("reported only: AttributeError")



def test_reports_show_the_environment_used() -> None:
    import json

    import evidence_factory as f

    from grader.grading.grade import grade
    from grader.render.terminal import render_summary
    from grader.render.html.report import render_report
    from grader.render.run_summary import render_run

    exe = "/opt/ml/.venv/bin/python3"
    versions = {"python": "3.9.18", "python_executable": exe, "interpreter": exe,
                "environment": "ml-2019", "runtime": "tf-keras", "keras_runtime": "tf-keras", "tensorflow": "2.15.1",
                "tf_keras": "2.15.0", "numpy": "1.26.4"}
    ev = f.evidence([f.dense_model("m1", [16])])
    ev = ev.model_copy(update={"run": ev.run.model_copy(update={"python": "3.9.18", "versions": versions})})
    verified = f.verify(ev)
    line = ("Python 3.9.18 (/opt/ml/.venv/bin/python3, environment 'ml-2019'), runtime tf-keras; "
            "tensorflow 2.15.1, tf_keras 2.15.0, numpy 1.26.4")
    assert line in render_run(verified)
    result = grade(verified, parse_rubric(RUBRIC.replace("environment:\n  python: {python}\n  runtime: {runtime}\n",
                                                         "").format()))
    assert f"environment: {line}" in render_summary(result)
    assert line.replace("'", "&#39;") in render_report(result)  # HTML-escaped
    exported = json.loads(json.dumps(result.model_dump(mode="json")))  # what the JSON export writes
    assert exported["evidence"]["evidence"]["run"]["versions"] == versions


def test_compat_shims_and_the_legacy_runtime_exclude_each_other(tmp_path: Path) -> None:
    script = write_submission(tmp_path, "hw.py", "print('hi')\n")
    result = CliRunner().invoke(cli.main, ["run", str(script), "--runtime", "tf-keras", "--compat", "keras2"])
    assert result.exit_code == 2 and "choose one" in result.output
