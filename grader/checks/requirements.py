"""Constraint criteria: global requirements (every model), a slot being filled, a slot's model."""

from __future__ import annotations

from dataclasses import replace

from grader.checks.base import CheckResult, failed, graded, skipped
from grader.checks.constraints import decide, failing, needs_training, not_judged, summary
from grader.checks.context import GradeContext
from grader.checks.facts import ModelFacts
from grader.checks.loopfacts import PREFIX, unjudged_of
from grader.checks.structure import Finding
from grader.rubric.criteria import GlobalRequirement, ModelCriterion, Partial, Tiers
from grader.rubric.model import Slot


def _credit(partial: Partial | str, fraction: float) -> float:
    if fraction >= 1.0:
        return 1.0
    if isinstance(partial, Tiers):
        return max((t.credit for t in partial.tiers if t.expect.contains(fraction)), default=0.0)
    return fraction if partial == "proportional" else 0.0


def in_scope(c: GlobalRequirement, ctx: GradeContext) -> list[ModelFacts]:
    if c.scope == "all":
        return list(ctx.models)
    if c.scope == "slotted":
        ids = {i for i in ctx.slot_models.values() if i}
        return [m for m in ctx.models if m.id in ids]
    return [m for m in ctx.models if m.record.fits or (m.low_level is not None and m.trained)]


def check_requirement(c: GlobalRequirement, ctx: GradeContext) -> CheckResult:
    if ctx.quick and needs_training(c):
        return skipped()
    if broke := ctx.blocked():
        return broke
    models = in_scope(c, ctx)
    if not models:
        what = {"trained": "trained", "all": "compiled", "slotted": "slot-filling"}[c.scope]
        return failed(f"there is no {what} model to check{ctx.run_note()}")
    decided = [(m, decide(c, m)) for m in models]
    bad = [(m, failing(found)) for m, found in decided]
    bad = [(m, unmet) for m, unmet in bad if unmet]
    unjudged = [(m, not_judged(found)) for m, found in decided if not_judged(found)]
    if not bad and unjudged:
        judged = len(models) - len(unjudged)
        words = "; ".join(f"{m.label}: {', '.join(f.actual for f in found)}" for m, found in unjudged)
        return skipped(f"{PREFIX} for {len(unjudged)} of {len(models)} model(s) ({words})"
                       + (f"; the other {judged} comply" if judged else ""),
                       not_judged=unjudged_of([(m, [f.actual for f in found]) for m, found in unjudged]))
    if not bad:
        sample = summary(decide(c, models[0]))
        return graded(1.0, f"all {len(models)} model{'s' if len(models) > 1 else ''} comply ({sample})")
    words = "; ".join(f"{m.label}: {', '.join(f.words for f in unmet)}" for m, unmet in bad)
    return graded(_credit(c.partial, 1 - len(bad) / len(models)), f"{len(bad)} of {len(models)} do not: {words}")


def check_slot_model(c: ModelCriterion, ctx: GradeContext, model: ModelFacts | None, slot: Slot) -> CheckResult:
    if ctx.quick and needs_training(c):
        return skipped()
    if broke := ctx.blocked():
        return broke
    if model is None:
        return failed(f"no model fills the slot '{slot.title}'{ctx.run_note()}")
    findings = decide(c, model)
    return _graded(findings, c.partial, model)


def _unjudged(findings: list[Finding], model: ModelFacts) -> CheckResult | None:
    """Skipped, with the reason, when nothing judged failed but something could not be judged."""
    unknown = not_judged(findings)
    if not unknown or failing(findings):
        return None
    reasons = "; ".join(dict.fromkeys(f.actual for f in unknown))
    judged = [f.words for f in findings if f.judged]
    seen = f" (judged and met: {'; '.join(judged)})" if judged else ""
    return skipped(f"{model.label}: {PREFIX}: {reasons}{seen}", model_id=model.id,
                   not_judged=unjudged_of([(model, [f.actual for f in unknown])]))


def check_slot_filled(slot: Slot, ctx: GradeContext, model: ModelFacts | None, why_empty: str) -> CheckResult:
    if broke := ctx.blocked():
        return broke
    if model is None:
        return failed(f"no model fits this slot: {why_empty}{ctx.run_note()}")
    findings = decide(slot.match, model, quick=ctx.quick)
    result = _graded(findings, slot.partial, model)
    return replace(result, message=f"filled by {result.message}", model_id=model.id)


def _graded(findings: list[Finding], partial: Partial | str, model: ModelFacts) -> CheckResult:
    if (unknown := _unjudged(findings, model)) is not None:
        return unknown
    ok = sum(f.ok for f in findings)
    credit = _credit(partial, ok / len(findings)) if findings else 1.0
    return graded(credit, f"{model.label}: {summary(findings)}", model_id=model.id)
