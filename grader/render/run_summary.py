"""Plain-text summary of one run's verified evidence, for `grader run`.

Nearly every value in it comes from the submission (its path, printed errors, model and layer names),
so every line goes through :func:`grader.render.safe.for_terminal`.
"""

from __future__ import annotations

from grader.evidence.model import RunStatus
from grader.evidence.seeding import seed_line
from grader.render.safe import for_terminal
from grader.verify.verified import FigureStatus, VerifiedEvidence

_MARK = {FigureStatus.VERIFIED: "verified", FigureStatus.MISMATCH: "MISMATCH", FigureStatus.REPORTED: "reported only"}


def render_run(v: VerifiedEvidence) -> str:
    ev, run = v.evidence, v.evidence.run
    lines = [
        f"{ev.submission.path} ({ev.submission.kind})",
        f"  status:    {run.status.value}: {run.message}",
        f"  isolation: {run.isolation.value}" + (f" ({'; '.join(run.isolation_notes)})" if run.isolation_notes else ""),
        f"  time:      {run.duration_s:.1f} s" + (f", {run.cells_run}/{run.cells_total} cells" if run.cells_total is not None else ""),
        f"  seed:      {seed_line(run)}",
    ]
    if run.versions:
        from grader.intake.environments import environment_line

        lines.append(f"  python:    {environment_line(run.python, run.versions)}")
    if ev.datasets:
        lines.append(f"  datasets:  {', '.join(ev.datasets)}")
    lines.append(f"  models:    {len(ev.models)}")
    for m in ev.models:
        ver = v.verification(m.id)
        params = ver.params if ver and ver.params else m.params
        ptxt = f"{params.trainable:,} trainable params" if params else "not built"
        fits = ", ".join(f"{f.epochs_run}/{f.epochs_requested} epochs" for f in m.fits) or "never trained"
        opt = m.optimizer.class_name if m.optimizer else "-"
        lines.append(f"   {m.id} {m.name} [{m.kind}] {len(m.layers)} layers, {ptxt}; {opt}, {m.loss}; {fits}")
        if ver is None:
            continue
        lines.append(f"      verification: {ver.status.value}" + (f" - {ver.message}" if ver.message else ""))
        for fig in ver.figures:
            if fig.name.startswith("params.") or fig.value is None:
                continue
            lines.append(f"      {fig.split or '':>10} {fig.name:<8} {fig.value:.4f}  ({_MARK[fig.status]})"
                         + (f"  reported {fig.reported:.4f}" if fig.status is FigureStatus.MISMATCH and fig.reported is not None else ""))
    if ev.custom_training:
        lines.append(f"  hand-written training loops: {len(ev.custom_training)} (not verified: no forward pass)")
    for t in ev.custom_training:
        net = t.network.describe() if t.network else "no dense chain"
        steps = f"{t.steps:,} steps" if t.steps is not None else "steps unknown"
        opt = t.optimizer.class_name if t.optimizer else ("hand-written update" if t.update == "assign" else "-")
        lines.append(f"   {t.id} {net}; {opt}; {steps}" + (f"; weights {t.weights_file}" if t.weights_file else ""))
    if ev.figures:
        lines.append(f"  figures:   {len(ev.figures)}")
    for err in run.cell_errors[:10]:
        lines.append(f"  cell {err.cell_index}: {err.ename}: {err.evalue[:150]}")
    if run.script_error and run.status is not RunStatus.INVALID:
        lines.append(f"  line {run.script_error.lineno}: {run.script_error.ename}: {run.script_error.evalue[:150]}")
    for d in ev.diagnoses[:10]:
        cause = " (this is what failed)" if d.caused_error else ""
        lines += [f"  Keras 2 idiom at {d.where()}: {d.title}{cause}", f"      fix: {d.fix}"]
    if run.compat:
        lines.append(f"  compat:    {run.compat}: {len(ev.shims)} Keras 2 call place(s) accepted on Keras 3")
        from grader.evidence.shims import shim_line

        lines += [f"    {shim_line(s)}" for s in ev.shims[:30]]
    if ev.run_notes:
        from grader.evidence.notes import note_line

        lines.append("  code from Colab or a laptop:")
        lines += [f"    {note_line(n)}" for n in ev.run_notes[:20]]
    for w in ev.warnings[:10]:
        lines.append(f"  note: {w}")
    return "\n".join(for_terminal(line) for line in lines)
