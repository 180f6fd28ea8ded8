"""Reads of files at paths from the student's own machine (C:\\Users\\..., /content/drive/...).

When the student's code reads a path that does not exist in the sandbox, the file is looked up by
name in the submission's folder, then in the grader's data folder; a match is read instead, with a
note. With no match the original error stands and the note says what the grader does provide.
Only reads are remapped, and only when the student's code itself made the call: a library
probing for its own files keeps its FileNotFoundError.
"""

from __future__ import annotations

import builtins
import functools
import os
import re
from typing import Any, Callable

from grader_probe import importhook, notes

_WINDOWS_ABS = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\)")
_WALK_LIMIT = 5000
_SUFFIX_DEPTH = 4


def parts_of(path: str) -> list[str]:
    """Path components, whether written with / or \\, without a drive letter."""
    text = path.replace("\\", "/")
    if re.match(r"^[A-Za-z]:", text):
        text = text[2:]
    return [p for p in text.split("/") if p not in ("", ".")]


def is_foreign(path: str) -> bool:
    """A path written on another machine: Windows-style, or absolute."""
    return bool(_WINDOWS_ABS.match(path)) or "\\" in path or path.startswith("/")


def _walk_find(root: str, name: str, want_dir: bool) -> str | None:
    seen = 0
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        seen += len(dirs) + len(files)
        if (name in dirs) if want_dir else (name in files):
            return os.path.join(folder, name)
        if seen > _WALK_LIMIT:
            return None
    return None


def resolve(path: str, roots: list[str], *, want_dir: bool = False,
            exists: Callable[[str], bool] | None = None) -> str | None:
    """Where a missing path's file is in the sandbox, or None.

    Tries the path's trailing components under each root (so `.../ML/data/x.csv` finds
    `data/x.csv` before `x.csv`), then the base name anywhere under the roots.
    """
    check = exists or (os.path.isdir if want_dir else os.path.isfile)
    parts = parts_of(path)
    if not parts or parts[-1] in ("..",):
        return None
    for root in roots:
        for k in range(min(len(parts), _SUFFIX_DEPTH), 0, -1):
            if ".." in parts[-k:]:
                continue
            candidate = os.path.join(root, *parts[-k:])
            if check(candidate):
                return candidate
    if exists is not None:
        return None
    for root in roots:
        if os.path.isdir(root):
            found = _walk_find(root, parts[-1], want_dir)
            if found:
                return found
    return None


def is_served(path: str, data: str | None) -> bool:
    """True for a file in the grader's data folder, or a link to one (served files are linked into work)."""
    if not data:
        return False
    prefix = data.rstrip("/") + "/"
    return path.startswith(prefix) or os.path.realpath(path).startswith(os.path.realpath(data).rstrip("/") + "/")


def describe(found: str, work: str, data: str | None) -> str:
    if data and found.startswith(data.rstrip("/") + "/"):
        return f"{os.path.relpath(found, data)} provided by the grader"
    if is_served(found, data):
        return f"{os.path.relpath(found, work)} provided by the grader"
    return f"{os.path.relpath(found, work)} from the submission's folder"


def _roots() -> tuple[list[str], str, str | None]:
    work, data = notes.work_dir(), notes.data_dir()
    roots = [work] + ([data] if data else [])
    return roots, work, data


def remap(path: Any, *, want_dir: bool = False) -> Any:
    """The sandbox path to read instead of `path`, or `path` itself (with a note either way)."""
    try:
        text = os.fspath(path)
    except TypeError:
        return path
    if isinstance(text, bytes) or not text or (os.path.isdir(text) if want_dir else os.path.exists(text)):
        return path
    roots, work, data = _roots()
    found = resolve(text, roots, want_dir=want_dir)
    if found is None and not want_dir:
        made = _made_by_grader(text)
        if made is not None:
            return made
    if found is None:
        if is_foreign(text):
            served = notes.provided_files()
            offer = ", ".join(served) if served else "no data files for this exercise"
            notes.note("failed", "path", f"could not read {text}: it is not in the sandbox and no file named "
                       f"{parts_of(text)[-1] if parts_of(text) else text} was submitted or is provided "
                       f"(the grader provides: {offer})", [text])
        return path
    notes.note("provided", "path", f"read {text} as {describe(found, work, data)}", [text])
    return found


