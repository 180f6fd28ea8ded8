"""Find the students in a class folder: who handed in what, before anything runs.

What a class folder may hold (mixed freely):

- one file per student (``alice.ipynb``, ``bob.py``);
- one folder per student (``alice/part1.ipynb``, ``alice/part2.ipynb``, ``alice/data.csv``): every
  file in it travels with the run, and every notebook (else every script) in it is graded together;
- LMS exports, as a ``.zip`` or already unpacked:
  Canvas (``lastfirst[_LATE]_studentid_submissionid_filename``),
  Moodle (``Full Name_12345_assignsubmission_file_/...``),
  Gradescope (``submission_metadata.yml`` + ``submission_NNN/``);
- a student's own ``.zip``.

Archives are unpacked with hard limits (no paths out of the target, no links, capped size, ratio and
file count). A refused or unreadable archive becomes a :class:`Student` with a ``problem``: one
student's bad upload never stops the class.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import stat
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

RUNNABLE = (".ipynb", ".py")
SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints", "__MACOSX", ".git"}

CANVAS = re.compile(r"^(?P<name>[A-Za-z0-9-]+?)(?:_late)?_(?P<id>\d+)_(?P<sub>\d+)_(?P<file>.+)$", re.IGNORECASE)
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<rest>.*)$")
GRADESCOPE_META = "submission_metadata.yml"


@dataclass(frozen=True)
class ZipLimits:
    """Caps for unpacking an archive; past any of them the archive is refused, not truncated."""

    max_total_bytes: int = 1 * 2**30
    max_files: int = 2000
    max_ratio: float = 200.0  # uncompressed / compressed, per file (for files over ratio_floor_bytes)
    ratio_floor_bytes: int = 1 * 2**20
    max_depth: int = 2  # an export holding a student's zip is fine; deeper nesting is refused


class ArchiveRefused(Exception):
    """An archive that is corrupt, unsafe, or too big to unpack."""


@dataclass(frozen=True)
class Student:
    """One student's submission: the files that run together and the name they go by."""

    name: str
    root: Path  # folder whose files travel with every run (or the single file's folder)
    entries: tuple[str, ...]  # notebooks/scripts to run, relative to root, in order
    files: tuple[str, ...] = ()  # every file of the submission relative to root (the content hash covers them)
    student_id: str | None = None
    source: str = "file"  # file, folder, zip, canvas, moodle, gradescope
    label: str = ""  # where it came from, relative to the class folder
    problem: str | None = None  # why it cannot run (a refused archive, no notebook found, ...)
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def folder_source(self) -> bool:
        """True when the whole root travels with each run (not just the entry file)."""
        return self.source != "file"

    @property
    def kind(self) -> str:
        """'notebook' when any entry is a notebook (the run needs a kernel), else 'script'."""
        return "notebook" if any(e.lower().endswith(".ipynb") for e in self.entries) else "script"

    def size(self) -> int:
        """Bytes of every file of the submission (unreadable files count nothing)."""
        total = 0
        for rel in self.files or self.entries:
            try:
                total += (self.root / rel).stat().st_size
            except OSError:
                pass
        return total

    def content_hash(self) -> str:
        """sha256 over every file's relative path and bytes: equal content, equal hash, wherever it lies."""
        h = hashlib.sha256()
        if self.problem is not None:
            h.update(b"problem\0" + self.problem.encode() + b"\0" + self.label.encode())
        for rel in sorted(self.files or self.entries):
            path = self.root / rel
            h.update(rel.encode() + b"\0")
            try:
                with path.open("rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        h.update(chunk)
            except OSError as exc:
                h.update(f"unreadable:{exc.__class__.__name__}".encode())
            h.update(b"\0")
        return h.hexdigest()

    def run_key(self) -> str:
        """What the results store files this submission's run under: the content hash without what cannot
        change the run (a single notebook's markdown and stored outputs; see grader.intake.runkey)."""
        from grader.intake.runkey import run_key

        content = self.content_hash()
        return content if self.problem is not None else run_key(self.root, self.files, self.entries, content)


# ----------------------------------------------------------------------------------------- archives


def _member_path(info: zipfile.ZipInfo) -> PurePosixPath | None:
    """The member's safe relative path, or None for a directory entry; raises on an escape."""
    raw = info.filename.replace("\\", "/")
    if raw.startswith("/") or re.match(r"^[A-Za-z]:", raw):
        raise ArchiveRefused(f"refused: entry '{info.filename}' has an absolute path")
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise ArchiveRefused(f"refused: entry '{info.filename}' points outside the archive (..)")
    mode = (info.external_attr >> 16) & 0xFFFF
    if stat.S_ISLNK(mode):
        raise ArchiveRefused(f"refused: entry '{info.filename}' is a symbolic link")
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # no type bits: a plain file
        raise ArchiveRefused(f"refused: entry '{info.filename}' is not a regular file")
    if info.is_dir() or not parts:
        return None
    return PurePosixPath(*parts)


def safe_extract(archive: Path, dest: Path, limits: ZipLimits = ZipLimits()) -> list[str]:
    """Unpack `archive` into `dest` (created) and return the relative paths written.

    Raises ArchiveRefused with a sentence a student can act on; `dest` is removed then.
    """
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            if len(infos) > limits.max_files:
                raise ArchiveRefused(f"refused: {len(infos)} entries, over the limit of {limits.max_files}")
            planned: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
            total = 0
            for info in infos:
                rel = _member_path(info)
                if rel is None:
                    continue
                if any(p in SKIP_DIRS for p in rel.parts[:-1]):
                    continue
                total += info.file_size
                if total > limits.max_total_bytes:
                    raise ArchiveRefused(f"refused: it unpacks to over {limits.max_total_bytes / 2**20:.0f} MiB")
                if (info.file_size > limits.ratio_floor_bytes
                        and info.file_size > limits.max_ratio * max(info.compress_size, 1)):
                    raise ArchiveRefused(f"refused: entry '{info.filename}' compresses {info.file_size / max(info.compress_size, 1):.0f}:1 "
                                         f"(a zip bomb?); the limit is {limits.max_ratio:.0f}:1")
                planned.append((info, rel))
            dest.mkdir(parents=True, exist_ok=True)
            root = dest.resolve()
            written, seen, budget = [], set(), limits.max_total_bytes
            for info, rel in planned:
                key = str(rel).lower()
                if key in seen:
                    continue  # a duplicate entry: the first wins
                seen.add(key)
                target = (root / Path(*rel.parts)).resolve()
                if root != target and root not in target.parents:
                    raise ArchiveRefused(f"refused: entry '{info.filename}' points outside the archive")
                target.parent.mkdir(parents=True, exist_ok=True)
                if target.is_symlink() or target.is_dir():
                    raise ArchiveRefused(f"refused: entry '{info.filename}' clashes with another entry")
                left = info.file_size  # headers can lie: never write more than they declared
                with zf.open(info) as src, target.open("wb") as out:
                    while True:
                        chunk = src.read(min(1 << 20, left + 1))
                        if not chunk:
                            break
                        left -= len(chunk)
                        budget -= len(chunk)
                        if left < 0 or budget < 0:
                            raise ArchiveRefused(f"refused: entry '{info.filename}' is bigger than its header says")
                        out.write(chunk)
                written.append(str(rel))
            return written
    except ArchiveRefused:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, RuntimeError,
            ValueError) as exc:  # corrupt data, bad CRC, unsupported compression, encrypted member
        shutil.rmtree(dest, ignore_errors=True)
        detail = str(exc).splitlines()[0][:200] if str(exc) else exc.__class__.__name__
        raise ArchiveRefused(f"could not read the archive: {detail}") from None


