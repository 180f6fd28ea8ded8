"""Shell escapes (`!pip install`, `%pip`, `!wget`, `!apt-get`) and scripts' `pip install` calls.

The sandbox has no network: pip would retry for minutes and then fail, wget would fail with a
DNS error nobody reads. So pip installs of packages already importable are skipped with a note
naming the version the grader provides, installs of anything else fail at once with a note
naming the packages, network fetches fail at once naming the file they would have written, and
`nvidia-smi` on a grader with no GPU is answered with an adaptation note (see adapt.py), and
other commands (ls, unzip) run as written inside the sandbox, with a note. These are
the rules; shellhooks.py is where IPython and scripts are made to follow them.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
from dataclasses import dataclass, field
from typing import Any, Callable

from grader_probe import notes, paths

# pip distribution name -> module it installs, where they differ.
IMPORT_NAMES = {
    "scikit-learn": "sklearn", "sklearn": "sklearn", "pillow": "PIL", "opencv-python": "cv2",
    "opencv-python-headless": "cv2", "opencv-contrib-python": "cv2", "tensorflow-gpu": "tensorflow",
    "tensorflow-cpu": "tensorflow", "tf-nightly": "tensorflow", "beautifulsoup4": "bs4", "pyyaml": "yaml",
    "python-dateutil": "dateutil", "tf-keras": "tf_keras", "keras-tuner": "keras_tuner",
    "tensorflow-datasets": "tensorflow_datasets", "protobuf": "google.protobuf", "ipython": "IPython",
}
_OPTS_WITH_VALUE = {"-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
                    "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root",
                    "--python-version", "--platform", "--implementation", "--abi", "--src", "--upgrade-strategy",
                    "--progress-bar", "--log", "--cache-dir", "--timeout", "--retries", "--proxy", "--trusted-host"}
_FETCHERS = {"wget", "curl", "gdown", "aria2c", "kaggle", "svn"}
_SYSTEM_INSTALLERS = {"apt", "apt-get", "yum", "dnf", "apk", "brew", "conda", "mamba", "snap"}
_GIT_OPTS_WITH_VALUE = {"--depth", "-b", "--branch", "-c", "--config", "-o", "--origin", "--reference", "-j",
                        "--jobs", "--filter", "--template", "--separate-git-dir", "-u", "--upload-pack"}
_SEPARATORS = {"&&", "||", ";", "|", "&"}


@dataclass(frozen=True)
class Action:
    """What to do with one simple command."""

    kind: str  # 'pip', 'pip-skip', 'system', 'fetch', 'gpu', 'run'
    argv: list[str]
    packages: list[str] = field(default_factory=list)
    url: str = ""
    target: str = ""


def _no_gpu_adapted() -> bool:
    """nvidia-smi is answered by the grader when adaptation is on and this machine shows no GPU (the
    sandbox hides GPUs with an empty CUDA_VISIBLE_DEVICES unless the run was given one)."""
    from grader_probe import adapt

    if not adapt.active():
        return False
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    return visible is not None and visible.strip() in ("", "-1") or shutil.which("nvidia-smi") is None


def _strip_prefix(argv: list[str]) -> list[str]:
    while argv and (argv[0] in ("sudo", "env", "time", "nohup") or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", argv[0])):
        argv = argv[1:]
    return argv


def _pip_rest(argv: list[str]) -> list[str] | None:
    """The arguments after `pip` when argv runs pip, else None."""
    if not argv:
        return None
    exe = os.path.basename(argv[0])
    if re.fullmatch(r"pip(\d(\.\d+)?)?", exe):
        return argv[1:]
    if re.fullmatch(r"python(\d(\.\d+)?)?", exe) or argv[0].endswith("/python") or exe.startswith("python"):
        rest = argv[1:]
        while rest and rest[0].startswith("-") and rest[0] != "-m":
            rest = rest[1:]
        if len(rest) >= 2 and rest[0] == "-m" and rest[1] in ("pip", "pip3"):
            return rest[2:]
    return None


def requirements(args: list[str]) -> list[str]:
    """Requirement specifiers named on a `pip install` command line (files and options left out)."""
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in _OPTS_WITH_VALUE:
            skip = True
            continue
        if arg.startswith("-"):
            continue
        out.append(arg)
    return out


def requirement_name(spec: str) -> str:
    """`tensorflow==2.15.*` -> `tensorflow`; `keras[tf]>=3` -> `keras`; URLs kept whole."""
    if "://" in spec or spec.startswith(("git+", "./", "/")) or spec.endswith((".whl", ".tar.gz", ".zip")):
        return spec
    return re.split(r"[\[<>=!~;@ ]", spec, maxsplit=1)[0].strip()


def _fetch_target(argv: list[str]) -> tuple[str, str]:
    """(url, file it would write) for a download command."""
    exe, args = os.path.basename(argv[0]), argv[1:]
    url = next((a for a in args if re.match(r"^[a-z][a-z0-9+.-]*://", a)), "")
    target = ""
    # wget -O FILE, curl -o FILE (curl's -O means "name it after the URL"), gdown -O FILE.
    output = ("-o", "--output") if exe == "curl" else ("-O", "--output-document", "-o", "--output")
    for i, arg in enumerate(args):
        if arg in output and i + 1 < len(args):
            target = args[i + 1]
        elif arg.startswith("--output-document=") or arg.startswith("--output="):
            target = arg.split("=", 1)[1]
    if exe == "curl" and not target and "-O" not in args and "--remote-name" not in args:
        return url, ""  # curl without -o/-O writes to stdout
    if not target and url:
        target = os.path.basename(url.split("?", 1)[0].rstrip("/"))
    if exe == "kaggle":
        target = next((a for a in args if "/" in a and not a.startswith("-")), "")
        url = url or " ".join(args)
    return url, target


def classify(argv: list[str]) -> Action:
    argv = _strip_prefix(list(argv))
    if not argv:
        return Action("run", argv)
    exe = os.path.basename(argv[0])
    rest = _pip_rest(argv)
    if rest is not None:
        sub = next((a for a in rest if not a.startswith("-")), "")
        if sub == "install":
            names = requirements(rest[rest.index("install") + 1:])
            return Action("pip", argv, packages=names)
        if sub in ("uninstall", "download", "wheel"):
            return Action("pip-skip", argv)
        return Action("run", argv)
    if exe in _SYSTEM_INSTALLERS:
        return Action("system", argv)
    if exe == "nvidia-smi" and _no_gpu_adapted():
        return Action("gpu", argv)
    if exe in _FETCHERS or (exe == "git" and "clone" in argv[1:]) or (exe == "git" and "pull" in argv[1:]):
        if exe == "git":
            args, skip = [], False
            for arg in argv[argv.index("clone") + 1:] if "clone" in argv else []:
                if skip or arg.startswith("-"):
                    skip = not skip and arg in _GIT_OPTS_WITH_VALUE
                    continue
                args.append(arg)
            url = args[0] if args else "a git remote"
            target = args[1] if len(args) > 1 else re.sub(r"\.git$", "", os.path.basename(url.rstrip("/")))
            return Action("fetch", argv, url=url, target=target)
        url, target = _fetch_target(argv)
        return Action("fetch", argv, url=url, target=target)
    return Action("run", argv)


def split_command(command: str) -> list[tuple[str, list[str]]]:
    """[(separator before it, argv)] for a shell line; raises ValueError on unbalanced quotes."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = ""
    out: list[tuple[str, list[str]]] = []
    sep, argv = "", []
    for token in lexer:
        if token in _SEPARATORS:
            out.append((sep, argv))
            sep, argv = token, []
        else:
            argv.append(token)
    out.append((sep, argv))
    return [(s, a) for s, a in out if a]


