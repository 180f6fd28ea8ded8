"""Failures the grading machine caused, and the student's own run standing in for what it could not re-run.

The principle: what differs because the grading machine is not the student's is adapted and noted; what
cannot be re-run here (data or weights the grader does not have, a package it lacks, an API that no longer
exists) is said, with the reason. A run failure is *environmental* when a run note that failed (a file,
a download, a package) or a Keras 2 idiom (a removed API) explains one of the run's errors; the student's
own code failing is never environmental. Pure: functions of the evidence.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from grader.evidence.model import Evidence, Frozen, NoteTopic
from grader.evidence.reported import ReportedRun
from grader.rubric import names

CauseSource = Literal["run_note", "diagnosis"]


class EnvironmentCause(Frozen):
    """One error of the run that the grading machine, not the student's code, explains."""

    source: CauseSource = Field(description="A failed run note, or a Keras 2 idiom that Keras 3 removed.")
    topic: str = Field(description="The note's topic ('adaptation' for data and weights, 'package', 'pip', "
                                   "'network', 'path', 'colab'), or the idiom's id for a diagnosis.")
    cell_index: int | None = None
    sentence: str = Field(description="What could not be done here, in one sentence.")


def environment_causes(evidence: Evidence) -> list[EnvironmentCause]:
    """The run's errors that the environment explains, in run order (notes first, then idioms)."""
    out = [EnvironmentCause(source="run_note", topic=n.topic.value, cell_index=n.cell_index, sentence=n.detail)
           for n in evidence.run_notes if n.kind == "failed" and n.caused_error and n.topic is not NoteTopic.SHELL]
    out += [EnvironmentCause(source="diagnosis", topic=d.idiom, cell_index=d.cell_index,
                             sentence=f"{d.title}: an API this Keras no longer has ({d.fix})")
            for d in evidence.diagnoses if d.caused_error]
    return out


def behaviour_adaptations(evidence: Evidence) -> list[str]:
    """What the grader supplied in place of the student's machine and that changes what ran (a Keras 3
    relocation served, a file, a dataset or weights provided), one line each with its place. A GPU line made
    inert or a drawing skipped ('skipped', 'ran') changes nothing that is graded and is not listed."""
    return [f"{n.where()}: {n.detail}" for n in evidence.run_notes
            if n.topic is NoteTopic.ADAPTATION and n.kind == "provided" and not _draws(n.subjects)]


# Stand-ins for drawing packages are 'provided' too but change nothing graded (grader_probe.adapt.VISUAL_ONLY,
# and Keras 2's vis_utils module names).
_DRAWING = re.compile(r"(^visualkeras$|\.vis_utils$)")


def _draws(subjects: list[str]) -> bool:
    return bool(subjects) and all(_DRAWING.search(s) for s in subjects)


def stored_figure(stored: ReportedRun | None, metric: str, split: str,
                  model_ids: tuple[str | None, ...] = (None,)) -> float | None:
    """The metric's final value in the student's stored run, from logs and evaluate bars attached to one of
    ``model_ids`` (None: attached to no model of the re-run): the last training log for validation/train, the
    last evaluate bar for test. None when the stored run does not show it."""
    if stored is None:
        return None
    value = None
    if split in ("validation", "train"):
        for fit in stored.fits:
            if fit.model_id not in model_ids:
                continue
            for ep in fit.epochs:
                for key, v in ep.metrics.items():
                    if key.startswith("val_") == (split == "validation") and names.metric(key.removeprefix("val_")) == metric:
                        value = v
    else:
        for ev in stored.evaluations:
            if ev.model_id in model_ids:
                for key, v in ev.metrics.items():
                    if names.metric(key) == metric:
                        value = v
    return value