# ---------------------------------------------------------------------------------------- discovery


def files_under(root: Path) -> list[str]:
    out = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(p in SKIP_DIRS or p.startswith(".") for p in rel.parts):
            continue
        if path.is_file() and not path.is_symlink():
            out.append(rel.as_posix())
    return out


def _entries(files: list[str]) -> tuple[str, ...]:
    """What runs: every notebook when there are notebooks (scripts beside them are their helpers), else every script."""
    notebooks = [f for f in files if f.lower().endswith(".ipynb")]
    return tuple(notebooks or [f for f in files if f.lower().endswith(".py")])


def _folder_student(name: str, root: Path, *, source: str, label: str, student_id: str | None = None,
                    staging: Path | None = None, limits: ZipLimits = ZipLimits(), depth: int = 1) -> Student:
    files = files_under(root)
    # A student who zipped their work inside the export: unpack it beside (one level only).
    zips = [f for f in files if f.lower().endswith(".zip")]
    if zips and not _entries(files):
        if depth >= limits.max_depth:
            return Student(name, root, (), tuple(files), student_id, source, label,
                           problem="refused: an archive nested inside another archive inside the export")
        target = (staging or root.parent) / f"{_safe(name)}-unzipped"
        for z in zips:
            try:
                safe_extract(root / z, target / Path(z).stem, limits)
            except ArchiveRefused as exc:
                return Student(name, root, (), tuple(files), student_id, source, label, problem=f"{z}: {exc}")
        inner = _folder_student(name, target, source=source, label=label, student_id=student_id, depth=depth + 1,
                                staging=staging, limits=limits)
        return inner
    entries = _entries(files)
    problem = None if entries else (
        "no notebook (.ipynb) or script (.py) found" + (f" among: {', '.join(files[:8])}" if files else " (the folder is empty)"))
    return Student(name, root, entries, tuple(files), student_id, source, label, problem=problem)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "student"


