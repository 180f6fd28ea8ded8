"""The escape hatch: a rubric names a Python function that decides a criterion.

It runs in the grader's process on the (already extracted, plain-data) evidence, never inside the
sandbox and never with the student's code. Whatever it raises is the rubric's problem, so it becomes
an ``error`` outcome with a fault in phase 'check' whose culprit is the rubric (like flake8's
PluginExecutionFailed): not a failed criterion, and not a grader bug to retry.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from grader.checks.base import CheckResult, error, graded, skipped
from grader.faults import Culprit, Fault, Phase
from grader.checks.context import GradeContext
from grader.rubric.criteria import CustomCriterion


@lru_cache(maxsize=64)
def load_function(spec: str, rubric_dir: Path | None = None) -> Callable[..., Any]:
    target, name = spec.rsplit(":", 1)
    if target.endswith(".py"):
        path = (rubric_dir or Path.cwd()) / target
        mod_name = f"_rubric_custom_{abs(hash(str(path.resolve())))}"
        module_spec = importlib.util.spec_from_file_location(mod_name, path)
        if module_spec is None or module_spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[mod_name] = module
        module_spec.loader.exec_module(module)
    else:
        module = importlib.import_module(target)
    func = getattr(module, name)
    if not callable(func):
        raise TypeError(f"{spec} is not callable")
    return func


def check_custom(c: CustomCriterion, ctx: GradeContext) -> CheckResult:
    if ctx.quick and c.needs_training:
        return skipped()
    try:
        func = load_function(c.function, ctx.rubric_dir)
    except Exception as exc:  # noqa: BLE001 - any import failure is the rubric's, reported as an error
        message = f"cannot load custom check {c.function}: {type(exc).__name__}: {exc}"
        return error(message, _fault(exc, message, c))
    try:
        out = func(ctx.verified, dict(c.params), dict(ctx.slot_models))
    except Exception as exc:  # noqa: BLE001
        message = f"custom check {c.function} raised {type(exc).__name__}: {exc}"
        return error(message, _fault(exc, message, c))
    return _interpret(c, out)


def _fault(exc: Exception, message: str, c: CustomCriterion) -> Fault:
    return Fault.from_exception(exc, phase=Phase.CHECK, culprit=Culprit.RUBRIC, message=message, subject=c.id)


def _interpret(c: CustomCriterion, out: Any) -> CheckResult:
    if isinstance(out, CheckResult):
        return out
    message = ""
    if isinstance(out, tuple) and len(out) == 2:
        out, message = out
    if isinstance(out, bool):
        return graded(1.0 if out else 0.0, str(message or ("passed" if out else "not met")))
    if isinstance(out, (int, float)) and 0 <= out <= 1:
        return graded(float(out), str(message or f"credit {out:g}"))
    message = f"custom check {c.function} returned {out!r}; expected a bool, (bool, message) or (credit, message)"
    return error(message, Fault(phase=Phase.CHECK, culprit=Culprit.RUBRIC, kind="bad-return", message=message,
                                subject=c.id))
