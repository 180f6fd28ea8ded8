"""Course environments: the interpreter (or virtual environment) and Keras runtime submissions run under.

Courses pin their own TensorFlow. A course names its interpreter in one of three ways:

- a path to a Python executable (``/opt/cs231/.venv/bin/python``);
- a virtual environment or installation folder (``/opt/cs231/.venv``: its ``bin/python`` is used);
- a name from the environments file (``$GRADER_ENVIRONMENTS``, else ``~/.config/grader/environments.yaml``)::

      environments:
        cs231-2024:
          python: /opt/cs231/.venv/bin/python
          runtime: tf-keras          # optional: this course targets Keras 2

The runtime is ``keras`` (whatever ``tf.keras`` and ``keras`` are in that environment: Keras 3 for
TensorFlow >= 2.16) or ``tf-keras`` (the legacy runtime: ``TF_USE_LEGACY_KERAS=1`` makes ``tf.keras``
Keras 2, and the probe makes a standalone ``import keras`` give ``tf_keras`` too).

Every interpreter is inspected once, before anything runs, and refused with an
:class:`~grader.errors.InterpreterError` when it cannot work: missing, not executable, older than
Python 3.9 (the probe's floor), without TensorFlow/Keras or numpy, without ipykernel for notebooks,
or without a ``tf_keras`` matching its TensorFlow for the legacy runtime.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from grader.errors import InterpreterError
from grader.evidence.model import Runtime, SubmissionKind

RUNTIMES = tuple(r.value for r in Runtime)
MIN_PYTHON = (3, 9)  # the probe's own floor: stdlib-only, parses as 3.9
PACKAGES = ("tensorflow", "keras", "tf_keras", "numpy", "ipykernel")
_DISTS = {"tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-intel", "tf-nightly"),
          "keras": ("keras",), "tf_keras": ("tf-keras", "tf_keras"), "numpy": ("numpy",), "ipykernel": ("ipykernel",)}
# Folders every sandbox already binds read-only: an interpreter under them needs no extra bind.
SYSTEM_ROOTS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
INSPECT_TIMEOUT_S = 120.0

# Runs under the course interpreter: stdlib only, and valid Python 2 and 3 syntax so that even a far
# too old interpreter answers with its version instead of a SyntaxError.
_INSPECT = r"""
import json, os, sys
info = {"version": list(sys.version_info[:3]), "executable": sys.executable, "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix), "exec_prefix": sys.exec_prefix,
        "base_exec_prefix": getattr(sys, "base_exec_prefix", sys.exec_prefix),
        "path": [p for p in sys.path if p and os.path.isdir(p)], "packages": {}, "importable": {}}
try:
    from importlib import metadata, util
    for name, dists in DISTS.items():
        for dist in dists:
            try:
                info["packages"][name] = metadata.version(dist)
                break
            except Exception:
                pass
        try:
            info["importable"][name] = util.find_spec(name) is not None
        except Exception:
            info["importable"][name] = False
except ImportError:
    pass
sys.stdout.write(json.dumps(info))
"""


@dataclass(frozen=True)
class CourseEnvironment:
    """An inspected interpreter and the Keras runtime to run submissions with."""

    python: str  # the executable as the sandbox runs it: normalised, not resolved (a venv's python is a link)
    version: str  # e.g. "3.11.2"
    runtime: Runtime = Runtime.KERAS
    name: str = ""  # the environments-file name it was chosen by, if any
    default: bool = False  # the grader's own interpreter
    roots: tuple[str, ...] = ()  # folders the sandbox binds read-only for it
    packages: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (name, version) as installed

    @property
    def legacy(self) -> bool:
        return self.runtime == Runtime.TF_KERAS

    def package(self, name: str) -> str:
        return dict(self.packages).get(name, "")

    def sandbox_env(self) -> dict[str, str]:
        """Variables the sandbox sets for this runtime (read by TensorFlow and the probe)."""
        if not self.legacy:
            return {}
        return {"TF_USE_LEGACY_KERAS": "1", "GRADER_KERAS_RUNTIME": "tf-keras"}

    def describe(self) -> dict[str, str]:
        """What, of the environment, decides a run's evidence: part of the results store key."""
        out = {"python": self.version, "tensorflow": self.package("tensorflow"), "keras": self.package("keras")}
        if self.default and not self.legacy:
            return out  # the grader's own environment keeps the key it always had
        out.update({"interpreter": self.python, "environment": self.name, "runtime": str(self.runtime),
                    "tf_keras": self.package("tf_keras")})
        return out

    def labels(self) -> dict[str, str]:
        """How the report names it (merged into RunInfo.versions)."""
        out = {"interpreter": self.python, "runtime": str(self.runtime)}
        if self.name:
            out["environment"] = self.name
        return out


