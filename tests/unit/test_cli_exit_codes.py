"""One ExitCode enum, one place that turns outcomes and exceptions into exit codes, loud broken imports."""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import grader.api as api
import grader.errors as errors
from grader.cli.app import main
from grader.cli.exits import GraderCommand, GraderGroup
from grader.errors import ExitCode, GraderError

ROOT = Path(__file__).resolve().parents[2]
SUBCOMMAND_MODULES = ["grader.cli.run", "grader.cli.check", "grader.cli.grade", "grader.cli.report",
                      "grader.cli.rubric", "grader.cli.datasets", "grader.cli.schema", "grader.cli.similarity"]


def _all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


def test_exit_codes_keep_the_meanings_the_readme_documents() -> None:
    assert [(c.name, int(c)) for c in ExitCode] == [("OK", 0), ("FAILED", 1), ("USAGE", 2), ("GRADER", 3),
                                                   ("INTERRUPTED", 130)]
    documented = (ROOT / "README.md").read_text().split("Exit codes (`grader.errors.ExitCode`", 1)[1]
    documented = documented.split("\n\n", 1)[0]  # that paragraph
    for code, words in ((0, "the run completed"), (1, "the submission failed"), (2, "usage or rubric error"),
                        (3, "the grader itself could not do its job"), (130, "interrupted")):
        assert f"`{code}` {words}" in " ".join(documented.split()), code


def test_every_grader_error_maps_to_one_exit_code() -> None:
    importlib.import_module("grader.rubric.loader")  # defines RubricErrors
    classes = [GraderError, *_all_subclasses(GraderError)]
    assert len(classes) >= 8
    for cls in classes:
        assert isinstance(cls.exit_code, ExitCode), cls
    assert errors.ConfigError.exit_code == errors.RubricError.exit_code == ExitCode.USAGE
    assert errors.InterpreterError.exit_code == ExitCode.USAGE  # a ConfigError, refused before anything runs
    assert errors.SandboxError.exit_code == errors.VerifierError.exit_code == ExitCode.GRADER
    assert errors.Interrupted.exit_code == ExitCode.INTERRUPTED


def test_no_command_module_keeps_exit_constants_or_calls_sys_exit() -> None:
    for path in sorted((ROOT / "grader" / "cli").glob("*.py")):
        if path.name == "exits.py":  # the one place
            continue
        text = path.read_text()
        assert not re.search(r"^EXIT_\w+|\bEXIT_[A-Z]+\b", text, re.M), path.name
        assert "sys.exit(" not in text, path.name


def _command(outcome: object) -> click.Command:
    @click.command(cls=GraderCommand)
    def cmd() -> object:
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return cmd


@pytest.mark.parametrize("outcome, code, words", [
    (None, 0, ""),
    (ExitCode.FAILED, 1, ""),
    (errors.ConfigError("--address needs --executor ray"), 2, "grader: --address needs --executor ray"),
    (errors.RubricError("no such slot", file="r.yaml", line=4), 2, "grader: r.yaml:4: no such slot"),
    (errors.SandboxError("bubblewrap is missing"), 3, "grader: bubblewrap is missing"),
    (click.UsageError("no such option: --colour"), 2, "no such option: --colour"),
    (KeyboardInterrupt(), 130, "grader: interrupted"),
    (errors.Interrupted("interrupted: results are stored"), 130, "grader: interrupted: results are stored"),
    (ZeroDivisionError("division by zero"), 3, "internal error"),
])
def test_one_place_turns_outcomes_into_exit_codes(outcome: object, code: int, words: str) -> None:
    res = CliRunner().invoke(_command(outcome), [])
    assert res.exit_code == code, res.output
    assert words in res.stderr
    assert res.stdout == ""  # messages never mix into what a command prints for a pipe
    assert not isinstance(res.exception, Exception) or isinstance(res.exception, SystemExit)


def test_a_grader_bug_says_where_and_how_to_see_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    res = CliRunner().invoke(_command(ZeroDivisionError("division by zero")), [])
    assert "ZeroDivisionError: division by zero" in res.stderr and "test_cli_exit_codes.py" in res.stderr
    assert "GRADER_DEBUG=1" in res.stderr and "Traceback" not in res.stderr
    monkeypatch.setenv("GRADER_DEBUG", "1")
    res = CliRunner().invoke(_command(ZeroDivisionError("division by zero")), [])
    assert res.exit_code == 3 and "Traceback (most recent call last)" in res.stderr


def test_nested_groups_pass_the_command_s_exit_code_up() -> None:
    @click.group(cls=GraderGroup)
    def top() -> None:
        pass

    @top.group()
    def inner() -> None:
        pass

    @inner.command()
    def fails() -> ExitCode:
        return ExitCode.FAILED

    @inner.command()
    def breaks() -> None:
        raise errors.DatasetError("mnist is missing")

    assert isinstance(inner, GraderGroup) and isinstance(fails, GraderCommand)
    assert CliRunner().invoke(top, ["inner", "fails"]).exit_code == 1
    broken = CliRunner().invoke(top, ["inner", "breaks"])
    assert broken.exit_code == 3 and "grader: mnist is missing" in broken.stderr
    assert CliRunner().invoke(top, ["inner", "--help"]).exit_code == 0
    assert CliRunner().invoke(top, ["nothing"]).exit_code == 2


