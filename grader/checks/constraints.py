"""Deciding a set of model constraints on one model: the shared core of requirements, slots and matching."""

from __future__ import annotations

from typing import Any, Callable

from grader.checks import structure, training
from grader.checks.facts import ModelFacts
from grader.checks.loopfacts import cannot_judge
from grader.checks.structure import Finding
from grader.rubric.constraints import TRAINING_KEYS, ModelConstraints

_DECIDERS: dict[str, Callable[[ModelFacts, Any, ModelConstraints], Finding]] = {
    name: getattr(module, name)
    for module, keys in (
        (structure, ["hidden_layers", "dense_layers", "conv_layers", "layer_counts", "units", "filters",
                     "trainable_params", "total_params", "input_size", "hidden_activation",
                     "output_activation", "output_units", "architecture"]),
        (training, ["optimizer", "learning_rate", "loss", "epochs", "batch_size", "shuffle", "validation",
                    "callbacks", "trained", "evaluated"]),
    )
    for name in keys
}


def decide(constraints: ModelConstraints, model: ModelFacts, *, quick: bool = False) -> list[Finding]:
    """One finding per constraint key set; in quick mode, keys that need full training are left out."""
    keys = [k for k in ModelConstraints.constraint_keys(constraints) if not (quick and k in TRAINING_KEYS)]
    return [_decide_key(k, model, constraints) for k in keys]


def _decide_key(key: str, model: ModelFacts, constraints: ModelConstraints) -> Finding:
    value = getattr(constraints, key)
    if model.low_level is not None:
        reason = cannot_judge(key, value, model.low_level)
        if reason:
            return Finding(key, False, reason, str(value), judged=False)
    return _DECIDERS[key](model, value, constraints)


def not_judged(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if not f.judged]


def failing(findings: list[Finding]) -> list[Finding]:
    """Constraints the evidence shows are not met (undecidable ones are not failures)."""
    return [f for f in findings if f.judged and not f.ok]


def needs_training(constraints: ModelConstraints) -> bool:
    return any(k in TRAINING_KEYS for k in ModelConstraints.constraint_keys(constraints))


def summary(findings: list[Finding]) -> str:
    return "; ".join(f.words for f in findings)


def unmet(findings: list[Finding]) -> list[str]:
    return [f.words for f in findings if not f.ok]


def describe(constraints: ModelConstraints) -> str:
    """The constraints in words, for titles: 'hidden layers == 1, trainable params >= 300,000'."""
    from grader.checks.structure import describe_spec  # local: structure imports this module's users

    words = []
    for key in ModelConstraints.constraint_keys(constraints):
        value = getattr(constraints, key)
        if key == "architecture":
            text = " -> ".join(describe_spec(s) for s in value)
        elif key == "layer_counts":
            from grader.rubric.names import layer_class

            text = ", ".join(f"{layer_class(k)} {r}" for k, r in value.items())
        elif isinstance(value, list):
            text = " or ".join(str(v) for v in value)
        elif isinstance(value, bool):
            text = "yes" if value else "no"
        else:
            text = str(value)
        words.append(f"{key.replace('_', ' ')} {text}")
    return ", ".join(words)
