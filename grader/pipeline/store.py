"""The results store: every run's verified evidence and every grade, in one SQLite file.

Keys:

- evidence by (run key, environment, quick): running a student's code again would give the same
  evidence, so it is never run twice. The run key (grader.intake.runkey) covers what can change the
  run: a notebook's code cells and the other files, not its markdown or stored outputs, so an edit of
  the answers alone reuses the run. Stores written before run keys hold evidence under the content
  hash: a lookup that misses by run key reads it there once (grader.pipeline.lookup) and it is copied
  under the run key (grader.pipeline.persist);
- a grade by (submission content hash, environment, quick) plus the rubric's sha256: every byte
  counts for a grade (answers are graded), and a changed rubric re-grades from the stored evidence
  without running anything.

The environment is the grader's version, Python's, TensorFlow's and Keras's, the datasets
served (names and sizes), the compatibility mode and the seed: changing any of them re-runs. Each result is written in one
transaction (WAL journal), so a run killed at any point (Ctrl-C, SIGKILL, a power cut) leaves
every finished result in place and no half-written one; the next run resumes from there. The
``runs`` table logs one row per stored run (how many times student code actually ran).

The store keeps what it is given; what is given is decided by :mod:`grader.pipeline.retry` (a grade
the grader could not complete is never stored as final) through :mod:`grader.pipeline.persist`, and
read back through :mod:`grader.pipeline.lookup`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.grading.result import GradeResult
from grader.review.model import HistoryEntry, Override
from grader.verify.verified import VerifiedEvidence

SCHEMA = """
CREATE TABLE IF NOT EXISTS environments (
    env TEXT PRIMARY KEY, description TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS evidence (
    submission TEXT NOT NULL, env TEXT NOT NULL, quick INTEGER NOT NULL,
    name TEXT NOT NULL, verified TEXT NOT NULL, seconds REAL NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (submission, env, quick)
);
CREATE TABLE IF NOT EXISTS grades (
    submission TEXT NOT NULL, env TEXT NOT NULL, quick INTEGER NOT NULL, rubric TEXT NOT NULL,
    result TEXT NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (submission, env, quick, rubric)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, submission TEXT NOT NULL, env TEXT NOT NULL, quick INTEGER NOT NULL,
    name TEXT NOT NULL, seconds REAL NOT NULL, worker TEXT NOT NULL DEFAULT '', finished REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS current (
    student TEXT PRIMARY KEY, submission TEXT NOT NULL, env TEXT NOT NULL, quick INTEGER NOT NULL,
    rubric TEXT NOT NULL, definitions TEXT NOT NULL, result TEXT NOT NULL, updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS overrides (
    student TEXT NOT NULL, criterion TEXT NOT NULL, override TEXT NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (student, criterion)
);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT, student TEXT NOT NULL, time REAL NOT NULL, reason TEXT NOT NULL,
    entry TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_student ON history (student, id);
"""
# 2: `current` (each student's latest grade as the grader gave it, with the rubric's criterion definitions),
# `overrides` and `history` (grader.review). Tables are only ever added, so a version-1 store opens as is.
SCHEMA_VERSION = 2


def _dist_version(*names: str) -> str:
    from importlib import metadata

    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return ""


def environment(datasets: Mapping[str, Path] | None = None, *, compat: str | None = None,
                course: Any = None, adapt: str | None = None, seed: int | None = None) -> dict[str, str]:
    """What, besides the submission, decides its evidence. Read from package metadata: no TensorFlow import.

    A compatibility mode (``compat='keras2'``) runs the same file differently, so it is part of the
    environment; without one the environment (and every stored key) is what it always was. `course`, a
    grader.intake.environments.CourseEnvironment, puts the course's interpreter (path, name, runtime) and its
    Python, TensorFlow, Keras and tf_keras versions in place of the grader's: another interpreter is
    another result."""
    env = {
        "grader": _dist_version("grader"),
        "python": sys.version.split()[0],
        "tensorflow": _dist_version("tensorflow-cpu", "tensorflow", "tensorflow-gpu", "tf-nightly"),
        "keras": _dist_version("keras"),
    }
    if compat:
        env["compat"] = compat
    if seed is not None:  # a seeded run is another run; an unseeded one keeps the keys stored before seeding
        env["seed"] = str(seed)
    if adapt == "none":  # adaptation off runs the same file differently; on (the default) keeps old keys
        env["adapt"] = adapt
    if course is not None:
        env.update(course.describe())
    for name, path in sorted((datasets or {}).items()):
        try:
            env[f"data:{name}"] = str(Path(path).stat().st_size)
        except OSError:
            env[f"data:{name}"] = "missing"
    # Pretrained weights the runs are served (grader.weights): a store filled since is another result, so a
    # run that failed for a missing file runs again. An empty store keeps the keys stored before it existed.
    from grader.errors import ConfigError
    from grader.weights.store import WeightsStore

    try:
        held = WeightsStore.resolve().files()
    except ConfigError:
        held = []
    for f in held:
        env[f"weights:{f.name}"] = str(f.size)
    return env


def environment_key(env: Mapping[str, str]) -> str:
    return hashlib.sha256(json.dumps(dict(env), sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Key:
    """What identifies a run's evidence."""

    submission: str  # content hash of all the submission's files: keys grades
    env: str  # environment_key(...)
    quick: bool = False
    run: str = ""  # run key (grader.intake.runkey): keys evidence; "" for the content hash

    @property
    def evidence_key(self) -> str:
        return self.run or self.submission

    def legacy(self) -> Key:
        """The key a store written before run keys holds this submission's evidence under."""
        return Key(self.submission, self.env, self.quick)


class ResultsStore:
    """One SQLite file; safe to open from several processes (each write is one short transaction)."""

    def __init__(self, path: str | Path):
        self.path = Path(path) if str(path) != ":memory:" else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path or ":memory:"), timeout=60.0, isolation_level=None,
                                   check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a crash of the process loses nothing committed
        self._db.execute("PRAGMA foreign_keys=ON")
        with self._tx():
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    # -- plumbing

    class _Tx:
        def __init__(self, db: sqlite3.Connection):
            self.db = db

        def __enter__(self) -> sqlite3.Connection:
            self.db.execute("BEGIN IMMEDIATE")
            return self.db

        def __exit__(self, exc_type: object, *rest: object) -> None:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")

    def _tx(self) -> ResultsStore._Tx:
        return ResultsStore._Tx(self._db)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads

    def register_environment(self, env: Mapping[str, str]) -> str:
        key = environment_key(env)
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO environments VALUES (?, ?)", (key, json.dumps(dict(env), sort_keys=True)))
        return key

    def evidence(self, key: Key) -> VerifiedEvidence | None:
        row = self._db.execute("SELECT verified FROM evidence WHERE submission=? AND env=? AND quick=?",
                               (key.evidence_key, key.env, int(key.quick))).fetchone()
        return VerifiedEvidence.model_validate_json(row[0]) if row else None

    def has_evidence(self, key: Key) -> bool:
        return self._db.execute("SELECT 1 FROM evidence WHERE submission=? AND env=? AND quick=?",
                                (key.evidence_key, key.env, int(key.quick))).fetchone() is not None

    def grade(self, key: Key, rubric_sha: str) -> GradeResult | None:
        row = self._db.execute("SELECT result FROM grades WHERE submission=? AND env=? AND quick=? AND rubric=?",
                               (key.submission, key.env, int(key.quick), rubric_sha)).fetchone()
        return GradeResult.model_validate_json(row[0]) if row else None

    def run_count(self, submission: str | None = None) -> int:
        if submission is None:
            return self._db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        return self._db.execute("SELECT COUNT(*) FROM runs WHERE submission=?", (submission,)).fetchone()[0]

    def runs(self) -> list[tuple[str, str, float]]:
        """(submission hash, name, seconds) for every stored run, oldest first."""
        return list(self._db.execute("SELECT submission, name, seconds FROM runs ORDER BY id"))

    def counts(self) -> dict[str, int]:
        return {t: self._db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("evidence", "grades", "runs")}

    # -- writes (each one transaction)

    def put_run(self, key: Key, name: str, verified: VerifiedEvidence, seconds: float,
                rubric_sha: str | None = None, result: GradeResult | None = None, worker: str = "",
                replace: bool = False) -> bool:
        """Store a run's evidence (and its grade) atomically. False when the evidence was already there
        (another process stored it first): the run is then not logged twice. `replace` overwrites
        stored evidence on purpose (a run re-done under larger limits); grades made from the old
        evidence are dropped with it."""
        now = time.time()
        with self._tx() as db:
            if replace:
                db.execute("DELETE FROM evidence WHERE submission=? AND env=? AND quick=?",
                           (key.evidence_key, key.env, int(key.quick)))
                db.execute("DELETE FROM grades WHERE submission=? AND env=? AND quick=?",
                           (key.submission, key.env, int(key.quick)))
            cur = db.execute("INSERT OR IGNORE INTO evidence VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (key.evidence_key, key.env, int(key.quick), name, verified.model_dump_json(), seconds,
                              now))
            fresh = cur.rowcount == 1
            if fresh:
                db.execute("INSERT INTO runs (submission, env, quick, name, seconds, worker, finished) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (key.submission, key.env, int(key.quick), name, seconds, worker, now))
            if result is not None and rubric_sha is not None:
                db.execute("INSERT OR REPLACE INTO grades VALUES (?, ?, ?, ?, ?, ?)",
                           (key.submission, key.env, int(key.quick), rubric_sha, result.model_dump_json(), now))
        return fresh

    def adopt_evidence(self, old: Key, new: Key) -> bool:
        """Copy the evidence stored under `old`'s evidence key to `new`'s (a store written before run keys:
        its runs are found by run key from then on). Not a run: nothing is logged. True when copied now."""
        if old.evidence_key == new.evidence_key:
            return False
        with self._tx() as db:
            cur = db.execute("INSERT OR IGNORE INTO evidence SELECT ?, env, quick, name, verified, seconds, created "
                             "FROM evidence WHERE submission=? AND env=? AND quick=?",
                             (new.evidence_key, old.evidence_key, old.env, int(old.quick)))
            return cur.rowcount == 1

    def put_grade(self, key: Key, rubric_sha: str, result: GradeResult) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO grades VALUES (?, ?, ?, ?, ?, ?)",
                       (key.submission, key.env, int(key.quick), rubric_sha, result.model_dump_json(), time.time()))

    # -- TA review (grader.review): each student's current grade, overrides, and the history of every grade

    def put_current(self, student: str, key: Key, rubric_sha: str, definitions: Mapping[str, str],
                    result: GradeResult, history: HistoryEntry | None = None) -> None:
        """Record `result` (as the grader gave it, overrides not applied) as `student`'s current grade, and the
        history entry its change makes, in one transaction: a kill leaves both or neither."""
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO current VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (student, key.submission, key.env, int(key.quick), rubric_sha,
                        json.dumps(dict(definitions), sort_keys=True), result.model_dump_json(), time.time()))
            if history is not None:
                self._put_history(db, history)

    def current(self, student: str) -> tuple[GradeResult, dict[str, str]] | None:
        """`student`'s current grade (overrides not applied) and its rubric's criterion definitions."""
        row = self._db.execute("SELECT result, definitions FROM current WHERE student=?", (student,)).fetchone()
        return (GradeResult.model_validate_json(row[0]), json.loads(row[1])) if row else None

    def current_key(self, student: str) -> tuple[Key, str] | None:
        """The key and rubric sha256 of `student`'s current grade."""
        row = self._db.execute("SELECT submission, env, quick, rubric FROM current WHERE student=?",
                               (student,)).fetchone()
        return (Key(row[0], row[1], bool(row[2])), row[3]) if row else None

    def students(self) -> list[str]:
        """Every student with a current grade, by name."""
        return [r[0] for r in self._db.execute("SELECT student FROM current ORDER BY student")]

    def put_override(self, override: Override, history: HistoryEntry | None = None) -> None:
        """Store `override` (replacing the student's earlier one for that criterion) and the history entry it
        makes, in one transaction."""
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO overrides VALUES (?, ?, ?, ?)",
                       (override.student, override.criterion, override.model_dump_json(), override.created))
            if history is not None:
                self._put_history(db, history)

    def overrides(self, student: str | None = None) -> list[Override]:
        """The stored overrides (of `student`, or everyone's), oldest first."""
        rows = (self._db.execute("SELECT override FROM overrides ORDER BY created") if student is None else
                self._db.execute("SELECT override FROM overrides WHERE student=? ORDER BY created", (student,)))
        return [Override.model_validate_json(r[0]) for r in rows]

    def history(self, student: str) -> list[HistoryEntry]:
        """Every change of `student`'s grade, oldest first."""
        return [HistoryEntry.model_validate_json(r[0]) for r in
                self._db.execute("SELECT entry FROM history WHERE student=? ORDER BY id", (student,))]

    def put_history(self, entry: HistoryEntry) -> None:
        with self._tx() as db:
            self._put_history(db, entry)

    @staticmethod
    def _put_history(db: sqlite3.Connection, entry: HistoryEntry) -> None:
        db.execute("INSERT INTO history (student, time, reason, entry) VALUES (?, ?, ?, ?)",
                   (entry.student, entry.time, entry.reason.value, entry.model_dump_json()))


__all__ = ["Key", "ResultsStore", "environment", "environment_key"]
