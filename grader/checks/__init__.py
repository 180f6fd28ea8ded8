"""Checks: pure functions of verified evidence, each deciding one criterion to an outcome.

One small module per family: structure and training (model constraints), metrics, artifacts,
questions, custom.
"""

from grader.checks.base import CHECKS, QUICK_MESSAGE, CheckResult, CheckSpec, Outcome

__all__ = ["CHECKS", "QUICK_MESSAGE", "CheckResult", "CheckSpec", "Outcome"]