def test_real_commands_exit_through_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "hw.py"
    script.write_text("print('hi')\n")
    runner = CliRunner()
    bad = runner.invoke(main, ["check", str(script), "--rubric", "no-such-rubric"])
    assert bad.exit_code == 2 and bad.stderr.startswith("grader: unknown rubric 'no-such-rubric'")
    assert runner.invoke(main, ["rubric", "validate", "no-such-rubric"]).exit_code == 2
    assert runner.invoke(main, ["run", str(tmp_path / "missing.py")]).exit_code == 2  # click's own usage error

    def broken_check(path: object, **kw: object) -> object:
        raise AttributeError("'NoneType' object has no attribute 'percent'")

    monkeypatch.setattr(api, "check", broken_check)
    res = runner.invoke(main, ["check", str(script), "--rubric", "nn-basics-keras"])
    assert res.exit_code == 3 and "internal error" in res.stderr and "AttributeError" in res.stderr


def test_interrupting_grade_exits_130_and_says_what_was_kept(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "class").mkdir()

    def interrupted(folder: object, **kw: object) -> object:
        kw["progress"]({"event": "plan", "students": 3, "cached": 1, "regraded": 0, "to_run": 2, "jobs": 1,  # type: ignore[operator]
                        "cpus_per_job": 2})
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "grade_folder", interrupted)
    res = CliRunner().invoke(main, ["grade", str(tmp_path / "class"), "--rubric", "nn-basics-keras",
                                    "--out", str(tmp_path / "out")])
    assert res.exit_code == 130
    assert "3 submission(s): 1 already graded" in res.stderr
    assert "grader: interrupted: finished results are stored; run the same command again to resume" in res.stderr


@pytest.mark.parametrize("module", SUBCOMMAND_MODULES)
def test_a_broken_subcommand_import_breaks_the_cli_loudly(module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now raises ImportError
    for name in ("grader.cli", "grader.cli.app"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    with pytest.raises(ImportError, match=re.escape(module)):
        importlib.import_module("grader.cli.app")


def test_python_m_grader_with_a_broken_subcommand_fails_and_names_it() -> None:
    code = ("import runpy, sys; sys.modules['grader.cli.rubric'] = None; sys.argv = ['grader', '--help']; "
            "runpy.run_module('grader', run_name='__main__', alter_sys=True)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == ExitCode.GRADER, proc.stderr
    assert "grader.cli.rubric" in proc.stderr and "Commands:" not in proc.stdout
    whole = subprocess.run([sys.executable, "-m", "grader", "--help"], capture_output=True, text=True, cwd=ROOT,
                           timeout=300)
    assert whole.returncode == 0
    listed = re.findall(r"^  (\w+)\s", whole.stdout.split("Commands:", 1)[1], re.M)
    assert listed == ["check", "datasets", "grade", "history", "override", "package", "report", "review", "rubric",
                      "run", "schema", "similarity", "weights"]


@pytest.mark.parametrize("fn", [api.run_submission, api.check, api.grade_folder, api.stored_results,
                                api.write_outputs, api.load_rubric])
def test_the_api_is_keyword_only_and_typed(fn: object) -> None:
    params = list(inspect.signature(fn).parameters.values())  # type: ignore[arg-type]
    assert params[0].kind == inspect.Parameter.POSITIONAL_OR_KEYWORD  # what to work on
    assert all(p.kind == inspect.Parameter.KEYWORD_ONLY for p in params[1:]), fn
    assert all(p.annotation is not inspect.Parameter.empty for p in params), fn
    assert inspect.signature(fn).return_annotation is not inspect.Signature.empty  # type: ignore[arg-type]


def test_the_command_line_loads_no_renderer_grader_or_sandbox_until_a_command_needs_one() -> None:
    # `grader --help` and a student's `grader check --help` start in a fraction of a second: the heavy
    # packages (scipy through grading, every renderer) load when a command runs, or its --format help shows.
    code = ("import sys, grader.cli.app; print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy' "
            "or m.startswith(('grader.render', 'grader.grading', 'grader.api', 'grader.sandbox'))))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr
    shown = CliRunner().invoke(main, ["report", "--help"])
    assert shown.exit_code == 0 and "gradescope" in shown.stdout and "[student|instructor]" in shown.stdout


def test_an_error_message_quoting_a_submission_cannot_drive_the_terminal() -> None:
    res = CliRunner().invoke(_command(errors.ConfigError("cannot read 'ev\x1b[2J\x1b[31mil.py'\n  hint: rename it")), [])
    assert res.exit_code == 2 and "\x1b" not in res.stderr
    assert "cannot read 'evil.py'\n  hint: rename it" in res.stderr  # a hint keeps its own line


def test_a_command_returning_something_else_is_a_grader_bug() -> None:
    res = CliRunner().invoke(_command("done"), [])
    assert res.exit_code == 3 and "commands return an ExitCode" in res.stderr
