"""A plain or coloured terminal summary of a grade, grouped by part: what passed, what failed, what to change.

It shows what the result holds: pass the copy for the reader's audience
(:func:`grader.render.audience.for_audience`); a concealed criterion shows only its outcome. Every piece
of text goes through :func:`grader.render.safe.for_terminal` before colour is added, so nothing a
submission named or printed can move the cursor, clear the screen or recolour the terminal.
"""

from __future__ import annotations

from typing import Any, Callable

import click

from grader.checks.noise import review_text
from grader.checks.base import Outcome
from grader.grading.result import CriterionResult, GradeResult, GradeStatus
from grader.render.safe import for_terminal as t

_SYMBOLS = {Outcome.PASSED: ("✓", "ok"), Outcome.FAILED: ("✗", "XX"), Outcome.ERROR: ("!", "!!"),
            Outcome.SKIPPED: ("-", "--")}
_COLORS = {Outcome.PASSED: "green", Outcome.FAILED: "red", Outcome.ERROR: "yellow", Outcome.SKIPPED: "bright_black"}
_STATUS_COLORS = {GradeStatus.PASSED: "green", GradeStatus.FAILED: "red", GradeStatus.ERROR: "yellow"}


def _pts(x: float) -> str:
    return f"{x:g}"


def render_summary(result: GradeResult, *, color: bool = False, ascii_only: bool = False,
                   verbose: bool = False, width: int = 78) -> str:
    """The summary of ``result`` as it is given (see the module docstring about audiences)."""
    def style(text: str, **kw: Any) -> str:
        text = t(text)
        return click.style(text, **kw) if color else text

    r = result
    lines = [style(f"{r.rubric.title} ({r.rubric.id} {r.rubric.version})", bold=True),
             t(f"submission: {r.submission.path} ({r.submission.kind})"),
             t(f"run: {r.run.status.value} - {r.run.message} [isolation: {r.run.isolation.value}]")]
    lines += [t(f"  {c.sentence()}") for c in r.evidence.evidence.cascades]  # failures told where they start
    used = r.evidence.evidence.run
    if used.versions:
        from grader.intake.environments import environment_line

        lines.append(style(f"environment: {environment_line(used.python, used.versions)}", fg="bright_black"))
    if r.quick:
        lines.append(style(f"quick mode: {r.outcome_counts.get('skipped', 0)} criteria not checked "
                           f"({_pts(r.skipped_points)} points)", fg="bright_black"))
    for part in r.parts:
        lines += ["", style(f"{part.title}  [{_pts(part.score)}/{_pts(part.max_score)}]", bold=True)]
        for c in (c for c in r.criteria if c.part == part.id):
            lines += _criterion(c, style, ascii_only, verbose, width)
    lines += _slots(r, verbose)
    lines += _loops(r, style)
    diagnoses = r.evidence.evidence.diagnoses
    if diagnoses:
        lines += ["", style("Keras 2 code that Keras 3 rejects", bold=True)]
        for d in diagnoses:
            cause = style(" (this is what failed)", fg="red") if d.caused_error else ""
            lines += [t(f"  {d.where()}: {d.title}") + cause, t(f"    fix: {d.fix}")]
    shims = r.evidence.evidence.shims
    if shims:
        from grader.evidence.shims import shim_line

        mode = r.evidence.evidence.run.compat
        lines += ["", style(f"Keras 2 calls accepted by compatibility mode ({mode})", bold=True)]
        lines += [t(f"  {shim_line(s)}") for s in shims[:30]]
        if len(shims) > 30:
            lines.append(f"  ... and {len(shims) - 30} more (see the report)")
    run_notes = r.evidence.evidence.run_notes
    if run_notes:
        from grader.evidence.notes import note_line

        lines += ["", style("Code from Colab or a laptop (how the grader handled it)", bold=True)]
        lines += [t(f"  {note_line(n)}") for n in run_notes[:20]]
    run_flags = [f for f in r.review if f.criterion_id is None]  # a criterion's own flags sit under it
    if run_flags:
        lines += ["", style("Flagged for review (the grade stands)", bold=True)]
        lines += [style(t(f"  [{f.reason.value}] {f.detail}"), fg="yellow") for f in run_flags]
    counts = ", ".join(f"{v} {k}" for k, v in r.outcome_counts.items() if v)
    lines += ["", style(f"Score {_pts(r.score)}/{_pts(r.max_score)} ({r.percent:.1f}%) - {r.status.value}"
                        f" ({counts})", bold=True, fg=_STATUS_COLORS[r.status])]
    return "\n".join(lines)


def _criterion(c: CriterionResult, style: Callable[..., str], ascii_only: bool, verbose: bool, width: int) -> list[str]:
    symbol = _SYMBOLS[c.outcome][1 if ascii_only else 0]
    title = t(c.title) + (" [bonus]" if c.bonus else "")
    score = "hidden" if c.concealed else (f"{_pts(c.points)}/{_pts(c.max_points)}" if c.outcome != Outcome.SKIPPED
                                          else "skipped")
    head = f"  {style(symbol, fg=_COLORS[c.outcome])} {title}"
    pad = max(1, width - len(f"  {symbol} {title}") - len(score))
    out = [head + " " * pad + score]
    if c.concealed:
        return out
    if c.outcome != Outcome.PASSED or verbose or c.review_reasons:  # a flagged pass says why it is flagged
        out.append(t(f"      {c.message}"))
        if c.figure_status is not None and c.figure_status.value != "verified":
            out.append(style(f"      figure {c.figure_status.value}", fg="yellow"))
        if c.review_reasons:
            out.append(style(t(f"      flagged for review: {review_text(c.review_reasons, c.borderline)}"), fg="yellow"))
    if c.feedback and c.outcome == Outcome.FAILED:
        out.append(style(f"      -> {c.feedback}", fg="cyan"))
    return out


def _slots(r: GradeResult, verbose: bool) -> list[str]:
    if not r.slots:
        return []
    lines = ["", "Models and the roles they filled:"]
    for s in r.slots:
        lines.append(t(f"  {s.slot}: {s.message}"))
    for m in r.unassigned:
        lines.append(t(f"  {m.model_id} '{m.model_name}' filled no role"
                       + ("" if m.trained else " (never finished training)")))
        if verbose:
            lines += [t(f"      {slot}: {'; '.join(reasons)}") for slot, reasons in m.reasons.items()]
    return lines


def _loops(r: GradeResult, style: Callable[..., str]) -> list[str]:
    """Hand-written training loops: what was recorded, and which criteria could not be judged."""
    from grader.render.loops import loop_judgements

    lines: list[str] = []
    for j in loop_judgements(r):
        lines += ["", style(f"Hand-written training loop {j.training.id}" + (f" (fills {', '.join(j.slots)})" if j.slots else ""),
                            bold=True)]
        lines += [t(f"  {k.lower()}: {v}") for k, v in j.facts]
        if j.judged:
            lines.append(t(f"  judged for it: {', '.join(c.id for c in j.judged)}"))
        for c in j.not_judged:
            lines.append(style(f"  not judged: {c.id}: {c.message}", fg="yellow"))
    return lines
