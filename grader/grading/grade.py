"""Grading: verified evidence + rubric -> GradeResult. Pure: no I/O, no sandbox, no TensorFlow."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from grader.checks.artifacts import check_artifact
from grader.checks.base import CheckResult, Outcome, error, skipped
from grader.checks.constraints import decide, needs_training
from grader.checks.context import GradeContext
from grader.checks.custom import check_custom
from grader.checks.facts import ModelFacts
from grader.checks.metrics import check_metric
from grader.checks.questions import check_question, true_values, truth_detail
from grader.checks.noise import ReviewReason
from grader.checks.stored_run import compare_metric
from grader.checks.requirements import check_requirement, check_slot_filled, check_slot_model
from grader.checks.loopcount import count_with_unjudged
from grader.grading.matching import Matching, match_slots, with_misses
from grader.grading.result import (
    CriterionResult, GradeResult, GradeStatus, PartScore, RubricRef, RunSummary, SlotAssignment, UnassignedModel,
)
from grader.evidence.cascade import no_model_cause
from grader.grading.review import review_flags
from grader.grading.summary import totals
from grader.grading.titles import default_title
from grader.faults import Culprit, Fault, Phase
from grader.rubric.criteria import (
    ArtifactCriterion, CountCriterion, CriterionBase, CustomCriterion, GlobalRequirement, MetricCriterion,
    ModelCriterion, QuestionCriterion,
)
from grader.rubric.model import Rubric, Slot
from grader.verify.verified import VerifiedEvidence


def grade(evidence: VerifiedEvidence, rubric: Rubric, *, quick: bool = False) -> GradeResult:
    ctx = GradeContext.build(evidence, quick=quick, reported_credit=rubric.reported_credit,
                             rubric_dir=rubric.path.parent if rubric.path else None)
    matching = match_slots(ctx, rubric.slots, lambda slot, model: _slot_score(slot, model, ctx))
    ctx = replace(ctx, slot_models={sid: m.model_id for sid, m in matching.slots.items()})
    criteria = [_result(item, slot, ctx, matching, rubric) for item, slot in rubric.criteria()]
    score, max_score, skipped_points, counts, status = totals(criteria, evidence)
    run = evidence.evidence.run
    return GradeResult(
        grader_version=_version(),
        rubric=RubricRef(id=rubric.id, title=rubric.title, version=rubric.version, sha256=rubric.sha256,
                         path=str(rubric.path) if rubric.path else None),
        submission=evidence.evidence.submission,
        run=RunSummary(status=run.status, message=run.message, isolation=run.isolation, duration_s=run.duration_s),
        quick=quick, score=score, max_score=max_score, skipped_points=skipped_points,
        percent=round(100.0 * score / max_score, 2) if max_score else 0.0, status=status,
        outcome_counts=counts, parts=_parts(rubric, criteria), criteria=criteria,
        slots=_assignments(rubric, matching, ctx), unassigned=_unassigned(matching, ctx),
        faults=_faults(evidence, criteria), review=review_flags(evidence.evidence, criteria), evidence=evidence,
    )


def _decide(item: CriterionBase | Slot, slot: Slot | None, ctx: GradeContext, matching: Matching) -> tuple[str, CheckResult]:
    model = ctx.slot_model(slot.id) if slot else None
    if isinstance(item, Slot):
        match = matching.slots[item.id]
        return "slots.filled", with_misses(check_slot_filled(item, ctx, model, match.why_empty), match)
    if isinstance(item, GlobalRequirement):
        return "requirements.all_models", check_requirement(item, ctx)
    if isinstance(item, ModelCriterion):
        return "structure.model", check_slot_model(item, ctx, model, slot)  # type: ignore[arg-type]
    if isinstance(item, MetricCriterion):
        return "metrics.threshold", check_metric(item, ctx, model, slot.title if slot else "")
    if isinstance(item, ArtifactCriterion):
        return f"artifacts.{item.artifact}", check_artifact(item, ctx, ctx.slot_model(item.slot) if item.slot else None)
    if isinstance(item, QuestionCriterion):
        return "questions.answer", check_question(item, ctx, ctx.slot_model(item.slot))
    if isinstance(item, CountCriterion):
        if ctx.quick and needs_training(item):
            return "training.model_count", skipped()
        meeting = [m for m in ctx.models if all(f.ok for f in decide(item, m))]
        return "training.model_count", count_with_unjudged(item, ctx.models, meeting)
    if isinstance(item, CustomCriterion):
        return "custom.function", check_custom(item, ctx)
    raise TypeError(f"no check for {type(item).__name__}")  # a programming error, not a student's


def _decide_safely(item: CriterionBase | Slot, slot: Slot | None, ctx: GradeContext,
                   matching: Matching) -> tuple[str, CheckResult]:
    """Every criterion is an error when a fault kept the submission from running; a check that raises is a
    grader bug: that criterion's error, never a crashed grade."""
    if (blocked := ctx.blocked()) is not None:
        return _check_id(item), blocked
    try:
        return _decide(item, slot, ctx, matching)
    except Exception as exc:  # noqa: BLE001 - checks are pure; whatever they raise is the grader's bug
        fault = Fault.from_exception(exc, phase=Phase.CHECK, culprit=Culprit.GRADER, subject=item.id,
                                     message=f"the grader's check broke: {type(exc).__name__}: {exc}")
        return _check_id(item), error(fault.message, fault)


def _check_id(item: CriterionBase | Slot) -> str:
    return f"artifacts.{item.artifact}" if isinstance(item, ArtifactCriterion) else _CHECK_IDS.get(type(item), "")


