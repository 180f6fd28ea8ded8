"""How a self-check shows itself: a small self-contained HTML fragment (Jupyter, Colab) or text.

Both say first that this is a self-check of the student's own kernel and not a verified grade, then list
the criteria decided here, then those only the full grader decides. They show the student's copy of the
result (:func:`grader.render.audience.for_audience` was applied by the self-check).
"""

from __future__ import annotations

from grader.checks.base import Outcome
from grader.kernelcheck.result import Deferred, FullGraderOnly, SelfCheck
from grader.render.safe import for_html as h
from grader.render.safe import for_terminal as t
from grader.render.safe import pts
from grader.render.terminal import render_summary

NOT_A_GRADE = ("Self-check of your own kernel, not a verified grade: nothing was run again or re-measured, "
               "and the full grader (grader check) decides every criterion on its own run of your notebook.")
_SYMBOLS = {Outcome.PASSED: ("✓", "#1a7f37"), Outcome.FAILED: ("✗", "#cf222e"), Outcome.ERROR: ("!", "#9a6700"),
            Outcome.SKIPPED: ("–", "#6e7781")}
_SUMMARY_HEAD = 3  # render_summary's title, submission and run lines: the header below says what this is


def _seen(check: SelfCheck) -> str:
    figures = (f"{check.figures} figure(s)" + ("" if check.figures_recorded else " still open (figures Jupyter already "
               "closed are not seen without `%load_ext grader` at the top)"))
    return f"found {check.models} Keras model(s), {check.histories} fit history(ies), {figures}; took {check.seconds:.2f} s"


def _score(check: SelfCheck) -> str:
    r = check.result
    return (f"{pts(r.score)}/{pts(r.max_score)} points on the {sum(1 for c in r.criteria if c.outcome != Outcome.SKIPPED)} "
            f"criteria checked here; {len(check.deferred)} left to the full grader ({pts(r.skipped_points)} points)")


def text(check: SelfCheck) -> str:
    r = check.result
    lines = [t(f"{r.rubric.title} ({r.rubric.id} {r.rubric.version}): SELF-CHECK"), t(NOT_A_GRADE), t(_seen(check))]
    lines += render_summary(r, ascii_only=False).splitlines()[_SUMMARY_HEAD:]
    if check.deferred:
        lines += ["", "Decided only by the full grader"]
        for reason in dict.fromkeys(d.reason for d in check.deferred):
            n = sum(1 for d in check.deferred if d.reason is reason)
            lines.append(t(f"  - {n} criterion(s): {reason.words}"))
    lines += ["", t(_score(check))]
    return "\n".join(lines)


def _row(c) -> str:  # noqa: ANN001 - a CriterionResult
    symbol, colour = _SYMBOLS[c.outcome]
    score = "hidden" if c.concealed else ("–" if c.outcome == Outcome.SKIPPED else f"{pts(c.points)}/{pts(c.max_points)}")
    note = "" if c.concealed or c.outcome == Outcome.PASSED else h(c.message)
    if c.feedback and c.outcome == Outcome.FAILED:
        note += f"<br><i>{h(c.feedback)}</i>"
    return (f'<tr data-criterion="{h(c.id)}" data-outcome="{c.outcome.value}"><td style="color:{colour}">{symbol}</td>'
            f"<td>{h(c.title)}</td><td style=\"text-align:right\">{score}</td><td>{note}</td></tr>")


def _shown(d: Deferred) -> str:
    """For a metric, the figure the kernel's own history shows, marked as such (it decides nothing)."""
    if d.reason is not FullGraderOnly.VERIFIED_METRIC or not d.kernel_shows:
        return ""
    return f'<br><small style="color:#57606a">your kernel\'s own history: {h(d.kernel_shows)}</small>'


def html(check: SelfCheck) -> str:
    r = check.result
    deferred_ids = {d.criterion_id for d in check.deferred}
    rows = "".join(_row(c) for c in r.criteria if c.id not in deferred_ids)
    later = "".join(f'<li data-criterion="{h(d.criterion_id)}">{h(d.title)}: {h(d.reason.words)}{_shown(d)}</li>'
                    for d in check.deferred)
    return (
        '<div class="grader-selfcheck" style="font-family:sans-serif;font-size:13px;max-width:60em">'
        f"<p><b>{h(r.rubric.title)}</b> ({h(r.rubric.id)} {h(r.rubric.version)}): <b>self-check</b></p>"
        f'<p style="background:#fff8c5;padding:4px 8px;border-left:3px solid #d4a72c">{h(NOT_A_GRADE)}</p>'
        f'<p style="color:#57606a">{h(_seen(check))}</p>'
        '<table style="border-collapse:collapse"><thead><tr><th></th><th style="text-align:left">criterion</th>'
        f"<th>points</th><th style=\"text-align:left\">what the self-check saw</th></tr></thead><tbody>{rows}</tbody></table>"
        + (f"<p><b>Decided only by the full grader</b></p><ul>{later}</ul>" if later else "")
        + f'<p class="grader-selfcheck-score"><b>{h(_score(check))}</b></p></div>')
