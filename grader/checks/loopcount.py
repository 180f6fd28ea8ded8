"""Count criteria when hand-written loops are among the models: undecidable is not 'does not meet'."""

from __future__ import annotations

from grader.checks.base import CheckResult, Outcome, skipped
from grader.checks.constraints import decide, failing, not_judged
from grader.checks.facts import ModelFacts
from grader.checks.loopfacts import PREFIX, unjudged_of
from grader.checks.training import count_models
from grader.rubric.criteria import CountCriterion


def count_with_unjudged(c: CountCriterion, models: tuple[ModelFacts, ...] | list[ModelFacts],
                        meeting: list[ModelFacts]) -> CheckResult:
    """count_models, except that a shortfall the undecidable models could make up is skipped, not failed."""
    result = count_models(c, meeting)
    if result.outcome == Outcome.PASSED:
        return result
    undecided = [(m, not_judged(found)) for m in models
                 if (found := decide(c, m)) and not_judged(found) and not failing(found)]
    if not undecided or count_models(c, sorted(meeting + [m for m, _ in undecided], key=models.index)).outcome \
            != Outcome.PASSED:
        return result
    why = "; ".join(f"{m.label}: {', '.join(dict.fromkeys(f.actual for f in unknown))}" for m, unknown in undecided)
    return skipped(f"{result.message}; {len(undecided)} more could count, but {PREFIX} ({why})",
                   not_judged=unjudged_of([(m, [f.actual for f in unknown]) for m, unknown in undecided]))