def _made_by_grader(path: str) -> str | None:
    """A Kaggle-style CSV of a served dataset, made on demand (grader_probe.datafiles), when adaptation is on."""
    from grader_probe import adapt, datafiles

    if not adapt.active():
        return None
    try:
        return datafiles.provide_csv(path)
    except Exception as exc:  # a file the grader could not make must not hide the student's own error
        notes.note("failed", datafiles.TOPIC, f"could not make {path} from the grader's data: {exc!r}", [path])
        return None


def _reading(mode: Any) -> bool:
    return isinstance(mode, str) and not any(c in mode for c in "wax+")


def _wrap_first_arg(func: Callable, *, want_dir: bool = False, name_kw: str | None = None,
                    mode_of: Callable[[tuple, dict], Any] | None = None, precheck: bool = False) -> Callable:
    if getattr(func, "_grader_paths", False):
        return func

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any):
        if precheck:
            # For loaders whose missing-folder error is not a FileNotFoundError.
            if notes.called_from_student(2):
                if args:
                    args = (remap(args[0], want_dir=want_dir), *args[1:])
                elif name_kw and name_kw in kwargs:
                    kwargs = {**kwargs, name_kw: remap(kwargs[name_kw], want_dir=want_dir)}
            return func(*args, **kwargs)
        try:
            return func(*args, **kwargs)
        except (FileNotFoundError, NotADirectoryError):
            if not notes.called_from_student(2):
                raise
            if mode_of is not None and not _reading(mode_of(args, kwargs)):
                raise
            if args:
                new = remap(args[0], want_dir=want_dir)
                if new is args[0]:
                    raise
                args = (new, *args[1:])
            elif name_kw and name_kw in kwargs:
                new = remap(kwargs[name_kw], want_dir=want_dir)
                if new is kwargs[name_kw]:
                    raise
                kwargs = {**kwargs, name_kw: new}
            else:
                raise
        return func(*args, **kwargs)

    wrapper._grader_paths = True  # type: ignore[attr-defined]
    return wrapper


def _open_mode(args: tuple, kwargs: dict) -> Any:
    return args[1] if len(args) > 1 else kwargs.get("mode", "r")


def _patch(module: Any, attr: str, **kw: Any) -> None:
    original = getattr(module, attr, None)
    if callable(original):
        setattr(module, attr, _wrap_first_arg(original, **kw))


def _pandas(module: Any) -> None:
    for attr in ("read_csv", "read_excel", "read_table", "read_json", "read_parquet"):
        _patch(module, attr, name_kw="filepath_or_buffer" if attr in ("read_csv", "read_table") else "io")


def _numpy(module: Any) -> None:
    for attr in ("load", "loadtxt", "genfromtxt"):
        _patch(module, attr, name_kw="file" if attr == "load" else "fname")


def _pil(module: Any) -> None:
    _patch(module, "open", name_kw="fp")


def _keras_images(module: Any) -> None:
    _patch(module, "image_dataset_from_directory", want_dir=True, name_kw="directory", precheck=True)


def _ipython(module: Any) -> None:
    # IPython puts its own `open` in the user namespace (it refuses fds 0-2), bypassing builtins.open.
    _patch(module, "_modified_open", name_kw="file", mode_of=_open_mode)


def register() -> None:
    builtins.open = _wrap_first_arg(builtins.open, name_kw="file", mode_of=_open_mode)
    importhook.when_imported("IPython.core.interactiveshell", _ipython)
    _patch(os, "listdir", want_dir=True, name_kw="path")
    importhook.when_imported("pandas", _pandas)
    importhook.when_imported("numpy", _numpy)
    importhook.when_imported("PIL.Image", _pil)
    importhook.when_imported("keras.src.utils.image_dataset_utils", _keras_images)
