"""What a grade could and could not judge about each hand-written training loop, for renderers."""

from __future__ import annotations

from dataclasses import dataclass

from grader.evidence.customtraining import CustomTraining
from grader.grading.result import CriterionResult, GradeResult


@dataclass(frozen=True)
class LoopJudgement:
    training: CustomTraining
    facts: list[tuple[str, str]]
    judged: list[CriterionResult]
    not_judged: list[CriterionResult]
    slots: list[str]


def loop_facts_text(t: CustomTraining) -> list[tuple[str, str]]:
    net = t.network
    steps = (f"{t.steps:,} ({t.steps_source})" if t.steps is not None
             else "unknown (the loop ran inside tf.function with no optimizer object)")
    opt = t.optimizer
    update = (f"{opt.class_name}" + (f", learning rate {opt.learning_rate:g}" if opt.learning_rate is not None else "")
              if opt else ("hand-written (assign/assign_sub), no optimizer object" if t.update == "assign"
                           else "not recorded"))
    layers = (f"{net.describe()} ({len(net.layers)} dense layer(s); {net.weights:,} weights, {net.biases:,} biases)"
              if net and net.layers else "no dense chain")
    if net and not net.complete:
        layers += "; not fully inferred: " + ", ".join(net.unexplained[:5])
    losses = [s.value for s in t.losses if s.value is not None]
    facts = [("Update steps", steps), ("Update", update), ("Inferred layers", layers),
             ("Trainable parameters", f"{net.trainable_params:,}" if net else "unknown"),
             ("Variables", ", ".join(f"{v.name or v.key} {tuple(v.shape)}" for v in t.variables[:12])
              + (f" and {len(t.variables) - 12} more" if len(t.variables) > 12 else "")),
             ("Loss", f"{losses[0]:.4g} at the first step, {losses[-1]:.4g} at step {t.losses[-1].step}"
              if len(losses) >= 2 else "not read (no scalar loss outside tf.function)"),
             ("Final weights", t.weights_file or (t.save_error or "not saved"))]
    if net:
        facts.append(("Not known", "; ".join(net.not_inferred)))
    return facts


def loop_judgements(r: GradeResult) -> list[LoopJudgement]:
    out = []
    for t in r.evidence.evidence.custom_training:
        slots = [s.slot for s in r.slots if s.model_id == t.id]
        mine = [c for c in r.criteria if c.model_id == t.id or (c.slot in slots and c.slot is not None)
                or (c.not_judged is not None and t.id in c.not_judged.model_ids)]
        not_judged = [c for c in mine if c.not_judged is not None]
        judged = [c for c in mine if c not in not_judged]
        out.append(LoopJudgement(t, loop_facts_text(t), judged, not_judged, slots))
    return out
