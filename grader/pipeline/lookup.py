"""The second stage: what the results store already answers for a plan, and what must run.

For each planned student, in order of cost:

- a stored, final grade for this rubric: ``cached``;
- stored evidence that still stands: graded again now (pure, milliseconds): ``regraded``. Evidence is
  found by run key (:mod:`grader.intake.runkey`), so a notebook whose code is unchanged but whose
  answers are not reuses its run: the new file's words replace the stored ones
  (:func:`grader.evidence.notebook_text.with_notebook_text`) and the answers are re-read (``reread``);
  a store written before run keys is read by content hash once, and persist copies what it finds;
- else the submission runs. Stored evidence that does not stand (it stopped at a limit the rubric has
  since raised, or the grader broke while producing it and the grade needs what broke: see
  :mod:`grader.pipeline.retry`) is replaced.

This stage only reads the store; :mod:`grader.pipeline.persist` writes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from dataclasses import dataclass

from grader.evidence.model import Limits, RunStatus
from grader.grading.result import GradeResult
from grader.evidence.notebook_text import with_notebook_text
from grader.pipeline.how import How
from grader.pipeline.plan import ClassPlan, PlanEntry
from grader.pipeline.retry import is_final, keeps_evidence
from grader.pipeline.store import Key, ResultsStore
from grader.verify.verified import VerifiedEvidence


@dataclass(frozen=True)
class Found:
    """A student graded without running anything."""

    index: int  # into plan.entries
    submission: str
    result: GradeResult  # as stored or graded: its submission path is whichever copy ran first
    how: How  # CACHED or REGRADED: nothing runs
    seconds: float  # lookup (and grading) time
    reread: bool = False  # another copy's run, with this notebook's answers and stored outputs read anew
    adopt: Key | None = None  # evidence found under this older key: persist copies it under the run key


@dataclass(frozen=True)
class ToRun:
    """One submission to run, for every student whose files run alike (one run key: the same files, or the same
    notebook code with other answers)."""

    submission: str  # the content hash of the files that run (the first entry's)
    indexes: tuple[int, ...]  # into plan.entries; submissions with one run key run once (run.py re-reads the
    # answers of those whose notebook text differs)
    replace: bool = False  # stored evidence exists and does not stand: the new run overwrites it


@dataclass(frozen=True)
class Lookup:
    found: tuple[Found, ...]
    to_run: tuple[ToRun, ...]

    def count(self, how: How) -> int:
        return sum(1 for f in self.found if f.how == how)


def look_up(plan: ClassPlan, store: ResultsStore) -> Lookup:
    """Split the plan into what the store answers and what must run. Reads the store, never writes it."""
    from grader.grading.grade import grade

    found: list[Found] = []
    answered: dict[str, Found] = {}
    runs: dict[str, list[int]] = {}  # by evidence key (run key): one run for every entry that runs alike
    ran: dict[str, str] = {}  # evidence key -> the content hash of the files that run
    replace: set[str] = set()
    for i, entry in enumerate(plan.entries):
        t0 = time.perf_counter()
        key = plan.key(entry.submission)
        group = key.evidence_key
        if ran.get(group) == entry.submission:  # identical files already seen: they share one run
            runs[group].append(i)
            continue
        if entry.submission in answered:  # ... or one answer
            found.append(dataclasses.replace(answered[entry.submission], index=i))
            continue
        stored = store.grade(key, plan.rubric.sha256)
        if stored is not None and is_final(stored):
            adopt = key.legacy() if key.run and not store.has_evidence(key) and store.has_evidence(key.legacy()) \
                else None
            found.append(Found(i, entry.submission, stored, How.CACHED, time.perf_counter() - t0, adopt=adopt))
            answered[entry.submission] = found[-1]
            continue
        evidence, adopt = store.evidence(key), None
        if evidence is None and key.run:  # a store written before run keys: same files, same content hash
            evidence = store.evidence(key.legacy())
            adopt = key.legacy() if evidence is not None else None
        if evidence is not None and not outgrown(evidence, plan.limits):
            evidence, reread = answers_of(entry, evidence)
            result = grade(evidence, plan.rubric, quick=plan.quick)
            if keeps_evidence(result):
                found.append(Found(i, entry.submission, result, How.REGRADED, time.perf_counter() - t0, reread, adopt))
                answered[entry.submission] = found[-1]
                continue
        if group in runs:  # the same run as another copy's, with other answers: graded from that run (run.py)
            runs[group].append(i)
            continue
        if evidence is not None:
            replace.add(group)
        runs[group], ran[group] = [i], entry.submission
    return Lookup(tuple(found), tuple(ToRun(ran[g], tuple(ix), g in replace) for g, ix in runs.items()))


def answers_of(entry: PlanEntry, evidence: VerifiedEvidence) -> tuple[VerifiedEvidence, bool]:
    """The stored run's evidence with this entry's own notebook text, and whether it differed: a run found by
    run key may come from a copy whose markdown or stored outputs were another's."""
    if not entry.run or entry.run == entry.submission or len(entry.student.entries) != 1:
        return evidence, False  # keyed by content: the run is of these very files
    try:
        raw = (entry.student.root / entry.student.entries[0]).read_bytes()
    except OSError:
        return evidence, False  # unreadable now: the run key read it, so this is a race; the grade says so later
    if hashlib.sha256(raw).hexdigest() == evidence.evidence.submission.sha256:
        return evidence, False
    return with_notebook_text(evidence, raw), True


def outgrown(verified: VerifiedEvidence, limits: Limits) -> bool:
    """True when a stored run stopped at a limit that is now higher (evidence is not keyed by limits)."""
    run = verified.evidence.run
    if run.status == RunStatus.TIMEOUT:
        return limits.more_time_than(run.limits)
    if run.status == RunStatus.MEMORY_LIMIT:
        return limits.memory_mb > run.limits.memory_mb
    if run.status == RunStatus.OUTPUT_LIMIT:
        return limits.output_mb > run.limits.output_mb
    return False


__all__ = ["Found", "Lookup", "ToRun", "answers_of", "look_up", "outgrown"]
