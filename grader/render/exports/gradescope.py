"""Gradescope autograder ``results.json`` for one submission.

Field names and values follow Gradescope's documented autograder output: a top-level ``score``,
``execution_time``, ``output``, ``visibility``, ``stdout_visibility``, and ``tests`` each with
``name``, ``number``, ``score``, ``max_score``, ``status`` ('passed'/'failed'), ``output``, ``tags``
and ``visibility`` ('hidden', 'after_due_date', 'after_published' or 'visible').
"""

from __future__ import annotations

import json
from typing import Any, Literal

from grader.checks.base import Outcome
from grader.grading.result import CriterionResult, GradeResult
from grader.render.safe import clean, pts

Visibility = Literal["hidden", "after_due_date", "after_published", "visible"]
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


def _test(c: CriterionResult, n: int, hidden_visibility: Visibility) -> dict[str, Any]:
    skipped = c.outcome == Outcome.SKIPPED
    lines = [clean(c.message)]
    if c.outcome == Outcome.ERROR:
        lines.insert(0, "The grader could not decide this criterion.")
    if c.feedback:
        lines.append(f"What to change: {clean(c.feedback)}")
    if c.override is not None:
        lines.append(clean(c.override.words()))
    return {
        "name": clean(c.title) + (" (bonus)" if c.bonus else ""),
        "number": str(n),
        "score": 0.0 if skipped else c.points,
        # Skipped criteria are not in the result's max_score either, so they add nothing here.
        "max_score": 0.0 if skipped else c.max_points,
        "status": "passed" if c.outcome == Outcome.PASSED else "failed",
        "output": "\n".join(x for x in lines if x),
        "output_format": "text",
        "tags": [t for t in (c.part, c.check) if t],
        "visibility": hidden_visibility if c.hidden else "visible",
    }


def gradescope_results(result: GradeResult, *, hidden_visibility: Visibility = "after_published",
                       visibility: Visibility = "visible", output: str | None = None) -> dict[str, Any]:
    """The results.json document; ``output`` replaces the default text for the whole submission (a summary of
    score, run and isolation level), e.g. with a report's text for the student's copy of the result."""
    if hidden_visibility not in VISIBILITIES or visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {VISIBILITIES}")
    r = result
    summary = [f"{clean(r.rubric.title)}: {pts(r.score)} / {pts(r.max_score)} points ({r.percent:.1f}%), {r.status.value}.",
               f"Run: {r.run.status.value}: {clean(r.run.message)}",
               f"Isolation: {r.run.isolation.value}"]
    if r.quick:
        summary.append(f"Quick mode: {pts(r.skipped_points)} points were not checked.")
    return {
        "score": r.score,
        "execution_time": round(r.run.duration_s),
        "output": "\n".join(summary) if output is None else output,
        "output_format": "text",
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": [_test(c, n, hidden_visibility) for n, c in enumerate(r.criteria, 1)],
        "extra_data": {"rubric": r.rubric.id, "rubric_version": r.rubric.version, "rubric_sha256": r.rubric.sha256,
                       "status": r.status.value, "percent": r.percent, "max_score": r.max_score,
                       "isolation": r.run.isolation.value,
                       "grader_version": r.grader_version},
    }


def render_gradescope(result: GradeResult, **kw: Any) -> str:
    return json.dumps(gradescope_results(result, **kw), indent=2, ensure_ascii=False) + "\n"
