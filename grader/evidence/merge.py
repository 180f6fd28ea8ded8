"""Several runs of one student's files, as one submission's verified evidence.

When a rubric's parts are spread over several notebooks, each file runs on its own; their
evidence is then merged so that the rubric sees one submission: model ids renumbered to stay
unique (m1, m2, ... across files, in file order), figures, markdown and printed text
concatenated, and the run's status the worst of them, with a message naming the file.
"""

from __future__ import annotations

from collections.abc import Sequence

from grader.evidence.stored_outputs import renumber
from grader.evidence.model import Evidence, RunInfo, RunStatus, SubmissionInfo
from grader.verify.verified import VerifiedEvidence

# Worst last: a merged run is as bad as its worst file.
SEVERITY = [RunStatus.COMPLETED, RunStatus.COMPLETED_WITH_ERRORS, RunStatus.EXITED, RunStatus.CRASHED,
            RunStatus.OUTPUT_LIMIT, RunStatus.MEMORY_LIMIT, RunStatus.TIMEOUT, RunStatus.KILLED, RunStatus.INVALID,
            RunStatus.NOT_RUN]
LOG_TAIL_CHARS = 8000


def _prefixed(path: str | None, prefix: str) -> str | None:
    return f"{prefix}/{path}" if path and prefix else path


def merge_verified(parts: Sequence[tuple[str, VerifiedEvidence]], *, submission: SubmissionInfo,
                   file_dirs: Sequence[str] | None = None) -> VerifiedEvidence:
    """Merge (file name, verified evidence) pairs, in order, into one.

    `file_dirs[i]` is the folder (relative to the report's figures folder) holding part i's files;
    the figure and model file paths of part i are prefixed with it. `submission` describes the whole.
    """
    if not parts:
        raise ValueError("nothing to merge")
    dirs = list(file_dirs) if file_dirs is not None else [""] * len(parts)
    if len(parts) == 1:
        name, only = parts[0]
        ev = only.evidence.model_copy(update={"submission": submission})
        if dirs[0]:
            return _merge_many([(name, only)], submission, dirs)
        return only.model_copy(update={"evidence": ev})
    return _merge_many(parts, submission, dirs)


def _merge_many(parts: Sequence[tuple[str, VerifiedEvidence]], submission: SubmissionInfo,
                dirs: list[str]) -> VerifiedEvidence:
    models, verifications, figures = [], [], []
    versions: dict[str, str] = {}
    printed, markdown, warnings, datasets, logs = [], [], [], [], []
    shims, faults = [], []
    n_model = 0
    for (name, ve), prefix in zip(parts, dirs):
        ev = ve.evidence
        ids: dict[str, str] = {}
        for m in ev.models:
            n_model += 1
            ids[m.id] = f"m{n_model}"
            fits = [f.model_copy(update={"saved_model": _prefixed(f.saved_model, prefix)}) for f in m.fits]
            evals = [e.model_copy(update={"saved_model": _prefixed(e.saved_model, prefix)}) for e in m.evaluations]
            models.append(m.model_copy(update={"id": ids[m.id], "fits": fits, "evaluations": evals}))
        for v in ve.verifications:
            fault = v.fault.model_copy(update={"subject": ids.get(v.model_id, v.model_id)}) if v.fault else None
            verifications.append(v.model_copy(update={"model_id": ids.get(v.model_id, v.model_id),
                                                      "file": _prefixed(v.file, prefix), "fault": fault}))
        for f in ev.figures:
            figures.append(f.model_copy(update={"index": len(figures), "file": _prefixed(f.file, prefix)}))
        for k, val in ve.verifier_versions.items():
            versions.setdefault(k, val)
        if ev.printed:
            printed.append(ev.printed if len(parts) == 1 else f"# {name}\n{ev.printed}")
        if ev.markdown:
            markdown.append(ev.markdown)
        warnings += [w if len(parts) == 1 else f"{name}: {w}" for w in ev.warnings]
        datasets += [d for d in ev.datasets if d not in datasets]
        # A shim's line is within its own file: name the file once there are several.
        shims += [s if len(parts) == 1 or s.file else s.model_copy(update={"file": name}) for s in ev.shims]
        # A fault names the file it came from once there are several (a model id it names is renumbered).
        faults += [f if len(parts) == 1 else f.model_copy(update={"subject": ids.get(f.subject or "", f.subject or name)})
                   for f in ve.faults]
        if ev.run.log_tail:
            logs.append(ev.run.log_tail if len(parts) == 1 else f"== {name} ==\n{ev.run.log_tail}")
    evidence = Evidence(
        schema_version=parts[0][1].evidence.schema_version, submission=submission,
        run=_merge_runs([(n, ve.evidence.run) for n, ve in parts], "\n".join(logs)[-LOG_TAIL_CHARS:]),
        models=models, figures=figures, datasets=datasets, printed="\n".join(printed),
        markdown="\n\n".join(markdown), warnings=warnings, shims=shims,
        # Cells only mean something within one notebook: several files' words are not attributed by cell.
        notebook=renumber(parts[0][1].evidence.notebook, ids) if len(parts) == 1 else None,
    )
    return VerifiedEvidence(evidence=evidence, verifications=verifications, verifier_versions=versions,
                            faults=tuple(faults))


def _merge_runs(runs: list[tuple[str, RunInfo]], log_tail: str) -> RunInfo:
    if len(runs) == 1:
        return runs[0][1].model_copy(update={"log_tail": log_tail})
    worst_name, worst = max(runs, key=lambda r: SEVERITY.index(r[1].status) if r[1].status in SEVERITY else 0)
    if worst.status in (RunStatus.COMPLETED,):
        message = f"all {len(runs)} files ran to the end"
    else:
        message = f"{worst_name}: {worst.message}"
    cells = [r.cells_total for _, r in runs if r.cells_total is not None]
    ran = [r.cells_run for _, r in runs if r.cells_run is not None]
    peaks = [r.peak_memory_mb for _, r in runs if r.peak_memory_mb is not None]
    versions: dict[str, str] = {}
    for _, r in runs:
        for k, v in r.versions.items():
            versions.setdefault(k, v)
    notes = list(dict.fromkeys(n for _, r in runs for n in r.isolation_notes))
    weakest = max((r.isolation for _, r in runs), key=lambda i: list(type(i)).index(i))
    return RunInfo(
        status=worst.status, message=message, isolation=weakest, isolation_notes=notes, limits=runs[0][1].limits,
        exit_code=worst.exit_code, signal=worst.signal, duration_s=round(sum(r.duration_s for _, r in runs), 3),
        cells_total=sum(cells) if cells else None, cells_run=sum(ran) if ran else None,
        cell_errors=[e for _, r in runs for e in r.cell_errors],
        script_error=next((r.script_error for _, r in runs if r.script_error is not None), None),
        log_tail=log_tail, output_bytes=sum(r.output_bytes for _, r in runs), python=runs[0][1].python,
        versions=versions, quick=any(r.quick for _, r in runs), peak_memory_mb=max(peaks) if peaks else None,
        compat=runs[0][1].compat,
    )


__all__ = ["merge_verified", "SEVERITY"]
