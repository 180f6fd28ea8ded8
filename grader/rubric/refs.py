"""Checks across the whole rubric that one field's validator cannot see: ids, references, ranges.

Each problem is returned with its location (the same tuple shape pydantic uses) so the loader
can point at the exact line of the YAML file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from grader.rubric import names
from grader.rubric.criteria import MetricCriterion, QuestionCriterion, Tiers
from grader.rubric.model import Rubric

Loc = tuple[str | int, ...]

# Metrics that are fractions; a threshold outside [0, 1] can never be met (or always is).
_FRACTION_METRICS = {"accuracy"}


@dataclass(frozen=True)
class Issue:
    loc: Loc
    message: str
    hint: str | None = None


def check_references(rubric: Rubric, rubric_dir: Path | None = None) -> list[Issue]:
    issues: list[Issue] = []
    issues += _duplicates(rubric)
    part_ids = {p.id for p in rubric.parts}
    slot_ids = {s.id for s in rubric.slots}
    for loc, item in _items(rubric):
        part = getattr(item, "part", None)
        if part is not None and part not in part_ids:
            issues.append(Issue(loc + ("part",), f"part {part!r} is not defined in 'parts'",
                                names.suggest(part, part_ids) or _known("parts", part_ids)))
        slot = getattr(item, "slot", None)
        if slot is not None and slot not in slot_ids:
            issues.append(Issue(loc + ("slot",), f"slot {slot!r} is not defined in 'slots'",
                                names.suggest(slot, slot_ids) or _known("slots", slot_ids)))
        if isinstance(item, MetricCriterion):
            issues += _metric(loc, item)
        if isinstance(item, QuestionCriterion) and item.answer in ("accuracy", "loss") and item.split is None:
            issues.append(Issue(loc + ("answer",), f"a question about {item.answer} needs a split",
                                "add split: validation (or test, or train)"))
        if getattr(item, "function", "").split(":")[0].endswith(".py") and rubric_dir is not None:
            file = rubric_dir / item.function.split(":")[0]
            if not file.is_file():
                issues.append(Issue(loc + ("function",), f"custom check file {file} does not exist",
                                    "paths ending in .py are relative to the rubric file"))
    return issues


def _known(what: str, ids: set[str]) -> str:
    return f"defined {what}: {', '.join(sorted(ids))}" if ids else f"add a '{what}' section first"


def _items(rubric: Rubric) -> Iterator[tuple[Loc, Any]]:
    """(location, item) of everything that has an id, in file order."""
    for i, p in enumerate(rubric.parts):
        yield ("parts", i), p
    for section in ("requirements", "artifacts", "questions", "counts", "custom"):
        for i, c in enumerate(getattr(rubric, section)):
            yield (section, i), c
    for i, s in enumerate(rubric.slots):
        yield ("slots", i), s
        for section in ("require", "metrics"):
            for j, c in enumerate(getattr(s, section)):
                yield ("slots", i, section, j), c


def _duplicates(rubric: Rubric) -> list[Issue]:
    # Parts have their own namespace; slots and criteria share one (a slot is also a criterion).
    issues, seen_parts, seen = [], {}, {}
    for loc, item in _items(rubric):
        table = seen_parts if loc[0] == "parts" else seen
        if item.id in table:
            issues.append(Issue(loc + ("id",), f"duplicate id {item.id!r}",
                                f"already used at {'.'.join(map(str, table[item.id]))}; ids must be unique"))
        else:
            table[item.id] = loc
    return issues


def _metric(loc: Loc, c: MetricCriterion) -> list[Issue]:
    issues = []
    bounds = [b for b in (c.expect.low(), c.expect.high()) if b is not None]
    if c.metric in _FRACTION_METRICS and any(b < 0 or b > 1 for b in bounds):
        issues.append(Issue(loc + ("expect",), f"{c.metric} threshold {c.expect} is outside 0..1",
                            "write accuracy as a fraction ('>0.92') or a percentage ('>92%')"))
    if c.metric not in _FRACTION_METRICS and any(b < 0 for b in bounds):
        issues.append(Issue(loc + ("expect",), f"{c.metric} threshold {c.expect} is negative",
                            "errors and losses are never negative"))
    if c.partial == "proportional":
        if c.zero_at is None:
            issues.append(Issue(loc + ("partial",), "proportional credit on a metric needs zero_at",
                                "add zero_at: the value that earns no credit, e.g. 0.8"))
        elif c.expect.low() is not None and c.expect.high() is None and c.zero_at >= c.expect.low():
            issues.append(Issue(loc + ("zero_at",), "zero_at must lie below a lower threshold"))
        elif c.expect.high() is not None and c.expect.low() is None and c.zero_at <= c.expect.high():
            issues.append(Issue(loc + ("zero_at",), "zero_at must lie above an upper threshold"))
    if isinstance(c.partial, Tiers) and c.metric in _FRACTION_METRICS:
        for j, t in enumerate(c.partial.tiers):
            if any(b is not None and (b < 0 or b > 1) for b in (t.expect.low(), t.expect.high())):
                issues.append(Issue(loc + ("partial", "tiers", j, "expect"), "tier range is outside 0..1"))
    return issues
