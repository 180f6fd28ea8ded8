"""The class at a glance on the terminal, after ``grader grade``: counts, mean score, who needs a look (the
review queue) and why the runs that did not run cleanly failed (grouped by root cause)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from grader.grading.result import GradeStatus
from grader.grading.review import group_root_causes
from grader.pipeline.how import How
from grader.render.safe import for_terminal

if TYPE_CHECKING:
    from grader.pipeline.classgrade import ClassResult


def class_summary(graded: ClassResult) -> str:
    """Plain text; student names and run messages are the students' own, so they pass through for_terminal."""
    results = graded.results
    lines = [f"graded {len(results)} submission(s) in {graded.wall_s:.1f} s: {graded.count(How.RAN)} run, "
             f"{graded.count(How.REGRADED)} re-graded from stored runs, {graded.count(How.CACHED)} unchanged"]
    if results:
        pct = [r.result.percent for r in results]
        by = {s: sum(1 for r in results if r.result.status == s) for s in GradeStatus}
        lines.append(f"passed {by[GradeStatus.PASSED]}, failed {by[GradeStatus.FAILED]}, "
                     f"not graded {by[GradeStatus.ERROR]}; mean {sum(pct) / len(pct):.1f}%, "
                     f"lowest {min(pct):.1f}%, highest {max(pct):.1f}%")
    names = [for_terminal(r.student.name) for r in results]
    width = max(map(len, names), default=0)
    for name, r in zip(names, results):
        res = r.result
        note = "" if res.run.status.value == "completed" else \
            f"  [{res.run.status.value}: {for_terminal(res.run.message)[:90]}]"
        lines.append(f"  {name:<{width}}  {res.score:>6g}/{res.max_score:<6g} {res.percent:5.1f}%  "
                     f"{res.status.value:<6}{note}")
    flagged = [(name, r.result) for name, r in zip(names, results) if r.result.review]
    if flagged:
        lines.append(f"review queue: {len(flagged)} submission(s) ask for a look: " + ", ".join(
            f"{name} ({', '.join(dict.fromkeys(f.reason.value for f in res.review))})" for name, res in flagged))
    groups = group_root_causes([r.result for r in results], names)
    if sum(g.count for g in groups) > 1:  # one failed run's message is already on its own line
        lines.append("did not run cleanly, by root cause:")
        lines += [f"  {g.count} x {for_terminal(g.example)[:120]}" + (" [environment]" if g.environment else "")
                  for g in groups]
    if graded.ungraded:
        kept = len(graded.ungraded) - len(graded.retried)
        lines.append(f"the grader could not grade {len(graded.ungraded)} submission(s); " + (
            "they are retried on the next run" if not kept else f"{len(graded.retried)} are retried on the next run, "
            f"{kept} kept as they are (what broke is in the submission's own files)"))
    if graded.store:
        lines.append(f"results store: {graded.store}")
    return "\n".join(lines)


__all__ = ["class_summary"]
