"""A human summary of a rubric: parts, slots, criteria and points (``grader rubric show``)."""

from __future__ import annotations

from grader.rubric.criteria import QuestionCriterion, describe_partial
from grader.rubric.model import Rubric, Slot


def _pts(x: float) -> str:
    return f"{x:g}"


def describe_rubric(rubric: Rubric) -> str:
    from grader.checks.constraints import describe
    from grader.grading.titles import default_title

    lim = rubric.limits
    lines = [f"{rubric.title} ({rubric.id} {rubric.version}) - {_pts(rubric.max_score)} points"]
    if rubric.summary:
        lines.append("  " + " ".join(rubric.summary.split()))
    lines.append(f"  datasets: {', '.join(rubric.datasets) or 'none'}; limits: "
                 + ", ".join(f"{k} {v:g}" for k, v in lim.model_dump(exclude_none=True, exclude={"compat", "seed"}).items())
                 + f"; continue on error: {'yes' if rubric.continue_on_error else 'no'}"
                 + f"; unverified figures earn {rubric.reported_credit:g} of their points")
    if lim.seed is not None:
        lines.append("  seed: none (runs unseeded)" if lim.seed == "none" else f"  seed: {lim.seed}")
    if lim.compat:
        lines.append(f"  compatibility mode: {lim.compat} (Keras 2 calls accepted on Keras 3, each one reported)")
    if rubric.environment is not None:
        env = rubric.environment
        python = env.python or "the grader's own"
        lines.append(f"  environment: python {python}, runtime {env.runtime or 'keras'}")
    groups = [(p.id, p.title) for p in rubric.parts] + [(None, "Other")]
    items = list(rubric.criteria())
    for pid, title in groups:
        mine = [(item, slot) for item, slot in items if rubric.part_of(item, slot) == pid]
        if not mine:
            continue
        regular = sum(i.points for i, s in mine if not rubric.is_bonus(i, s))
        extra = sum(i.points for i, s in mine if rubric.is_bonus(i, s))
        lines += ["", f"{title} [{_pts(regular)} points" + (f", {_pts(extra)} bonus]" if extra else "]")]
        for item, slot in mine:
            flags = [f for f, on in (("hidden", item.hidden), ("bonus", rubric.is_bonus(item, slot)),
                                     (describe_partial(item.partial), item.partial != "none")) if on]
            suffix = f"  ({'; '.join(flags)})" if flags else ""
            if isinstance(item, Slot):
                lines.append(f"  slot {item.id} [{_pts(item.points)}]: {item.title}{suffix}")
                lines.append(f"      filled by the model that best meets: {describe(item.match)}")
                continue
            indent = "    " if slot else "  "
            title = item.title or default_title(item)
            lines.append(f"{indent}{item.id} [{_pts(item.points)}]: {title}{suffix}")
            if isinstance(item, QuestionCriterion):
                lines.append(f"{indent}    answer: {item.answer} of slot {item.slot}"
                             + (f" near {', '.join(item.near)}" if item.near else ""))
    return "\n".join(lines)
