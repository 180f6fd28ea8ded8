"""Per-run memory and task limits through cgroups, where the host lets us create them.

cgroup v1 (memory + pids controllers) and cgroup v2 (with memory/pids delegated) are both
handled; where neither is writable the caller falls back to rlimits and says so.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

V1_ROOT = Path("/sys/fs/cgroup")


def _own_v1_path(controller: str) -> Path | None:
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controller in controllers.split(","):
                return V1_ROOT / controller / path.lstrip("/")
    except OSError:
        return None
    return None


def _own_v2_path() -> Path | None:
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            if line.startswith("0::"):
                base = V1_ROOT / "unified" if (V1_ROOT / "unified").is_dir() else V1_ROOT
                return base / line[3:].lstrip("/")
    except OSError:
        return None
    return None


@dataclass
class RunCgroup:
    """The cgroup folders one run lives in; `attach` runs in the child before exec."""

    memory: Path | None
    pids: Path | None
    version: int
    cpu: Path | None = None

    @property
    def dirs(self) -> list[Path]:
        return [p for p in {self.memory, self.pids, self.cpu} if p is not None]

    def attach(self) -> None:
        for folder in self.dirs:
            (folder / "cgroup.procs").write_text("0")

    def oom_killed(self) -> bool:
        if self.memory is None:
            return False
        try:
            if self.version == 1:
                text = (self.memory / "memory.oom_control").read_text()
                for line in text.splitlines():
                    if line.startswith("oom_kill ") and int(line.split()[1]) > 0:
                        return True
                return int((self.memory / "memory.failcnt").read_text()) > 0 and "under_oom 1" in text
            events = (self.memory / "memory.events").read_text()
            return any(line.startswith("oom_kill ") and int(line.split()[1]) > 0 for line in events.splitlines())
        except (OSError, ValueError):
            return False

    def tasks_exhausted(self) -> bool:
        """True when the run tried to start more processes/threads than allowed."""
        if self.pids is None:
            return False
        try:
            text = (self.pids / "pids.events").read_text()
            return any(line.startswith("max ") and int(line.split()[1]) > 0 for line in text.splitlines())
        except (OSError, ValueError):
            return False

    def peak_memory_mb(self) -> float | None:
        if self.memory is None:
            return None
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        try:
            return int((self.memory / name).read_text()) / 2**20
        except (OSError, ValueError):
            return None

    def procs(self) -> list[int]:
        pids: set[int] = set()
        for folder in self.dirs:
            try:
                pids.update(int(p) for p in (folder / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
        return sorted(pids)

    def kill_all(self, *, remove: bool = True) -> None:
        """Kill every process left in the run's cgroup (daemons, orphans), then remove it (unless
        `remove` is false: its counters, peak memory and task exhaustion, are still to be read)."""
        for _ in range(50):
            pids = self.procs()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)
        if not remove:
            return
        for folder in self.dirs:
            try:
                folder.rmdir()
            except OSError:
                pass


def _v1_cpu_quota(name: str, cpus: int) -> Path | None:
    """A CPU quota of `cpus` cores, so a thread bomb or a greedy run cannot starve the host
    or the other runs of a class (the budget `--jobs` hands out is then a hard cap)."""
    parent = _own_v1_path("cpu")
    if parent is None or not (parent / "cpu.cfs_quota_us").exists():
        return None
    try:
        group = parent / name
        group.mkdir()
        (group / "cpu.cfs_period_us").write_text("100000")
        (group / "cpu.cfs_quota_us").write_text(str(max(1, cpus) * 100000))
        return group
    except OSError:
        return None


def create(memory_mb: int, tasks: int, cpus: int = 0) -> tuple[RunCgroup | None, str]:
    """Make a cgroup for one run; returns (None, reason) when the host does not allow it."""
    name = f"grader-{uuid.uuid4().hex[:12]}"
    mem_parent, pids_parent = _own_v1_path("memory"), _own_v1_path("pids")
    if mem_parent and (mem_parent / "memory.limit_in_bytes").exists():
        try:
            mem = mem_parent / name
            mem.mkdir()
            (mem / "memory.limit_in_bytes").write_text(str(memory_mb * 2**20))
            try:
                (mem / "memory.memsw.limit_in_bytes").write_text(str(memory_mb * 2**20))
            except OSError:
                pass  # no swap accounting: nothing to cap
            pids = None
            if pids_parent and (pids_parent / "pids.max").exists() or pids_parent and pids_parent.exists():
                try:
                    pids = pids_parent / name
                    pids.mkdir()
                    (pids / "pids.max").write_text(str(tasks))
                except OSError:
                    pids = None
            cpu = _v1_cpu_quota(name, cpus) if cpus > 0 else None
            return RunCgroup(mem, pids, 1, cpu), "cgroup v1 memory" + (" + pids" if pids else "") + (f" + cpu quota {cpus}" if cpu else "")
        except OSError as exc:
            return None, f"cgroup v1 not writable ({exc.strerror})"
    v2 = _own_v2_path()
    if v2 and (v2 / "cgroup.controllers").exists():
        try:
            controllers = (v2 / "cgroup.controllers").read_text().split()
            if "memory" not in controllers:
                return None, "cgroup v2 without a memory controller"
            group = v2 / name
            group.mkdir()
            (group / "memory.max").write_text(str(memory_mb * 2**20))
            (group / "memory.swap.max").write_text("0") if (group / "memory.swap.max").exists() else None
            if (group / "pids.max").exists():
                (group / "pids.max").write_text(str(tasks))
            return RunCgroup(group, group, 2), "cgroup v2"
        except OSError as exc:
            return None, f"cgroup v2 not writable ({exc.strerror})"
    return None, "no cgroup memory controller"
