"""Custom checks: functions named by dotted path or by a rubric-relative file; their failures are errors."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import evidence_factory as f
import pytest

from grader.checks.base import Outcome
from grader.checks.context import GradeContext
from grader.checks.custom import check_custom, load_function
from grader.rubric.criteria import CustomCriterion


@pytest.fixture()
def module(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    mod = types.ModuleType("course_checks")
    mod.enough_models = lambda ev, params, slots: (len(ev.evidence.models) >= params["n"], "counted models")
    mod.half = lambda ev, params, slots: (0.5, "half way")
    mod.boom = lambda ev, params, slots: 1 / 0
    mod.odd = lambda ev, params, slots: "yes"
    mod.slots = lambda ev, params, slots: slots == {}
    monkeypatch.setitem(sys.modules, "course_checks", mod)
    load_function.cache_clear()
    return mod


def run(function: str, *, quick: bool = False, rubric_dir: Path | None = None, **kw):
    c = CustomCriterion.model_validate({"id": "c", "function": function, **kw})
    ctx = GradeContext.build(f.verify(f.evidence([f.dense_model("m1", [10])])), quick=quick, rubric_dir=rubric_dir)
    return check_custom(c, ctx)


def test_dotted_path(module: types.ModuleType) -> None:
    assert run("course_checks:enough_models", params={"n": 1}).outcome == Outcome.PASSED
    res = run("course_checks:enough_models", params={"n": 2})
    assert res.outcome == Outcome.FAILED and res.message == "counted models"
    half = run("course_checks:half")
    assert (half.outcome, half.credit) == (Outcome.FAILED, 0.5)
    assert run("course_checks:slots").outcome == Outcome.PASSED


def test_rubric_relative_file(tmp_path: Path) -> None:
    (tmp_path / "extra.py").write_text("def check(ev, params, slots):\n    return True\n")
    load_function.cache_clear()
    assert run("extra.py:check", rubric_dir=tmp_path).outcome == Outcome.PASSED


def test_broken_functions_are_errors(module: types.ModuleType) -> None:
    boom = run("course_checks:boom")
    assert boom.outcome == Outcome.ERROR and "ZeroDivisionError" in boom.message
    assert run("course_checks:odd").outcome == Outcome.ERROR
    assert run("course_checks:missing").outcome == Outcome.ERROR
    assert run("no_such_module_here:f").outcome == Outcome.ERROR


def test_quick_mode(module: types.ModuleType) -> None:
    assert run("course_checks:boom", quick=True, needs_training=True).outcome == Outcome.SKIPPED
    assert run("course_checks:half", quick=True).outcome == Outcome.FAILED
