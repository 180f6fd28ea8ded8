"""Which grades the results store keeps as final, and how the others are tried again on the next run.

A grade is incomplete (status ERROR) when something broke; its ``faults`` say in which phase and whose
doing it was (:mod:`grader.faults`). What happens next follows from that:

- the grader or its host broke while producing the evidence (the sandbox could not start, a worker
  died, the verifier broke on a model): running again may go through, so nothing of it is stored and
  the next run runs the submission again;
- the evidence is sound but a check broke (a grader bug in a check, a rubric's custom check that
  raised, whose file may be fixed without the rubric changing): the evidence is stored, the grade is
  not, and the next run grades the stored evidence again without running anything;
- only the submission's own files are to blame (a saved model that does not load): the same files give
  the same fault, so the grade is final and cached like any other.

What the student's code did (a crash, a timeout, a refused upload) is a run status, not a fault: its
grade is final.
"""

from __future__ import annotations

from grader.faults import Culprit, Fault, Phase
from grader.grading.result import GradeResult, GradeStatus

# Phases whose faults live in the evidence: only a new run can clear them.
EVIDENCE_PHASES = frozenset({Phase.INTAKE, Phase.RUN, Phase.VERIFY, Phase.GRADER})


def is_grader_fault(fault: Fault) -> bool:
    """True when the grader or its host is to blame, so trying again may give another answer.

    The one place that decides it for the pipeline.
    """
    return fault.ours


def is_final(result: GradeResult) -> bool:
    """True when the grade may be stored and served as it is on the next run."""
    if result.status != GradeStatus.ERROR:
        return True
    # An ERROR with no recorded fault (stored by an older version) has no known cause: try it again.
    return bool(result.faults) and all(f.culprit == Culprit.STUDENT for f in result.faults)


def needs_new_run(result: GradeResult) -> bool:
    """True when the grade is incomplete because the grader broke while producing its evidence."""
    return not is_final(result) and any(is_grader_fault(f) and f.phase in EVIDENCE_PHASES for f in result.faults)


def keeps_evidence(result: GradeResult) -> bool:
    """True when the evidence behind the grade is worth storing (it need not be produced again).

    Evidence with a grader fault that its grade did not need (a model the rubric never measures) is kept.
    """
    return not needs_new_run(result)


__all__ = ["EVIDENCE_PHASES", "is_final", "is_grader_fault", "keeps_evidence", "needs_new_run"]