def environments_file() -> Path:
    env = os.environ.get("GRADER_ENVIRONMENTS")
    if env:
        return Path(env).expanduser()
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "grader" / "environments.yaml"


def named_environments(path: Path | None = None) -> dict[str, dict[str, str]]:
    """The environments file as {name: {"python": ..., "runtime": ...}} ({} when there is none)."""
    path = path or environments_file()
    if not path.is_file():
        return {}
    from ruamel.yaml import YAML, YAMLError

    try:
        data = YAML(typ="safe").load(path.read_text())
    except (OSError, YAMLError) as exc:
        raise InterpreterError(f"{path}: cannot read the environments file: {exc}") from exc
    envs = (data or {}).get("environments") if isinstance(data, dict) else None
    if not isinstance(envs, dict):
        raise InterpreterError(f"{path}: expected a mapping 'environments: {{NAME: {{python: PATH, runtime: ...}}}}'")
    out: dict[str, dict[str, str]] = {}
    for name, spec in envs.items():
        if isinstance(spec, str):
            spec = {"python": spec}
        if not isinstance(spec, dict) or not isinstance(spec.get("python"), str):
            raise InterpreterError(f"{path}: environment '{name}' needs a 'python' path")
        unknown = set(spec) - {"python", "runtime", "description"}
        if unknown:
            raise InterpreterError(f"{path}: environment '{name}' has unknown field(s) {sorted(unknown)}")
        python = Path(spec["python"]).expanduser()
        if not python.is_absolute():
            python = path.parent / python
        out[str(name)] = {"python": str(python), "runtime": str(spec.get("runtime") or "")}
    return out


def check_runtime(runtime: str | None) -> Runtime | None:
    if runtime in (None, ""):
        return None
    value = str(runtime).strip().lower().replace("_", "-")
    if value not in RUNTIMES:
        raise InterpreterError(f"unknown Keras runtime '{runtime}': choose one of {', '.join(RUNTIMES)}")
    return Runtime(value)


def resolve_environment(python: str | os.PathLike[str] | None = None, runtime: str | None = None, *,
                        kind: str | None = None, base: Path | None = None) -> CourseEnvironment:
    """The environment to run under: `python` is None (the grader's own interpreter), an environment
    name, a folder or an executable (relative to `base` when given); `runtime` overrides a named
    environment's. `kind` 'notebook' also needs ipykernel. Raises InterpreterError when it cannot work."""
    runtime = check_runtime(runtime)
    name = ""
    if python is None or str(python) == "":
        exe, default = _own_python(), True
    else:
        text = str(python)
        named = named_environments() if _looks_like_name(text) else {}
        if text in named:
            name, exe = text, named[text]["python"]
            runtime = runtime or check_runtime(named[text]["runtime"])
        elif _looks_like_name(text):
            found = shutil.which(text)  # a command name on PATH, e.g. python3.10
            if found is None:
                raise InterpreterError(f"no interpreter '{text}': not a path, not a command on PATH, and no "
                                       f"environment of that name in {environments_file()}")
            exe = found
        else:
            exe = text
        exe = _executable(Path(exe).expanduser() if Path(exe).expanduser().is_absolute() or base is None
                          else base / Path(exe).expanduser())
        default = os.path.normpath(exe) == _own_python()
    env = _inspected(exe, default, name, runtime or Runtime.KERAS)
    _refuse_unusable(env, kind)
    return env