def _canvas(root: Path, files: list[str], label: str, staging: Path, limits: ZipLimits) -> list[Student]:
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for f in files:
        m = CANVAS.match(PurePosixPath(f).name)
        if m and "/" not in f:
            groups.setdefault((m["name"], m["id"]), []).append((f, m["file"]))
    students = []
    for (name, sid), members in sorted(groups.items()):
        folder = staging / f"canvas-{_safe(name)}-{sid}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for original, stripped in members:
            shutil.copy2(root / original, folder / _canvas_name(stripped))
        students.append(_folder_student(name, folder, source="canvas", label=f"{label}{name}_{sid}", student_id=sid,
                                        staging=staging, limits=limits))
    return students


def _canvas_name(name: str) -> str:
    # Canvas appends "-1", "-2" to resubmitted files: hw1-1.ipynb is hw1.ipynb again.
    stem, dot, ext = name.rpartition(".")
    if dot and re.search(r"-\d+$", stem):
        return re.sub(r"-\d+$", "", stem) + "." + ext
    return name


def _moodle(root: Path, names: list[str], label: str, staging: Path, limits: ZipLimits) -> list[Student]:
    groups: dict[tuple[str, str], list[Path]] = {}
    for n in names:
        m = MOODLE.match(n)
        if m:
            groups.setdefault((m["name"], m["id"]), []).append(root / n)
    students = []
    for (name, sid), paths in sorted(groups.items()):
        folder = staging / f"moodle-{_safe(name)}-{sid}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for p in paths:
            if p.is_dir():
                shutil.copytree(p, folder, dirs_exist_ok=True, symlinks=True)
            elif p.is_file():  # older exports: Full Name_123_assignsubmission_file_hw.ipynb
                rest = MOODLE.match(p.name)["rest"] or p.name  # type: ignore[index]
                shutil.copy2(p, folder / rest)
        students.append(_folder_student(name, folder, source="moodle", label=f"{label}{name}_{sid}", student_id=sid,
                                        staging=staging, limits=limits))
    return students


def _gradescope(root: Path, label: str, staging: Path, limits: ZipLimits) -> list[Student]:
    from ruamel.yaml import YAML

    try:
        meta = YAML(typ="safe").load((root / GRADESCOPE_META).read_text(encoding="utf-8")) or {}
    except Exception as exc:  # a broken metadata file: fall back to folder names
        meta = {}
        note = f"unreadable {GRADESCOPE_META}: {str(exc).splitlines()[0][:120]}"
    else:
        note = ""
    students = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith("submission_")):
        info = meta.get(folder.name) if isinstance(meta, dict) else None
        submitters = []
        if isinstance(info, dict):
            submitters = info.get(":submitters") or info.get("submitters") or []
        people = [s for s in submitters if isinstance(s, dict)]
        names = [str(s.get(":name") or s.get("name") or "").strip() for s in people]
        sids = [str(s.get(":sid") or s.get("sid") or s.get(":email") or s.get("email") or "").strip() for s in people]
        name = " & ".join(n for n in names if n) or folder.name
        sid = ",".join(s for s in sids if s) or folder.name.removeprefix("submission_")
        st = _folder_student(name, folder, source="gradescope", label=f"{label}{folder.name}", student_id=sid,
                             staging=staging, limits=limits)
        students.append(st if not note else Student(**{**st.__dict__, "extra": {"note": note}}))
    return students


def _scan(root: Path, label: str, staging: Path, limits: ZipLimits, depth: int,
          exclude: frozenset[Path] = frozenset()) -> list[Student]:
    """Students in an unpacked folder (the class folder itself, or an unpacked export)."""
    if (root / GRADESCOPE_META).is_file():
        return _gradescope(root, label, staging, limits)
    names = sorted(n.name for n in root.iterdir() if n.name not in SKIP_DIRS and not n.name.startswith(".")
                   and n.resolve() not in exclude)
    moodle = [n for n in names if MOODLE.match(n)]
    canvas = [n for n in names if (root / n).is_file() and CANVAS.match(n)]
    students: list[Student] = []
    if moodle:
        students += _moodle(root, moodle, label, staging, limits)
    if canvas:
        students += _canvas(root, canvas, label, staging, limits)
    taken = set(moodle) | set(canvas)
    for n in names:
        if n in taken:
            continue
        path = root / n
        if path.is_symlink():
            continue
        if path.is_dir():
            students.append(_folder_student(n, path, source="folder", label=f"{label}{n}", staging=staging,
                                            limits=limits))
        elif n.lower().endswith(RUNNABLE):
            students.append(Student(Path(n).stem, root, (n,), (n,), None, "file", f"{label}{n}"))
        elif n.lower().endswith(".zip"):
            students += _archive(path, f"{label}{n}", staging, limits, depth)
    return students


