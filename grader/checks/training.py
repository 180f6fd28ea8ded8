"""Training constraints (optimizer, loss, epochs, fit settings) and counting models."""

from __future__ import annotations

from grader.checks.base import CheckResult, graded
from grader.checks.facts import ModelFacts
from grader.checks.structure import Finding
from grader.rubric import names
from grader.rubric.constraints import ModelConstraints
from grader.rubric.criteria import CountCriterion, Tiers
from grader.rubric.ranges import Range


def optimizer(f: ModelFacts, want: list[str], c: ModelConstraints) -> Finding:
    return Finding("optimizer", f.optimizer in want, f"optimizer {f.optimizer or 'none (never compiled)'}",
                   " or ".join(want))


def learning_rate(f: ModelFacts, r: Range, c: ModelConstraints) -> Finding:
    lr = f.learning_rate
    return Finding("learning_rate", r.contains(lr), f"learning rate {'unknown' if lr is None else f'{lr:g}'}", str(r))


def loss(f: ModelFacts, want: list[str], c: ModelConstraints) -> Finding:
    return Finding("loss", f.loss in want, f"loss {f.loss or 'none (never compiled)'}", " or ".join(want))


def epochs(f: ModelFacts, r: Range, c: ModelConstraints) -> Finding:
    return Finding("epochs", r.contains(f.epochs), f"trained {f.epochs} epoch{'' if f.epochs == 1 else 's'}", str(r))


def batch_size(f: ModelFacts, r: Range, c: ModelConstraints) -> Finding:
    if not f.batch_sizes:
        return Finding("batch_size", False, "never called fit", f"batch size {r}")
    shown = ", ".join(str(b) for b in sorted(set(f.batch_sizes)))
    return Finding("batch_size", all(r.contains(b) for b in f.batch_sizes), f"batch size {shown}", str(r))


def shuffle(f: ModelFacts, want: bool, c: ModelConstraints) -> Finding:
    if not f.shuffles:
        return Finding("shuffle", False, "never called fit", f"shuffle={want}")
    return Finding("shuffle", all(s == want for s in f.shuffles),
                   f"shuffle={'/'.join(str(s) for s in sorted(set(f.shuffles)))}", f"shuffle={want}")


def validation(f: ModelFacts, want: bool, c: ModelConstraints) -> Finding:
    actual = "trained with validation data" if f.validation else "no validation data during training"
    return Finding("validation", f.validation == want, actual,
                   "validation data (validation_data or validation_split)" if want else "no validation data")


def callbacks(f: ModelFacts, want: list[str], c: ModelConstraints) -> Finding:
    missing = [names.CALLBACKS.get(w, w) for w in want if w not in f.callbacks]
    used = sorted(names.CALLBACKS.get(k, k) for k in f.callbacks) or ["none"]
    return Finding("callbacks", not missing, f"callbacks {', '.join(used)}", ", ".join(missing))


def trained(f: ModelFacts, want: bool, c: ModelConstraints) -> Finding:
    actual = "finished training" if f.trained else "never finished a fit"
    return Finding("trained", f.trained == want, actual, "a finished fit" if want else "no training")


def evaluated(f: ModelFacts, want: bool, c: ModelConstraints) -> Finding:
    actual = "evaluated" if f.evaluated else "never evaluated"
    return Finding("evaluated", f.evaluated == want, actual, "an evaluate() call" if want else "no evaluation")


def count_models(c: CountCriterion, matching: list[ModelFacts]) -> CheckResult:
    """Decide a count criterion from the models that met its constraints (in run order)."""
    counted = matching
    if c.distinct:
        counted, last = [], None
        for m in matching:
            if m.signature() != last:
                counted.append(m)
            last = m.signature()
    n = len(counted)
    ids = ", ".join(m.id for m in counted) or "none"
    what = "distinct models" if c.distinct else "models"
    message = f"{n} {what} meet it ({ids}); needs {c.count}"
    if c.count.contains(n):
        return graded(1.0, message)
    if isinstance(c.partial, Tiers):
        return graded(max((t.credit for t in c.partial.tiers if t.expect.contains(n)), default=0.0), message)
    target = c.count.low()
    if c.partial == "proportional" and target:
        return graded(n / target, message)
    return graded(0.0, message)