def _looks_like_name(text: str) -> bool:
    return os.sep not in text and not text.startswith((".", "~")) and not Path(text).exists()


def _own_python() -> str:
    return os.path.normpath(os.path.abspath(sys.executable))


def _executable(path: Path) -> str:
    path = Path(os.path.normpath(os.path.abspath(path)))
    if path.is_dir():
        for candidate in (path / "bin" / "python3", path / "bin" / "python"):
            if candidate.exists():
                path = candidate
                break
        else:
            raise InterpreterError(f"{path} is a folder without bin/python3: give the interpreter or a virtual "
                                   "environment's folder")
    if not path.exists():
        raise InterpreterError(f"interpreter {path} does not exist")
    if not path.is_file() or not os.access(path, os.X_OK):
        raise InterpreterError(f"interpreter {path} is not an executable file")
    return str(path)


def _inspected(exe: str, default: bool, name: str, runtime: Runtime) -> CourseEnvironment:
    stat = os.stat(exe)
    info = _inspect(exe, stat.st_mtime_ns, stat.st_ino)
    version = ".".join(str(v) for v in info["version"])
    packages = {k: str(v) for k, v in (info.get("packages") or {}).items()}
    importable = info.get("importable") or {}
    for pkg in PACKAGES:
        if pkg not in packages and importable.get(pkg):
            packages[pkg] = "unknown"  # importable without distribution metadata (a source checkout)
    return CourseEnvironment(python=exe, version=version, runtime=Runtime(runtime), name=name, default=default,
                             roots=tuple(interpreter_roots(exe, info)), packages=tuple(sorted(packages.items())))


