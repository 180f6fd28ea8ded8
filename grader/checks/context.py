"""Everything a check may look at: the verified evidence, per-model facts, and the slot assignment."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from grader.checks.facts import ModelFacts, model_facts
from grader.checks.loopfacts import loop_facts
from grader.checks.base import CheckResult, error
from grader.evidence.model import Evidence, RunStatus
from grader.verify.verified import VerifiedEvidence

# Run endings after which missing evidence is explained by the run, not by the student's choices.
_ABNORMAL = {RunStatus.CRASHED, RunStatus.EXITED, RunStatus.TIMEOUT, RunStatus.MEMORY_LIMIT,
             RunStatus.OUTPUT_LIMIT, RunStatus.KILLED, RunStatus.INVALID, RunStatus.NOT_RUN}


@dataclass(frozen=True)
class GradeContext:
    verified: VerifiedEvidence
    models: tuple[ModelFacts, ...]
    quick: bool = False
    reported_credit: float = 0.0
    rubric_dir: Path | None = None
    slot_models: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def build(cls, verified: VerifiedEvidence, **kw: object) -> GradeContext:
        facts = tuple(model_facts(m, verified.verification(m.id)) for m in verified.evidence.models)
        facts += tuple(loop_facts(t) for t in verified.evidence.custom_training if t.trained)
        return cls(verified=verified, models=facts, **kw)  # type: ignore[arg-type]

    @property
    def evidence(self) -> Evidence:
        return self.verified.evidence

    def model(self, model_id: str | None) -> ModelFacts | None:
        return next((m for m in self.models if m.id == model_id), None)

    def slot_model(self, slot_id: str) -> ModelFacts | None:
        return self.model(self.slot_models.get(slot_id))

    def blocked(self, model_id: str | None = None) -> CheckResult | None:
        """An 'error' when a fault kept the submission from running or being read: nothing can be decided."""
        fault = self.verified.blocking_fault
        if fault is None:
            return None
        return error(f"the grader could not run the submission: {fault.message}", fault, model_id=model_id)

    def run_note(self) -> str:
        """' (the run crashed: ...)' when the run ended abnormally, else ''. Explains missing evidence."""
        run = self.evidence.run
        if run.status in _ABNORMAL:
            return f" (the run ended early: {run.status.value}: {run.message})"
        return ""