def needs_handling(command: str) -> bool:
    """True when some part of the command must not run as written (cheap pre-check)."""
    try:
        return any(classify(argv).kind != "run" for _, argv in split_command(command))
    except ValueError:
        return False


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


_dists: dict[str, list[str]] | None = None
failed_installs: set[str] = set()  # normalized names whose pip install failed in this run


def installed(name: str) -> tuple[bool, str]:
    """(importable here, 'name version' as the grader provides it) for a pip requirement name."""
    global _dists
    from importlib import metadata

    norm = _normalize(name)
    module = IMPORT_NAMES.get(norm, name.replace("-", "_"))
    try:
        return True, f"{name} {metadata.version(name)}"
    except metadata.PackageNotFoundError:
        pass
    except Exception:
        pass
    try:
        found = importlib.util.find_spec(module.split(".")[0]) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        return False, name
    try:
        if _dists is None:
            _dists = metadata.packages_distributions()
        dist = (_dists.get(module.split(".")[0]) or [""])[0]
        version = metadata.version(dist) if dist else ""
    except Exception:
        dist, version = "", ""
    label = f"{name} {version}".strip()
    if dist and _normalize(dist) != norm:
        label += f" (as {dist})"
    return True, label


def pip_install(action: Action) -> tuple[int, str]:
    specs = action.packages
    if not specs:
        notes.note("skipped", "pip", f"skipped `{shlex.join(action.argv)}`: it names no packages (requirement files "
                   "cannot be installed: the sandbox has no network)")
        return 0, "[grader] pip install skipped\n"
    present, missing = [], []
    for spec in specs:
        name = requirement_name(spec)
        ok, label = installed(name) if name == spec or not ("://" in name or "/" in name) else (False, name)
        (present if ok else missing).append((spec, name, label))
    out = ""
    standins = _drawn_by_stand_ins(missing)
    if standins:
        missing = [m for m in missing if m not in standins]
        names = ", ".join(name for _, name, _ in standins)
        from grader_probe import adapt

        adapt.note("skipped", f"pip install of {names} skipped: it only draws models, and the grader provides a "
                   "stand-in that draws nothing", [name for _, name, _ in standins])
        out += f"[grader] pip install of {names} skipped: the grader provides a stand-in\n"
    if present:
        what = ", ".join(label + (f" (asked for {spec})" if spec != name else "") for spec, name, label in present)
        notes.note("provided", "pip", f"pip install skipped: provided by the grader's environment: {what}",
                   [name for _, name, _ in present])
        out += f"[grader] pip install skipped: provided by the grader's environment: {what}\n"
    if missing:
        for _, name, _ in missing:  # a later import of it is explained by this note (adapt.note_missing)
            failed_installs.update({_normalize(name), _normalize(IMPORT_NAMES.get(_normalize(name), name))})
        names = ", ".join(spec for spec, _, _ in missing)
        notes.note("failed", "pip", f"pip install of {names} failed: not in the grader's environment, and the "
                   "sandbox has no network to download it", [name for _, name, _ in missing])
        out += f"[grader] pip install of {names} failed: not in the grader's environment, and the sandbox has no network\n"
        return 1, out
    return 0, out