@functools.lru_cache(maxsize=32)
def _inspect(exe: str, _mtime: int, _inode: int) -> dict[str, Any]:
    # -I: no PYTHONPATH, no user site, no script folder on sys.path: what the sandbox will see.
    # -E alone for Python 2, which has no -I (it then answers with its version and is refused).
    script = _INSPECT.replace("DISTS", repr({k: list(v) for k, v in _DISTS.items()}))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    for flags in (["-I"], ["-E", "-s"]):
        try:
            proc = subprocess.run([exe, *flags, "-c", script], capture_output=True, text=True,
                                  timeout=INSPECT_TIMEOUT_S, env=env, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise InterpreterError(f"interpreter {exe} did not answer within {INSPECT_TIMEOUT_S:.0f} s") from exc
        except OSError as exc:
            raise InterpreterError(f"interpreter {exe} cannot be started: {exc.strerror or exc}") from exc
        if proc.returncode == 0:
            try:
                info = json.loads(proc.stdout)
            except ValueError as exc:
                raise InterpreterError(f"{exe} does not behave like a Python interpreter") from exc
            if isinstance(info, dict) and isinstance(info.get("version"), list):
                return info
            raise InterpreterError(f"{exe} does not behave like a Python interpreter")
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    raise InterpreterError(f"interpreter {exe} failed to run (exit {proc.returncode}): {tail[0][:300]}")


def interpreter_roots(exe: str, info: Mapping[str, Any]) -> list[str]:
    """Folders the sandboxed interpreter needs, read-only: its venv, its base installation, the
    installation its executable links into, and any sys.path folder elsewhere (a .pth file's)."""
    candidates = [info.get(k) for k in ("prefix", "base_prefix", "exec_prefix", "base_exec_prefix")]
    candidates.append(str(Path(exe).resolve().parent.parent))
    candidates.append(str(Path(exe).parent.parent))
    roots: list[Path] = []
    for c in candidates:
        if c:
            roots.append(Path(os.path.normpath(c)))
    for entry in info.get("path") or []:
        p = Path(os.path.normpath(entry))
        if not any(p == r or r in p.parents for r in roots):
            roots.append(p)
    out: list[str] = []
    for root in sorted(set(r.resolve() for r in roots if r.exists())):
        if str(root) == "/":
            raise InterpreterError(f"interpreter {exe} lives directly under '/': the sandbox would have to "
                                   "expose the whole host; install it in its own folder (a virtual environment)")
        if any(str(root) == s or str(root).startswith(s + "/") for s in SYSTEM_ROOTS):
            continue  # bound already
        out.append(str(root))
    # Keep only outermost folders: a bind inside another bind is redundant.
    return [r for r in out if not any(o != r and r.startswith(o + "/") for o in out)]


def _refuse_unusable(env: CourseEnvironment, kind: str | None) -> None:
    where = f"interpreter {env.python}" + (f" (environment '{env.name}')" if env.name else "")
    version = tuple(int(v) for v in env.version.split("."))
    if version < MIN_PYTHON:
        raise InterpreterError(f"{where} is Python {env.version}; the grader's probe needs Python "
                               f">= {'.'.join(map(str, MIN_PYTHON))}")
    if not (env.package("tensorflow") or env.package("keras") or env.package("tf_keras")):
        raise InterpreterError(f"{where} has neither TensorFlow nor Keras installed: nothing a submission trains "
                               "could be run or recorded")
    if not env.package("numpy"):
        raise InterpreterError(f"{where} has no numpy (the probe and the verifier need it)")
    if kind == SubmissionKind.NOTEBOOK and not env.package("ipykernel"):
        raise InterpreterError(f"{where} has no ipykernel, so it cannot run notebooks: install ipykernel into it")
    if env.legacy:
        tfk, tf = env.package("tf_keras"), env.package("tensorflow")
        if not tfk:
            raise InterpreterError(f"{where} has no tf_keras, which the tf-keras runtime needs: install "
                                   f"'tf_keras=={_minor(tf) or '2.X'}.*' (matching its TensorFlow) into it")
        if tf and "unknown" not in (tf, tfk) and _minor(tf) != _minor(tfk):
            raise InterpreterError(f"{where} has tf_keras {tfk} but TensorFlow {tf}: tf_keras must match "
                                   f"TensorFlow's minor version (install 'tf_keras=={_minor(tf)}.*')")


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2]) if version else ""


__all__ = ["CourseEnvironment", "RUNTIMES", "check_runtime", "environments_file", "interpreter_roots",
           "named_environments", "resolve_environment"]


# Keys of RunInfo.versions that name the environment rather than a package version.
ENVIRONMENT_KEYS = ("interpreter", "environment", "runtime", "python_executable", "python_implementation",
                    "keras_runtime", "keras_import")
_SHOWN = ("tensorflow", "keras", "tf_keras", "numpy")


def environment_line(python: str, versions: Mapping[str, str]) -> str:
    """One line for terminals and reports: 'Python 3.11.2 (/opt/c/.venv/bin/python, environment 'c'),
    runtime tf-keras; tensorflow 2.21.0, tf_keras 2.21.0, numpy 2.4.6' ('' when nothing is known)."""
    version = versions.get("python") or python
    where = versions.get("interpreter") or versions.get("python_executable") or ""
    extra = [where] if where else []
    if versions.get("environment"):
        extra.append(f"environment '{versions['environment']}'")
    text = f"Python {version}" + (f" ({', '.join(extra)})" if extra else "") if version or extra else ""
    runtime = versions.get("runtime") or versions.get("keras_runtime")
    if runtime:
        text += f", runtime {runtime}"
    pkgs = [f"{k} {versions[k]}" for k in _SHOWN if versions.get(k)]
    pkgs += [f"{k} {v}" for k, v in sorted(versions.items()) if k not in (*_SHOWN, *ENVIRONMENT_KEYS, "python") and v]
    return "; ".join(p for p in (text, ", ".join(pkgs)) if p)
