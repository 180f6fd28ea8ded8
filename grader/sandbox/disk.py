"""The run's disk: one size-limited filesystem holding the work and output folders.

Measuring the folders while the run goes cannot keep a cap: a fast disk takes hundreds of MiB
between two measurements. Where the grader may mount (root, with CAP_SYS_ADMIN), the two folders
live on a private tmpfs of exactly the cap's size, and the kernel refuses the write that would pass
it (ENOSPC). Elsewhere the folders are measured every few tenths of a second, as before, and the
run records which of the two held its cap.

A tmpfs is memory: what the run writes there is charged to its memory cgroup like anything it
allocates, until the run's files are removed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import shutil
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

MS_NOSUID, MS_NODEV = 2, 4
MNT_DETACH = 2
TAG = "grader-disk"  # the mount's source name, so a leftover of a dead grader can be found
# Files the run may create on its disk, beside the byte cap: a tmpfs inode costs kernel memory.
MIN_INODES, MAX_INODES = 16384, 1 << 20


class DiskEnforcement(str, Enum):
    """What held the run's disk cap."""

    FILESYSTEM = "filesystem"
    """A tmpfs of the cap's size: the kernel refuses writes past it."""
    POLL = "poll"
    """The folders were measured during the run, which stops a run that passed the cap, late."""


@dataclass
class RunDisk:
    """The folder holding a run's work and output folders, and how its cap is kept."""

    root: Path
    cap_bytes: int
    enforcement: DiskEnforcement
    reason: str = ""  # why the cap is polled, where it is

    @property
    def note(self) -> str:
        mib = self.cap_bytes / 2**20
        if self.enforcement is DiskEnforcement.FILESYSTEM:
            return f"disk: work and output folders on a {mib:g} MiB tmpfs (writes past it fail)"
        return f"disk: work and output folders measured against {mib:g} MiB while the run goes ({self.reason})"

    def check(self) -> tuple[int, bool]:
        """(bytes the folders hold, whether the run has hit its cap). On the filesystem the cap was
        hit when it is full (no block or no inode left); polled, when the folders measure past it."""
        if self.enforcement is DiskEnforcement.FILESYSTEM:
            try:
                st = os.statvfs(self.root)
            except OSError:
                return 0, False
            full = st.f_bavail == 0 or (st.f_files > 0 and st.f_favail == 0)
            return (st.f_blocks - st.f_bfree) * st.f_frsize, full
        used = folder_size(self.root)
        return used, used > self.cap_bytes

    def release(self) -> None:
        """Unmount the run's filesystem (its files go with it); a polled disk has nothing to release."""
        if self.enforcement is DiskEnforcement.FILESYSTEM:
            _umount(self.root)


def prepare(root: Path, cap_bytes: int) -> RunDisk:
    """Make `root` (an empty folder) the run's disk: a tmpfs of `cap_bytes` where the host allows it."""
    forced = os.environ.get("GRADER_DISK_LIMIT", "")
    if forced == "poll":
        return RunDisk(root, cap_bytes, DiskEnforcement.POLL, "GRADER_DISK_LIMIT=poll")
    if os.geteuid() != 0:
        return RunDisk(root, cap_bytes, DiskEnforcement.POLL, "not root: no private filesystem can be mounted")
    sweep_stale()
    inodes = min(MAX_INODES, max(MIN_INODES, cap_bytes // 4096))
    problem = _mount_tmpfs(root, f"size={cap_bytes},nr_inodes={inodes},mode=0755")
    if problem:
        return RunDisk(root, cap_bytes, DiskEnforcement.POLL, f"no tmpfs could be mounted: {problem}")
    return RunDisk(root, cap_bytes, DiskEnforcement.FILESYSTEM)


def folder_size(folder: Path) -> int:
    """Bytes in the regular files under `folder` (links not followed)."""
    total = 0
    try:
        for entry in os.scandir(folder):
            if entry.is_dir(follow_symlinks=False):
                total += folder_size(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                total += entry.stat(follow_symlinks=False).st_size
    except OSError:
        pass
    return total


# -- mounting --------------------------------------------------------------------------------------

_libc = None


def _lib():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return _libc


def _mount_tmpfs(target: Path, options: str, source: str | None = None) -> str:
    """Mount a tmpfs on `target`, named after this process unless `source` is given; '' on success,
    else the reason."""
    try:
        lib = _lib()
        rc = lib.mount((source or _owner_tag()).encode(), str(target).encode(), b"tmpfs", MS_NOSUID | MS_NODEV,
                       options.encode())
    except (OSError, AttributeError) as exc:
        return str(exc)
    if rc != 0:
        err = ctypes.get_errno()
        return f"{errno.errorcode.get(err, err)} ({os.strerror(err)})"
    return ""


def _umount(target: Path) -> None:
    try:
        _lib().umount2(str(target).encode(), MNT_DETACH)
    except (OSError, AttributeError):
        pass


def _start_time(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _pid_namespace() -> str:
    try:
        return "".join(c for c in os.readlink("/proc/self/ns/pid") if c.isdigit())
    except OSError:
        return "0"


def _owner_tag(pid: int | None = None) -> str:
    """Names the process that mounted a run's disk: its pid namespace, pid and start time
    (a pid alone can be reused by the time anyone looks)."""
    pid = os.getpid() if pid is None else pid
    return f"{TAG}:{_pid_namespace()}:{pid}:{_start_time(pid)}"


def _unescape(path: str) -> str:
    # mountinfo writes space, tab, newline and backslash in octal
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        path = path.replace(code, char)
    return path


def sweep_stale() -> list[Path]:
    """Unmount run disks left by a grader process that died before its cleanup (a killed worker),
    so their memory comes back. Only mounts made from this pid namespace are judged."""
    swept: list[Path] = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return swept
    ns = _pid_namespace()
    for line in lines:
        head, _, tail = line.partition(" - ")
        fields, rest = head.split(), tail.split()
        if len(fields) < 5 or len(rest) < 2 or rest[0] != "tmpfs" or not rest[1].startswith(TAG + ":"):
            continue
        parts = rest[1].split(":")
        if len(parts) != 4 or parts[1] != ns or not parts[2].isdigit():
            continue
        if _start_time(int(parts[2])) == parts[3]:
            continue  # its grader is alive: the run is going, or its results are still being read
        mount = Path(_unescape(fields[4]))
        _umount(mount)
        swept.append(mount)
        if mount.parent.name.startswith("grader-run-"):
            shutil.rmtree(mount.parent, ignore_errors=True)
    return swept