def _archive(path: Path, label: str, staging: Path, limits: ZipLimits, depth: int) -> list[Student]:
    stem = Path(label).stem
    target = staging / f"zip-{_safe(label)}"
    shutil.rmtree(target, ignore_errors=True)
    if depth >= limits.max_depth:
        return [Student(stem, path.parent, (), (), None, "zip", label, problem="refused: archives nested too deep")]
    try:
        safe_extract(path, target, limits)
    except ArchiveRefused as exc:
        return [Student(stem, path.parent, (), (path.name,), None, "zip", label, problem=f"{path.name}: {exc}")]
    inner = target
    entries = [p for p in inner.iterdir() if p.name not in SKIP_DIRS]
    if len(entries) == 1 and entries[0].is_dir() and not MOODLE.match(entries[0].name):
        inner = entries[0]  # a zip of one folder: look inside it
    # An LMS export holds many students; anything else is one student's own archive.
    found = _scan(inner, f"{label}:", staging, limits, depth + 1) if _is_export(inner) else []
    if found:
        return found
    return [_folder_student(stem, inner, source="zip", label=label, staging=staging, limits=limits, depth=depth + 1)]


def _is_export(root: Path) -> bool:
    if (root / GRADESCOPE_META).is_file():
        return True
    names = [p.name for p in root.iterdir()]
    return any(MOODLE.match(n) for n in names) or any(CANVAS.match(n) for n in names if (root / n).is_file())


def discover(folder: str | Path, *, staging: str | Path, limits: ZipLimits = ZipLimits(),
             exclude: Sequence[str | Path] = ()) -> list[Student]:
    """Every student in `folder` (a folder, or one .zip export), sorted by name; no two share a name.

    Archives are unpacked under `staging` (a folder the caller owns and may delete afterwards).
    `exclude` names paths directly in `folder` that are not students (the grader's own output
    folder, when it lies inside the class folder). Never raises because of what a student handed in.
    """
    root = Path(folder)
    staging = Path(staging)
    staging.mkdir(parents=True, exist_ok=True)
    if root.is_file():
        if root.suffix.lower() == ".zip":
            students = _archive(root, root.name, staging, limits, 0)
        else:
            students = [Student(root.stem, root.parent, (root.name,), (root.name,), None, "file", root.name)]
    else:
        students = _scan(root, "", staging, limits, 0, frozenset(Path(p).resolve() for p in exclude))
    def order(st: Student) -> tuple[str, str, str]:
        return st.name.lower(), st.student_id or "", st.label

    return sorted(distinct_names(sorted(students, key=order)), key=order)


def distinct_names(students: Sequence[Student]) -> list[Student]:
    """The students, renamed where two would share a name (case-insensitively, as file systems compare).

    A name keys a student's reports, gradebook row and stored runs, so ``hw.ipynb`` and ``hw.py`` in one
    folder must not both be ``hw``. Only clashing names change, each group just enough to tell its members
    apart: the file name (``hw.py``), else the student id (``Ann Lee (123)``), else where it came from
    (``export.zip:hw.py``), else a number (``hw#2``).
    """
    groups: dict[str, list[int]] = {}
    for i, st in enumerate(students):
        groups.setdefault(st.name.lower(), []).append(i)
    names = [st.name for st in students]
    for members in groups.values():
        if len(members) < 2:
            continue
        for longer in (_file_name, _with_id, lambda st: st.label or st.name):
            tried = [longer(students[i]) for i in members]
            if len({n.lower() for n in tried}) == len(tried):
                break
        for i, n in zip(members, tried):
            names[i] = n
    taken: set[str] = set()
    out = []
    for st, n in zip(students, names):
        unique, k = n, 1
        while unique.lower() in taken:
            k += 1
            unique = f"{n}#{k}"
        taken.add(unique.lower())
        out.append(st if unique == st.name else replace(st, name=unique))
    return out


def _file_name(st: Student) -> str:
    """The name with its file's extension, for a one-file submission (``hw.py``); else the name."""
    if st.source == "file" and len(st.entries) == 1:
        return PurePosixPath(st.entries[0]).name
    tail = PurePosixPath(st.label.rsplit(":", 1)[-1]).name if st.label else ""
    return tail if tail.lower().startswith(st.name.lower()) and tail else st.name


def _with_id(st: Student) -> str:
    return f"{st.name} ({st.student_id})" if st.student_id else _file_name(st)


__all__ = ["ArchiveRefused", "Student", "ZipLimits", "discover", "distinct_names", "safe_extract"]
