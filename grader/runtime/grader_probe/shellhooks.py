"""Where shell commands are intercepted: IPython's shell escapes in notebooks, and `pip install`
through os.system/subprocess in scripts. The rules for what to do are in shell.py."""

from __future__ import annotations

import os
import shlex
import sys
from typing import Any, Callable

from grader_probe import importhook, notes
from grader_probe.shell import Action, classify, handle, needs_handling, pip_install, ran_note, split_command


# --- IPython: `!cmd`, `x = !cmd`, %pip, %conda, %sx all go through shell.system/getoutput --------


def _wrap_system(original: Callable) -> Callable:
    if getattr(original, "_grader_shell", False):
        return original

    def system(self: Any, cmd: str) -> Any:
        if not needs_handling(cmd):
            result = original(self, cmd)
            code = (getattr(self, "user_ns", None) or {}).get("_exit_code", 0)
            ran_note(cmd.strip()[:200], code if isinstance(code, int) else 0)
            return result

        def run_part(part: str) -> int:
            original(self, part)
            return int((getattr(self, "user_ns", None) or {}).get("_exit_code", 0) or 0)

        code = handle(cmd, run_part, lambda text: (sys.stdout.write(text), sys.stdout.flush()))
        try:
            self.user_ns["_exit_code"] = code
        except Exception:
            pass
        return None

    system._grader_shell = True  # type: ignore[attr-defined]
    return system


def _wrap_getoutput(original: Callable) -> Callable:
    if getattr(original, "_grader_shell", False):
        return original

    def getoutput(self: Any, cmd: str, split: bool = True, depth: int = 0) -> Any:
        if not needs_handling(cmd):
            return original(self, cmd, split=split, depth=depth + 1)
        lines: list[str] = []
        handle(cmd, lambda part: _run_capture(self, original, part, lines), lines.append)
        text = "".join(lines)
        try:
            from IPython.utils.text import SList

            return SList(text.splitlines()) if split else text
        except ImportError:
            return text.splitlines() if split else text

    getoutput._grader_shell = True  # type: ignore[attr-defined]
    return getoutput


def _run_capture(shell: Any, original: Callable, part: str, lines: list[str]) -> int:
    out = original(shell, part, split=False)
    lines.append(str(out) + "\n")
    return 0


def _patch_shell_class(cls: Any) -> None:
    for attr in ("system", "system_piped"):
        if attr in cls.__dict__:
            setattr(cls, attr, _wrap_system(cls.__dict__[attr]))
    if "getoutput" in cls.__dict__:
        cls.getoutput = _wrap_getoutput(cls.__dict__["getoutput"])


def _interactiveshell(module: Any) -> None:
    _patch_shell_class(module.InteractiveShell)


def _zmqshell(module: Any) -> None:
    _patch_shell_class(module.ZMQInteractiveShell)


# --- scripts: os.system("pip install x"), subprocess.check_call([sys.executable, "-m", "pip", ...]) -----


def _argv_of(args: Any) -> list[str] | None:
    if isinstance(args, str):
        try:
            return shlex.split(args)
        except ValueError:
            return None
    if isinstance(args, (list, tuple)) and all(isinstance(a, (str, os.PathLike)) for a in args):
        return [os.fspath(a) for a in args]  # type: ignore[misc]
    return None


def _pip_action(args: Any) -> Action | None:
    argv = _argv_of(args)
    if not argv:
        return None
    if isinstance(args, str):
        try:
            parts = split_command(args)
        except ValueError:
            return None
        if len(parts) != 1:
            return None
        argv = parts[0][1]
    action = classify(argv)
    return action if action.kind in ("pip", "pip-skip") else None


def _quiet_pip(action: Action) -> int:
    if action.kind == "pip-skip":
        notes.note("skipped", "pip", f"skipped `{shlex.join(action.argv)}`: the grader's environment is fixed")
        return 0
    code, out = pip_install(action)
    sys.stdout.write(out)
    return code


def _wrap_os_system(original: Callable) -> Callable:
    def system(command: Any) -> int:
        action = _pip_action(command) if notes.called_from_student(2) else None
        if action is None:
            return original(command)
        return _quiet_pip(action) << 8  # like os.system's wait status

    system._grader_shell = True  # type: ignore[attr-defined]
    return system


def _subprocess(module: Any) -> None:
    def wrap(name: str, original: Callable) -> Callable:
        def call(*args: Any, **kwargs: Any) -> Any:
            command = args[0] if args else kwargs.get("args")
            action = _pip_action(command) if notes.called_from_student(2) else None
            if action is None:
                return original(*args, **kwargs)
            code = _quiet_pip(action)
            if name == "run":
                if kwargs.get("check") and code:
                    raise module.CalledProcessError(code, command)
                empty = "" if kwargs.get("text") or kwargs.get("universal_newlines") or kwargs.get("encoding") else b""
                captured = kwargs.get("capture_output") or kwargs.get("stdout") is not None
                return module.CompletedProcess(command, code, empty if captured else None, empty if captured else None)
            if name in ("check_call", "check_output") and code:
                raise module.CalledProcessError(code, command)
            if name == "check_output":
                return "" if kwargs.get("text") or kwargs.get("universal_newlines") or kwargs.get("encoding") else b""
            return code

        call._grader_shell = True  # type: ignore[attr-defined]
        return call

    for name in ("run", "call", "check_call", "check_output"):
        original = getattr(module, name, None)
        if original is not None and not getattr(original, "_grader_shell", False):
            setattr(module, name, wrap(name, original))


def register() -> None:
    if not getattr(os.system, "_grader_shell", False):
        os.system = _wrap_os_system(os.system)
    importhook.when_imported("subprocess", _subprocess)
    importhook.when_imported("IPython.core.interactiveshell", _interactiveshell)
    importhook.when_imported("ipykernel.zmqshell", _zmqshell)
