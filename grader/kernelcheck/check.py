"""``grader.selfcheck``: grade the kernel's own models with the rubric's checks, leaving to the full grader
what only it can decide."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from typing import Any

from grader.checks.base import Outcome
from grader.grading.grade import _parts, grade
from grader.grading.result import CriterionResult, GradeResult
from grader.grading.summary import totals
from grader.kernelcheck import figures as kernel_figures
from grader.kernelcheck.evidence import kernel_evidence, unverified
from grader.kernelcheck.namespace import find_objects, model_events
from grader.kernelcheck.probe import probe_module
from grader.kernelcheck.result import Deferred, FullGraderOnly, SelfCheck
from grader.render.audience import Audience, for_audience
from grader.rubric.loader import load_rubric
from grader.rubric.model import Rubric
from grader.rubric.resolve import resolve_rubric

_BY_CHECK = {"metrics.threshold": FullGraderOnly.VERIFIED_METRIC, "questions.answer": FullGraderOnly.NOTEBOOK_TEXT,
             "artifacts.saved_model": FullGraderOnly.SAVED_MODEL}
_FIGURE_CHECKS = ("artifacts.training_curves", "artifacts.confusion_matrix")


def _reason(c: CriterionResult, figures_recorded: bool) -> FullGraderOnly | None:
    if c.check in _BY_CHECK:
        return _BY_CHECK[c.check]
    if c.check in _FIGURE_CHECKS and c.outcome == Outcome.FAILED and not figures_recorded:
        return FullGraderOnly.FIGURES_CLOSED  # not seen here is not the same as not drawn
    return None


def defer(result: GradeResult, rubric: Rubric, *, figures_recorded: bool) -> tuple[GradeResult, tuple[Deferred, ...]]:
    """The result with every criterion the kernel cannot decide skipped, its totals recomputed, and why."""
    criteria, deferred = [], []
    for c in result.criteria:
        reason = _reason(c, figures_recorded)
        if reason is None:
            criteria.append(c)
            continue
        if not c.hidden:  # a hidden criterion's title must not reach the student
            # What the kernel shows, for information: the check's words before its note on verification.
            shows = c.message.split("; only reported")[0] if reason is FullGraderOnly.VERIFIED_METRIC else ""
            deferred.append(Deferred(criterion_id=c.id, title=c.title, reason=reason, kernel_shows=shows))
        criteria.append(c.model_copy(update={
            "outcome": Outcome.SKIPPED, "points": 0.0, "feedback": "", "fault": None, "figure_status": None,
            "borderline": None, "run_comparison": None, "review_reasons": (), "answer_source": None,
            "message": f"decided only by the full grader: {reason.words}"}))
    score, max_score, skipped_points, counts, status = totals(criteria, result.evidence)
    return result.model_copy(update={
        "criteria": criteria, "score": score, "max_score": max_score, "skipped_points": skipped_points,
        "outcome_counts": counts, "status": status, "parts": _parts(rubric, criteria),
        "percent": round(100.0 * score / max_score, 2) if max_score else 0.0}), tuple(deferred)


def _versions() -> dict[str, str]:
    out = {}
    for name in ("tensorflow", "keras", "tf_keras"):
        version = getattr(sys.modules.get(name), "__version__", None)
        if isinstance(version, str):
            out[name] = version
    return out


def inspect_kernel(rubric: Rubric | str | os.PathLike[str], *, namespace: Mapping[str, Any]) -> SelfCheck:
    """Self-check the models, histories and figures in ``namespace`` against ``rubric`` (a bundled name or a file)."""
    start = time.perf_counter()
    loaded = rubric if isinstance(rubric, Rubric) else load_rubric(resolve_rubric(str(rubric)))
    found = find_objects(namespace)
    events = model_events(found) + kernel_figures.figure_events()
    events = [probe_module("events")._jsonable(ev) for ev in events]  # as the probe writes them: NaN -> null
    evidence = kernel_evidence(events, versions=_versions())
    recorded = kernel_figures.recording()
    result, deferred = defer(grade(unverified(evidence), loaded), loaded, figures_recorded=recorded)
    return SelfCheck(rubric=loaded.id, result=for_audience(result, Audience.STUDENT), deferred=deferred,
                     models=len(evidence.models), histories=sum(len(m.fits) for m in evidence.models),
                     figures=len(evidence.figures), figures_recorded=recorded,
                     seconds=round(time.perf_counter() - start, 3))


def _ipython() -> Any:
    shell = sys.modules.get("IPython")
    get = getattr(shell, "get_ipython", None)
    return get() if get is not None else None


def _caller_globals() -> dict[str, Any]:
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] == "grader":
        frame = frame.f_back  # type: ignore[assignment]
    return frame.f_globals if frame is not None else {}


def selfcheck(rubric: Rubric | str | os.PathLike[str], *, namespace: Mapping[str, Any] | None = None) -> None:
    """Self-check this kernel against ``rubric`` and display the result: HTML in Jupyter and Colab, text elsewhere.

    ``namespace`` defaults to the notebook's variables (IPython's user namespace), else the caller's globals.
    Use :func:`inspect_kernel` for the :class:`SelfCheck` itself.
    """
    shell = _ipython()
    if os.environ.get("GRADER_OUT"):
        # Inside the grader's own sandboxed run (the probe's output folder is set): the full grader is
        # grading this very notebook, and a self-check's text must not become the student's printed output.
        print("[grader] grader.selfcheck() is skipped inside the grader's own run")
        return
    if namespace is None:
        namespace = shell.user_ns if shell is not None else _caller_globals()
    show(inspect_kernel(rubric, namespace=namespace), shell)


def show(check: SelfCheck, shell: Any = None) -> None:
    from grader.kernelcheck.display import html, text

    if shell is not None:
        from IPython.display import display

        display({"text/html": html(check), "text/plain": text(check)}, raw=True)
    else:
        print(text(check))
