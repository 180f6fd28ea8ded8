"""Folds the kernel's events into Evidence, and wraps it as VerifiedEvidence with nothing verified.

The events are the probe's (see :mod:`grader.kernelcheck.namespace`), so the models, fits and figures
are read by the sandbox run's own folding code. What the kernel cannot show stays empty: no saved
models, no evaluations, no printed output or markdown. Every figure therefore counts as *reported*.
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic import ValidationError

from grader.evidence.assembly import _Models
from grader.evidence.events import ProbeEvent
from grader.evidence.model import (Evidence, FigureRecord, Isolation, Limits, RunInfo,
                                   RunStatus, SubmissionInfo, SubmissionKind)
from grader.verify.verified import VerifiedEvidence

RUN_MESSAGE = "not run by the grader: a self-check of the models, histories and figures in the student's own kernel"
KERNEL_PATH = "<your kernel>"


def kernel_evidence(events: list[dict[str, Any]], *, versions: dict[str, str] | None = None) -> Evidence:
    """The Evidence of the kernel's events (the probe's wire format)."""
    models, figures, warnings = _Models(), [], []
    for ev in events:
        kind = ProbeEvent.of(ev.get("event"))
        try:
            if not models.fold(kind, ev) and kind is ProbeEvent.FIGURE:
                figures.append(FigureRecord(**ev["figure"]))
        except (ValidationError, TypeError, KeyError) as exc:
            warnings.append(f"'{kind}' could not be read: {str(exc).splitlines()[0][:200]}")
    # The run is the student's own kernel: the isolation field has no 'none', and no limits applied.
    run = RunInfo(status=RunStatus.COMPLETED, message=RUN_MESSAGE, isolation=Isolation.LIMITS_ONLY, limits=Limits(),
                  python=sys.version.split()[0], versions=dict(versions or {}))
    info = SubmissionInfo(path=KERNEL_PATH, kind=SubmissionKind.NOTEBOOK, sha256="", size=0)
    return Evidence(submission=info, run=run, models=models.build(warnings), figures=figures, warnings=warnings)


def unverified(evidence: Evidence) -> VerifiedEvidence:
    """The evidence with no verification: every metric the checks find is the submission's own (reported)."""
    return VerifiedEvidence(evidence=evidence, verifications=[])
