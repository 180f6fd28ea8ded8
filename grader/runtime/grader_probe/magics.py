"""IPython magics from Colab and laptops: Colab-only ones become noted no-ops, risky ones are tamed.

`%tensorflow_version` and `%tensorboard` exist only on Colab; `%load_ext tensorboard` would start
a server; `%timeit` would train a model seven times over (and record seven fits); `%cd` into a
Drive folder would fail. `%matplotlib inline`, `%time`, `%%time` and `%%capture` work as they are.
"""

from __future__ import annotations

import os
from typing import Any

from grader_probe import importhook, notes, paths


def _tensorflow_version(line: str = "") -> None:
    notes.note("skipped", "magic", f"%tensorflow_version {line.strip()} is Colab-only; ignored: the grader runs "
               "the TensorFlow it provides")


def _tensorboard(line: str = "") -> None:
    notes.note("skipped", "magic", f"%tensorboard {line.strip()} ignored: TensorBoard cannot be shown in the grader")


def _timeit_line(line: str) -> str:
    if not any(a.startswith(("-n", "-r")) for a in line.split()):
        notes.note("provided", "magic", "%timeit ran its code once (-n1 -r1), so a training cell is not "
                   "repeated and recorded several times")
        return "-n1 -r1 " + line
    return line


def _cd_target(line: str) -> str:
    """Where `%cd` goes: a Drive or Windows folder that is not here becomes the submission's folder."""
    target = line.strip().strip("'\"")
    if not target or target.startswith("-") or os.path.isdir(os.path.expanduser(target)) or not paths.is_foreign(target):
        return line
    roots, work, data = paths._roots()
    found = paths.resolve(target, [work], want_dir=True)
    if found is None:
        notes.note("provided", "path", f"%cd {target}: that folder is not in the sandbox; stayed in the "
                   "submission's folder, where its files are")
        return work
    notes.note("provided", "path", f"%cd {target}: went to {paths.describe(found, work, data)}")
    return found


def _line_magic(name: str, line: str) -> tuple[bool, str]:
    """(handled here, line to run with) for one line magic."""
    if name == "tensorflow_version":
        _tensorflow_version(line)
        return True, line
    if name == "tensorboard":
        _tensorboard(line)
        return True, line
    if name in ("load_ext", "reload_ext") and line.strip().split(".")[0] == "tensorboard":
        notes.note("skipped", "magic", f"%{name} {line.strip()} ignored: TensorBoard cannot be shown in the grader")
        return True, line
    if name == "timeit":
        return False, _timeit_line(line)
    if name == "cd":
        return False, _cd_target(line)
    return False, line


def _shell_lines(cell: str) -> list[str]:
    lines, pending = [], ""
    for raw in cell.splitlines():
        text = pending + raw.strip()
        if text.endswith("\\"):
            pending = text[:-1] + " "
            continue
        pending = ""
        if text and not text.startswith("#"):
            lines.append(text)
    return lines


def _needs_shell(cell: str) -> bool:
    from grader_probe import shell

    return any(shell.needs_handling(line) for line in _shell_lines(cell))


def _interactiveshell(module: Any) -> None:
    # Wrapping the dispatch, not registering magics: IPython loads its own magics lazily, and a
    # registered override would be replaced (or call itself) when they load.
    cls = module.InteractiveShell
    run_line, run_cell = cls.run_line_magic, cls.run_cell_magic
    if getattr(run_line, "_grader_magic", False):
        return

    def run_line_magic(self: Any, magic_name: str, line: str, _stack_depth: int = 1) -> Any:
        try:
            handled, line = _line_magic(magic_name, line)
        except Exception:
            handled = False
        if handled:
            return None
        return run_line(self, magic_name, line, _stack_depth=_stack_depth + 1)

    def run_cell_magic(self: Any, magic_name: str, line: str, cell: str) -> Any:
        if magic_name in ("shell", "bash", "sh") and not _needs_shell(cell):
            if magic_name == "shell":
                notes.note("provided", "magic", "%%shell is Colab-only: the cell ran as %%bash", echo=False)
                return run_cell(self, "bash", line, cell)
        elif magic_name in ("shell", "bash", "sh"):
            # Colab's %%shell does not exist elsewhere, and a pip install in %%bash would retry
            # against the missing network: run the lines one by one through the shell escape.
            for command in _shell_lines(cell):
                self.system(command)
            return None
        if magic_name == "timeit":
            line = _timeit_line(line)
        elif magic_name == "tensorboard":
            _tensorboard(line)
            return None
        return run_cell(self, magic_name, line, cell)

    run_line_magic._grader_magic = True  # type: ignore[attr-defined]
    cls.run_line_magic, cls.run_cell_magic = run_line_magic, run_cell_magic


def register() -> None:
    importhook.when_imported("IPython.core.interactiveshell", _interactiveshell)