def _drawn_by_stand_ins(missing: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The missing packages that adaptation stands in for (visualkeras), when it is on."""
    from grader_probe import adapt

    if not adapt.active():
        return []
    return [m for m in missing if _normalize(m[1]) in adapt.VISUAL_ONLY]


def _fetch(action: Action, cwd: str) -> tuple[int, str]:
    target = action.target
    if target:
        local = os.path.join(cwd, target)
        if os.path.exists(local):
            where = "provided by the grader" if paths.is_served(local, notes.data_dir()) else "already in the submission's folder"
            notes.note("provided", "network", f"skipped `{shlex.join(action.argv)}`: no network in the sandbox, "
                       f"but {target} is {where}", [target])
            return 0, f"[grader] download skipped: {target} is already here\n"
        data = notes.data_dir()
        served = os.path.join(data, os.path.basename(target)) if data else ""
        if served and os.path.exists(served):
            try:
                os.symlink(served, local)
                notes.note("provided", "network", f"skipped `{shlex.join(action.argv)}`: no network in the sandbox; "
                           f"{target} is provided by the grader", [target])
                return 0, f"[grader] download skipped: {target} is provided by the grader\n"
            except OSError:
                pass
    wrote = f" (it would have written {target})" if target else ""
    notes.note("failed", "network", f"`{shlex.join(action.argv)}` failed: no network in the sandbox, so "
               f"{action.url or 'nothing'} could not be fetched{wrote}", [target] if target else [])
    return 1, f"[grader] no network in the sandbox: could not fetch {action.url}{wrote}\n"


def ran_note(text: str, code: int) -> None:
    """Note a command that ran as written; a failure says so (nvidia-smi: there is no GPU)."""
    extra = "" if not code else f" (exit code {code}" + ("; the sandbox has no GPU)" if "nvidia-smi" in text else ")")
    notes.note("ran" if not code else "failed", "shell", f"ran `{text}` in the sandbox{extra}", echo=bool(code))


def handle(command: str, run: Callable[[str], int], write: Callable[[str], Any]) -> int:
    """Run a shell line, intercepting the parts that must not run; `run` runs one part as written."""
    try:
        parts = split_command(command)
    except ValueError:
        return run(command)
    code, cwd = 0, os.getcwd()
    index = 0
    while index < len(parts):
        sep, argv = parts[index]
        # A pipeline runs or is intercepted as a whole.
        group = [argv]
        while index + 1 < len(parts) and parts[index + 1][0] in ("|", "&"):
            index += 1
            group.append(parts[index][1])
        index += 1
        if (sep == "&&" and code != 0) or (sep == "||" and code == 0):
            continue
        actions = [classify(a) for a in group]
        special = next((a for a in actions if a.kind != "run"), None)
        text = " | ".join(shlex.join(a) for a in group)
        if special is None:
            code = run(text)
            ran_note(text, code)
            continue
        if special.kind == "pip":
            code, out = pip_install(special)
        elif special.kind == "fetch":
            code, out = _fetch(special, cwd)
        elif special.kind == "gpu":
            from grader_probe import adapt

            adapt.note("skipped", f"this notebook assumes a GPU; the grader has none: `{text}` had no effect")
            code, out = 0, "[grader] no GPU on the grading machine: this code runs on its CPU\n"
        elif special.kind == "system":
            notes.note("skipped", "shell", f"skipped `{text}`: system packages cannot be installed in the sandbox")
            code, out = 0, "[grader] system package install skipped\n"
        else:
            notes.note("skipped", "pip", f"skipped `{text}`: the grader's environment is fixed")
            code, out = 0, "[grader] skipped\n"
        write(out)
    return code