def _result(item: CriterionBase | Slot, slot: Slot | None, ctx: GradeContext, matching: Matching,
            rubric: Rubric) -> CriterionResult:
    check, res = _decide_safely(item, slot, ctx, matching)
    points = 0.0 if res.outcome in (Outcome.SKIPPED, Outcome.ERROR) else round(res.credit * item.points, 4)
    question = isinstance(item, QuestionCriterion)
    model = ctx.slot_model(item.slot) if question else None
    stored = ctx.evidence.notebook.stored if ctx.evidence.notebook is not None else None  # the student's own run
    truths = true_values(item, model, stored) if question and model is not None else []
    # The student's own run beside the re-run, for a metric their notebook's stored output shows.
    compared = (compare_metric(item, ctx, ctx.slot_model(slot.id) if slot else None)
                if isinstance(item, MetricCriterion) and res.outcome != Outcome.SKIPPED else None)
    return CriterionResult(
        id=item.id, part=rubric.part_of(item, slot), title=item.title or default_title(item), check=check,
        outcome=res.outcome, points=points, max_points=item.points,
        # A model criterion the run never got far enough to judge says why, and offers no invented fix.
        message=f"no model was built: {no_model}" if (no_model := _no_model(item, ctx, res))
        else res.message + (f"; {compared.message()}" if compared else ""),
        feedback=item.feedback if res.outcome == Outcome.FAILED and not no_model else "",
        detail=truth_detail(item, model, stored) if question else "",
        hidden=item.hidden, bonus=rubric.is_bonus(item, slot), figure_status=res.figure_status, model_id=res.model_id,
        slot=slot.id if slot else getattr(item, "slot", None), fault=res.fault, not_judged=res.not_judged,
        true_value=tuple(truths) if truths else None, answer_source=res.answer, run_comparison=compared,
        borderline=res.borderline,
        review_reasons=res.review + ((ReviewReason.STORED_RUN,) if compared and compared.crosses_bar else ()),
    )


_NEEDS_A_MODEL = (Slot, GlobalRequirement, ModelCriterion, MetricCriterion, CountCriterion)


def _no_model(item: CriterionBase | Slot, ctx: GradeContext, res: CheckResult) -> str:
    """For a failed criterion that needs a model, the failure that kept the run from building any: ''
    when models were built, or the run simply built none (then the feedback is what to change)."""
    if res.outcome != Outcome.FAILED or not isinstance(item, _NEEDS_A_MODEL) or ctx.models:
        return ""
    if res.figure_status is not None:  # decided on a figure after all: the student's stored one (its message says why)
        return ""
    return no_model_cause(ctx.evidence)


_CHECK_IDS = {Slot: "slots.filled", GlobalRequirement: "requirements.all_models", ModelCriterion: "structure.model",
              MetricCriterion: "metrics.threshold", QuestionCriterion: "questions.answer",
              CountCriterion: "training.model_count", CustomCriterion: "custom.function"}


def _faults(evidence: VerifiedEvidence, criteria: list[CriterionResult]) -> tuple[Fault, ...]:
    """The evidence's faults, then each criterion's (one fault shared by several criteria is listed once)."""
    found = list(evidence.faults) + [c.fault for c in criteria if c.fault is not None]
    return tuple(dict.fromkeys(found))


def _slot_score(slot: Slot, model: ModelFacts, ctx: GradeContext) -> float:
    """How well a model does on a slot's own criteria (0..1): the tie-breaker for matching."""
    try:
        results = [(c.points, check_slot_model(c, ctx, model, slot)) for c in slot.require]
        results += [(c.points, check_metric(c, ctx, model, slot.title)) for c in slot.metrics]
    except Exception:  # noqa: BLE001 - a check's bug is reported on its criterion; here it only ranks no model
        return 0.0
    results = [(p, r) for p, r in results if r.outcome != Outcome.SKIPPED]
    if not results:
        return 0.0
    total = sum(p for p, _ in results)
    if total == 0:
        return sum(r.credit for _, r in results) / len(results)
    return sum(p * r.credit for p, r in results) / total


def _parts(rubric: Rubric, criteria: list[CriterionResult]) -> list[PartScore]:
    groups = [(p.id, p.title) for p in rubric.parts] + [(None, "Other")]
    out = []
    for pid, title in groups:
        mine = [c for c in criteria if c.part == pid and c.outcome != Outcome.SKIPPED]
        if mine or any(c.part == pid for c in criteria):
            out.append(PartScore(id=pid, title=title, score=round(sum(c.points for c in mine), 4),
                                 max_score=round(sum(c.max_points for c in mine if not c.bonus), 4)))
    return out


def _assignments(rubric: Rubric, matching: Matching, ctx: GradeContext) -> list[SlotAssignment]:
    out = []
    for slot in rubric.slots:
        m = matching.slots[slot.id]
        model = ctx.model(m.model_id)
        message = (f"filled by {model.label}" + (f"; misses: {'; '.join(m.unmet)}" if m.unmet else "")
                   if model else f"empty: {m.why_empty}")
        out.append(SlotAssignment(slot=slot.id, title=slot.title, model_id=m.model_id,
                                  model_name=model.record.name if model else None, unmet=m.unmet, message=message))
    return out


def _unassigned(matching: Matching, ctx: GradeContext) -> list[UnassignedModel]:
    return [UnassignedModel(model_id=mid, model_name=ctx.model(mid).record.name, trained=ctx.model(mid).trained,
                            reasons=reasons) for mid, reasons in matching.rejections.items()]


@lru_cache(maxsize=1)
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("grader")
    except PackageNotFoundError:
        return "0+unknown"


__all__ = ["grade", "GradeResult", "GradeStatus"]
