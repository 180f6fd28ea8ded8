"""Detects the strongest isolation this host offers and builds the command that applies it.

Order: bubblewrap (private mount, pid, net, ipc and uts namespaces, read-only view of
only what the run needs), then plain namespaces via unshare (no network, own pids, but
the host's filesystem stays readable), then resource limits alone.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from grader.evidence.model import Isolation

SANDBOX_UID = 65534  # nobody: owns nothing on the host


@dataclass(frozen=True)
class HostIsolation:
    level: Isolation
    notes: tuple[str, ...] = field(default_factory=tuple)
    drop_user: bool = False  # running as root: switch to an unprivileged uid inside


def _works(cmd: list[str]) -> bool:
    try:
        return subprocess.run(cmd, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@functools.lru_cache(maxsize=1)
def detect() -> HostIsolation:
    """Probe the host once per process (cheap: two tiny sandboxed `true` runs at most)."""
    forced = os.environ.get("GRADER_ISOLATION")
    root = os.geteuid() == 0
    notes: list[str] = []
    setpriv = shutil.which("setpriv")
    if root and not setpriv:
        notes.append("setpriv not found: sandboxed code keeps root's uid (without capabilities)")
    bwrap = shutil.which("bwrap")
    if forced in (None, "", "bwrap") and bwrap:
        probe = [bwrap, *_bwrap_namespaces(root), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]
        if _works(probe):
            return HostIsolation(Isolation.BWRAP, tuple(notes), drop_user=root and bool(setpriv))
        notes.append("bubblewrap is installed but cannot create namespaces here")
    elif forced in (None, "") and not bwrap:
        notes.append("bubblewrap (bwrap) not found: install it for full isolation (make setup does)")
    unshare = shutil.which("unshare")
    if forced in (None, "", "bwrap", "namespaces") and unshare:
        if _works([unshare, *_unshare_flags(root), "true"]):
            return HostIsolation(Isolation.NAMESPACES, tuple(notes), drop_user=root and bool(setpriv))
        notes.append("unshare cannot create namespaces here")
    notes.append("no namespaces: the run is contained by resource limits only and can read the host's files")
    return HostIsolation(Isolation.LIMITS_ONLY, tuple(notes), drop_user=root and bool(setpriv))


def _bwrap_namespaces(root: bool) -> list[str]:
    # As root we skip the user namespace so the uid switch below is a real host uid.
    ns = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    return ns if root else ["--unshare-all"]


def _unshare_flags(root: bool) -> list[str]:
    flags = ["--net", "--pid", "--fork", "--ipc", "--uts", "--mount-proc", "--kill-child"]
    return flags if root else ["--user", "--map-root-user", *flags]


def python_executable() -> str:
    """This interpreter's path as the sandbox can find it: normalised (a '..' through a folder
    the sandbox does not mount would not resolve there) but not resolved (a venv's python is a
    symlink whose own path is what makes it the venv)."""
    return os.path.normpath(os.path.abspath(sys.executable))


def python_roots() -> list[Path]:
    """Folders the sandboxed interpreter needs: the venv and the base installation."""
    roots = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parent.parent}
    return sorted(roots)


@dataclass(frozen=True)
class Mounts:
    work: Path  # writable, becomes /sandbox/work
    out: Path  # writable, becomes /sandbox/out
    runtime: Path  # read-only probe code, becomes /sandbox/runtime
    etc: Path  # synthetic passwd/group/hosts
    data_files: dict[str, Path] = field(default_factory=dict)  # name in /sandbox/data -> host file or folder (read-only)
    # Folders of the interpreter that runs inside (read-only); None: this interpreter's python_roots().
    python_roots: tuple[Path, ...] | None = None


INSIDE_WORK = "/sandbox/work"
INSIDE_OUT = "/sandbox/out"
INSIDE_RUNTIME = "/sandbox/runtime"
INSIDE_DATA = "/sandbox/data"
INSIDE_HOME = "/home/student"


def bwrap_prefix(host: HostIsolation, mounts: Mounts, *, tmp_mb: int, env: dict[str, str]) -> list[str]:
    """The whole bwrap command line up to the program to run: mounts, datasets, devices, env."""
    cmd = ["bwrap", *_bwrap_namespaces(os.geteuid() == 0), "--die-with-parent", "--new-session", "--clearenv"]
    for top in ("usr", "bin", "sbin", "lib", "lib64", "lib32", "libx32"):
        path = Path("/") / top
        if path.is_symlink():
            cmd += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            cmd += ["--ro-bind", str(path), str(path)]
    cmd += ["--proc", "/proc", "--dev", "/dev"]
    # POSIX semaphores live in /dev/shm: multiprocessing's locks (Keras's image_dataset_from_directory
    # uses a ThreadPool) fail with EACCES in bwrap's root-owned one.
    cmd += ["--perms", "1777", "--size", str(64 * 1024 * 1024), "--tmpfs", "/dev/shm"]
    cmd += ["--perms", "1777", "--size", str(tmp_mb * 1024 * 1024), "--tmpfs", "/tmp"]
    # Sized like /tmp: an unsized tmpfs would hold whatever the run writes, until memory runs out.
    cmd += ["--perms", "0755", "--size", str(tmp_mb * 1024 * 1024), "--tmpfs", "/home"]
    cmd += ["--perms", "1777", "--dir", INSIDE_HOME]
    # Made explicitly: as an implicit parent of the binds below /etc would be 0700, and the
    # unprivileged uid could read neither passwd/hosts nor the fonts and loader cache.
    cmd += ["--perms", "0755", "--dir", "/etc"]
    for name in ("passwd", "group", "hosts"):
        cmd += ["--ro-bind", str(mounts.etc / name), f"/etc/{name}"]
    for shared in ("/etc/fonts", "/etc/ld.so.cache", "/etc/localtime", "/etc/mime.types"):
        if os.path.exists(shared):
            cmd += ["--ro-bind", shared, shared]
    # bwrap creates missing parents as 0700: make them traversable for the unprivileged uid.
    roots = python_roots() if mounts.python_roots is None else [Path(r) for r in mounts.python_roots]
    targets = [str(r) for r in roots] + [INSIDE_RUNTIME, INSIDE_WORK, INSIDE_OUT, INSIDE_DATA]
    made: set[str] = set()
    for target in targets:
        for parent in reversed(Path(target).parents):
            if str(parent) != "/" and str(parent) not in made:
                made.add(str(parent))
                cmd += ["--perms", "0755", "--dir", str(parent)]
    cmd += ["--perms", "0755", "--dir", INSIDE_DATA]
    for root in roots:
        cmd += ["--ro-bind", str(root), str(root)]
    cmd += ["--ro-bind", str(mounts.runtime), INSIDE_RUNTIME]
    for name, path in mounts.data_files.items():
        cmd += ["--ro-bind", str(Path(path).resolve()), f"{INSIDE_DATA}/{name}"]
    cmd += ["--bind", str(mounts.work), INSIDE_WORK, "--bind", str(mounts.out), INSIDE_OUT]
    cmd += gpu_binds(env.get("CUDA_VISIBLE_DEVICES"))
    cmd += [a for k, v in env.items() for a in ("--setenv", k, v)]
    cmd += ["--chdir", INSIDE_WORK]
    return cmd


def unshare_prefix() -> list[str]:
    return ["unshare", *_unshare_flags(os.geteuid() == 0)]


def drop_privileges(uid: int) -> list[str]:
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
            "--inh-caps=-all", "--bounding-set=-all"]


def gpu_binds(visible: str | None, dev: Path = Path("/dev")) -> list[str]:
    """bwrap arguments exposing NVIDIA device files when the run was given a GPU.

    bwrap's own /dev holds only the basic devices, so CUDA inside sees no GPU unless the
    driver's nodes are bound in; CUDA_VISIBLE_DEVICES then picks which one the run uses.
    """
    if not visible:
        return []
    args: list[str] = []
    for node in sorted(dev.glob("nvidia*")):
        args += ["--dev-bind", str(node), str(node)]
    caps = dev / "nvidia-caps"
    if caps.is_dir() and str(caps) not in args:
        args += ["--dev-bind", str(caps), str(caps)]
    return args
