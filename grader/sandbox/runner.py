"""Runs one submission under the strongest isolation available, within hard limits.

The caller gets plain files back (the event log, saved models, figures) plus what the
host saw: exit status, signals, time, output volume, memory kills. Nothing here parses
the student's output to decide anything.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from grader.evidence.events import ProbeEvent
from grader.evidence.model import Isolation, Limits, SubmissionKind
from grader.sandbox import cgroups, disk, isolation
from grader.sandbox.disk import DiskEnforcement, RunDisk
from grader.sandbox.isolation import (INSIDE_DATA, INSIDE_HOME, INSIDE_OUT, INSIDE_RUNTIME, INSIDE_WORK,
                                      SANDBOX_UID, Mounts)

INSIDE_WEIGHTS = "/sandbox/weights"

RUNTIME_DIR = Path(__file__).resolve().parent.parent / "runtime"
STDOUT_KEEP = 1024 * 1024
TAIL_KEEP = 256 * 1024
# How often the run's disk is checked against its cap. On a size-limited filesystem (see
# grader.sandbox.disk) the kernel holds the cap and this only notices that it was hit; where the
# folders are polled instead, a run can write this many seconds of disk bandwidth past the cap.
DISK_CHECK_S = 0.25
# The disk cap, as a multiple of the largest file a run may write.
DISK_CAP_FILES = 4


@dataclass(frozen=True)
class SandboxRequest:
    source: Path  # a file, or a folder whose files all travel with the run
    entry: str  # path of the script/notebook relative to the work folder
    kind: str  # 'script' or 'notebook'
    limits: Limits
    datasets: dict[str, Path] = field(default_factory=dict)  # name in sandbox -> host file or folder
    # Served entries also linked into the working folder, for relative paths like
    # pd.read_csv("USA_Housing.csv"); a file of that name the submission brought along wins.
    work_links: tuple[str, ...] = ()
    continue_on_error: bool = True
    quick: float = 0.0  # fraction of each dataset to keep (0 = all)
    extra_env: dict[str, str] = field(default_factory=dict)
    compat: str | None = None  # 'keras2': the probe accepts Keras 2 calls (grader_probe.compat)
    # The weights store (grader.weights), bound read-only for VGG16(weights="imagenet") and the like;
    # None: $GRADER_WEIGHTS, else the default folder under the grader's cache, when it exists.
    weights: Path | None = None
    uid: int = SANDBOX_UID
    # Another interpreter to run under (a course's venv), with the folders it needs bound read-only;
    # None: the grader's own (see grader.intake.environments).
    python: str | None = None
    python_roots: tuple[Path, ...] | None = None
    # Called from the grader's process with each progress event (cell, fit, epoch) as it lands.
    on_event: Callable[[dict[str, Any]], None] | None = field(default=None, compare=False)
    # Called from the grader's process with the run's output folder when a fit begins or ends (a fit_data or fit
    # event lands), so that its rows and its saved model can be verified while the run goes on
    # (grader.verify.speculation). Must return at once.
    on_fit: Callable[[Path], None] | None = field(default=None, compare=False)


@dataclass
class SandboxResult:
    run_dir: Path
    out_dir: Path
    isolation: Isolation
    notes: list[str]
    returncode: int | None
    timed_out: bool
    output_exceeded: bool
    disk_exceeded: bool
    oom_killed: bool
    duration_s: float
    stdout_head: str
    log_tail: str
    output_bytes: int
    peak_memory_mb: float | None
    leftover_processes: int
    tasks_exhausted: bool = False
    disk_enforcement: DiskEnforcement = DiskEnforcement.POLL
    disk_limit_bytes: int = 0  # what the work and output folders may hold together
    disk_peak_bytes: int = 0  # the most they were measured to hold
    disk: RunDisk | None = field(default=None, repr=False, compare=False)

    def cleanup(self) -> None:
        if self.disk is not None:
            self.disk.release()
        shutil.rmtree(self.run_dir, ignore_errors=True)


class _Drain:
    """Reads one pipe to the end, keeping a bounded head and tail and counting bytes."""

    def __init__(self, stream, on_byte_count, keep_head: int):
        self.head = bytearray()
        self.tail: deque[bytes] = deque()
        self.tail_size = 0
        self._stream, self._count, self._keep_head = stream, on_byte_count, keep_head
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while chunk := self._stream.read1(65536) if hasattr(self._stream, "read1") else self._stream.read(65536):
            self._count(len(chunk))
            if len(self.head) < self._keep_head:
                self.head += chunk[: self._keep_head - len(self.head)]
            self.tail.append(chunk)
            self.tail_size += len(chunk)
            while self.tail_size > TAIL_KEEP and len(self.tail) > 1:
                self.tail_size -= len(self.tail.popleft())

    def tail_text(self) -> str:
        return b"".join(self.tail)[-TAIL_KEEP:].decode("utf-8", "replace")


def _write_etc(folder: Path, uid: int) -> None:
    folder.mkdir()
    (folder / "passwd").write_text(f"root:x:0:0::/root:/bin/false\nstudent:x:{uid}:{uid}::{INSIDE_HOME}:/bin/sh\n")
    (folder / "group").write_text(f"root:x:0:\nstudent:x:{uid}:\n")
    (folder / "hosts").write_text("127.0.0.1 localhost\n::1 localhost\n")


def _copy_source(req: SandboxRequest, work: Path) -> None:
    if req.source.is_dir():
        shutil.copytree(req.source, work, symlinks=True, dirs_exist_ok=True)
    else:
        shutil.copy2(req.source, work / req.entry)


def _link_data(work: Path, req: SandboxRequest, inside_data: str) -> None:
    # Links resolve inside the sandbox, where the data folder is mounted read-only.
    for name in req.work_links:
        if name in req.datasets and not os.path.lexists(work / name):
            (work / name).symlink_to(f"{inside_data}/{name}")


def _weights_folder(req: SandboxRequest) -> Path | None:
    if req.weights is not None:
        return req.weights.resolve() if req.weights.is_dir() else None
    from grader.errors import ConfigError
    from grader.weights.store import WeightsStore

    try:
        return WeightsStore.resolve().sandbox_folder()
    except ConfigError:  # a $GRADER_WEIGHTS that names no folder: no weights, and each missing file is noted
        return None


def _env(req: SandboxRequest, inside: dict[str, str], python_bin: str) -> dict[str, str]:
    cpus = str(max(1, req.limits.cpus))
    env = {
        "HOME": inside["home"], "USER": "student", "LOGNAME": "student", "LANG": "C.UTF-8",
        "PATH": f"{python_bin}:/usr/local/bin:/usr/bin:/bin", "PYTHONPATH": inside["runtime"],
        "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
        "GRADER_OUT": inside["out"], "GRADER_DATA": inside["data"], "GRADER_WORK": inside["work"], "GRADER_CPUS": cpus,
        "TF_NUM_INTRAOP_THREADS": cpus, "TF_NUM_INTEROP_THREADS": str(min(2, int(cpus))),
        "OMP_NUM_THREADS": cpus, "OPENBLAS_NUM_THREADS": cpus, "MKL_NUM_THREADS": cpus,
        "KERAS_HOME": f"{inside['home']}/.keras", "MPLCONFIGDIR": f"{inside['home']}/.config/matplotlib",
        "IPYTHONDIR": f"{inside['home']}/.ipython", "JUPYTER_RUNTIME_DIR": f"{inside['tmp']}/jupyter-runtime",
        "JUPYTER_PLATFORM_DIRS": "1", "TMPDIR": inside["tmp"], "TF_CPP_MIN_LOG_LEVEL": "1",
        "CUDA_VISIBLE_DEVICES": "",
    }
    if req.kind == SubmissionKind.SCRIPT:
        env["MPLBACKEND"] = "Agg"  # notebooks get ipykernel's inline backend instead
    if req.quick:
        env["GRADER_QUICK"] = str(req.quick)
    if req.compat:
        env["GRADER_COMPAT"] = req.compat
    if inside.get("weights"):
        env["GRADER_WEIGHTS"] = inside["weights"]
    if req.limits.seed is not None:  # the probe seeds random/NumPy/TF/Keras (grader_probe.seeding)
        env["GRADER_SEED"] = str(req.limits.seed)
        env["PYTHONHASHSEED"] = str(req.limits.seed)  # set and dict orders of str keys, too
    env.update(req.extra_env)
    return env


def _preexec(limits: Limits, group: cgroups.RunCgroup | None):
    mem = limits.memory_mb * 2**20

    def setup() -> None:
        os.setsid()
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        fsize = limits.file_size_mb * 2**20
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        if group is not None:
            group.attach()
        else:
            # No cgroup: fall back to address space, which TensorFlow needs >= ~4 GiB of.
            cap = max(mem, 5 * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        if group is None or group.pids is None:
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))

    return setup


def run_sandboxed(req: SandboxRequest) -> SandboxResult:
    host = isolation.detect()
    run_dir = Path(tempfile.mkdtemp(prefix="grader-run-", dir=os.environ.get("GRADER_TMP")))
    (run_dir / "disk").mkdir()
    run_disk = disk.prepare(run_dir / "disk", DISK_CAP_FILES * req.limits.file_size_mb * 2**20)
    try:
        return _run(req, host, run_dir, run_disk)
    except BaseException:
        run_disk.release()
        shutil.rmtree(run_dir, ignore_errors=True)
        raise


def _run(req: SandboxRequest, host: isolation.HostIsolation, run_dir: Path, run_disk: RunDisk) -> SandboxResult:
    notes = [*host.notes, run_disk.note]
    # The work and output folders share the run's disk, and with it one cap.
    work, out, etc, data = run_disk.root / "work", run_disk.root / "out", run_dir / "etc", run_dir / "data"
    for folder in (work, out, data, run_dir / "tmp", run_dir / "home"):
        folder.mkdir()
    _write_etc(etc, req.uid)
    try:
        _copy_source(req, work)
    except OSError:
        if not run_disk.check()[1]:
            raise  # not the cap: a grader or host problem, reported as such
        notes.append(f"disk: the submission's own files do not fit in its disk limit of "
                     f"{run_disk.cap_bytes / 2**20:g} MiB; nothing ran")
        return _not_run(host, run_dir, out, notes, run_disk)
    for name, path in req.datasets.items():
        (data / name).symlink_to(Path(path).resolve())
    weights = _weights_folder(req)
    python = req.python or isolation.python_executable()
    python_bin = str(Path(python).parent)
    if host.level is Isolation.BWRAP:
        inside = {"work": INSIDE_WORK, "out": INSIDE_OUT, "runtime": INSIDE_RUNTIME, "data": INSIDE_DATA,
                  "home": INSIDE_HOME, "tmp": "/tmp"}
        _link_data(work, req, INSIDE_DATA)
        mounts = Mounts(work, out, RUNTIME_DIR, etc, dict(req.datasets), python_roots=req.python_roots)
        if weights is not None:
            inside["weights"] = INSIDE_WEIGHTS
        prefix = isolation.bwrap_prefix(host, mounts, tmp_mb=1024, env=_env(req, inside, python_bin))
        if weights is not None:  # read-only, like the dataset files; bwrap reads options up to the command
            prefix += ["--ro-bind", str(weights), INSIDE_WEIGHTS]
        popen_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    else:
        inside = {"work": str(work), "out": str(out), "runtime": str(RUNTIME_DIR), "data": str(data),
                  "home": str(run_dir / "home"), "tmp": str(run_dir / "tmp")}
        if weights is not None:
            inside["weights"] = str(weights)
        prefix = isolation.unshare_prefix() if host.level is Isolation.NAMESPACES else []
        _link_data(work, req, str(data))
        popen_env = _env(req, inside, python_bin)
    if host.drop_user:
        for folder in (work, out, run_dir / "home", run_dir / "tmp"):
            for path in [folder, *folder.rglob("*")]:
                os.lchown(path, req.uid, req.uid)
        os.chmod(run_dir, 0o755)
        os.chmod(run_disk.root, 0o755)
        prefix += isolation.drop_privileges(req.uid)
    entry = f"{inside['work']}/{req.entry}"
    command = [*prefix, python, "-m", "grader_probe.driver", req.kind, entry,
               "--run-timeout", str(req.limits.timeout_s),
               "--output-limit", str(req.limits.output_mb * 2**20)]
    if req.limits.cell_timeout_s is not None:  # else a cell may use what the run's own limit leaves it
        command += ["--cell-timeout", str(req.limits.cell_timeout_s)]
    if not req.continue_on_error:
        command.append("--stop-on-error")

    group, why = cgroups.create(req.limits.memory_mb, req.limits.processes, req.limits.cpus)
    notes.append(f"limits: {why}" if group else f"limits: rlimits only ({why})")
    state = {"bytes": 0}
    limit_bytes = req.limits.output_mb * 2**20
    started = time.monotonic()
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=popen_env, cwd=str(work), preexec_fn=_preexec(req.limits, group))

    def count(n: int) -> None:
        state["bytes"] += n

    out_drain = _Drain(proc.stdout, count, STDOUT_KEEP)
    err_drain = _Drain(proc.stderr, count, 0)
    timed_out = output_exceeded = disk_exceeded = False
    disk_peak = 0
    next_disk_check = 0.0
    tail = _EventTail(out / "events.jsonl", req.on_event, (lambda: req.on_fit(out)) if req.on_fit else None) \
        if req.on_event or req.on_fit else None
    while proc.poll() is None:
        now = time.monotonic()
        if tail is not None:
            tail.poll()
        if now - started > req.limits.timeout_s:
            timed_out = True
        elif state["bytes"] > limit_bytes:
            output_exceeded = True
        elif now >= next_disk_check:
            next_disk_check = now + DISK_CHECK_S
            used, disk_exceeded = run_disk.check()
            disk_peak = max(disk_peak, used)
        if timed_out or output_exceeded or disk_exceeded:
            _kill(proc, group)
            break
        time.sleep(0.05)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        _kill(proc, group)
        proc.wait()
    duration = time.monotonic() - started
    if tail is not None:
        tail.poll()  # whatever landed between the last poll and the exit
    leftover = len(group.procs()) if group else 0
    oom = group.oom_killed() if group else False
    peak = group.peak_memory_mb() if group else None
    tasks_exhausted = group.tasks_exhausted() if group else False
    if group:
        group.kill_all()
    # Once nothing can write any more: a run that hit its cap and ended before the next check
    # (it caught the ENOSPC and exited, or wrote its last burst and finished) is still caught.
    used, full = run_disk.check()
    disk_peak, disk_exceeded = max(disk_peak, used), disk_exceeded or full
    if oom and run_disk.enforcement is DiskEnforcement.FILESYSTEM and disk_peak * 4 >= req.limits.memory_mb * 2**20:
        notes.append(f"disk: the run's files ({disk_peak / 2**20:.0f} MiB) were on a tmpfs, which counts against "
                     f"its memory limit of {req.limits.memory_mb} MiB")
    out_drain.thread.join(timeout=5)
    err_drain.thread.join(timeout=5)
    log = out_drain.tail_text() + ("\n" if out_drain.tail else "") + err_drain.tail_text()
    return SandboxResult(
        run_dir=run_dir, out_dir=out, isolation=host.level, notes=notes, returncode=proc.returncode,
        timed_out=timed_out, output_exceeded=output_exceeded, disk_exceeded=disk_exceeded, oom_killed=oom,
        duration_s=duration, stdout_head=bytes(out_drain.head).decode("utf-8", "replace"), log_tail=log,
        output_bytes=state["bytes"], peak_memory_mb=peak, leftover_processes=leftover,
        tasks_exhausted=tasks_exhausted, disk_enforcement=run_disk.enforcement,
        disk_limit_bytes=run_disk.cap_bytes, disk_peak_bytes=disk_peak, disk=run_disk,
    )


def _not_run(host: isolation.HostIsolation, run_dir: Path, out: Path, notes: list[str],
             run_disk: RunDisk) -> SandboxResult:
    """The result of a run that never started because the submission's files filled its disk."""
    used, _ = run_disk.check()
    return SandboxResult(
        run_dir=run_dir, out_dir=out, isolation=host.level, notes=notes, returncode=None, timed_out=False,
        output_exceeded=False, disk_exceeded=True, oom_killed=False, duration_s=0.0, stdout_head="", log_tail="",
        output_bytes=0, peak_memory_mb=None, leftover_processes=0, disk_enforcement=run_disk.enforcement,
        disk_limit_bytes=run_disk.cap_bytes, disk_peak_bytes=used, disk=run_disk,
    )


class _EventTail:
    """Follows the event log while the run is going, for live progress (display only)."""

    KINDS = {ProbeEvent.RUN_START, ProbeEvent.CELL_START, ProbeEvent.CELL_END, ProbeEvent.FIT_START, ProbeEvent.EPOCH,
             ProbeEvent.FIT, ProbeEvent.EVALUATE, ProbeEvent.RUN_END, ProbeEvent.DATASET, ProbeEvent.FIT_ESTIMATE,
             ProbeEvent.TIME_LIMIT}
    # The events that wake on_fit; the probe writes the name first (grader_probe.events.emit), so even a line too
    # big to parse here is told by its start.
    FIT_KINDS = (ProbeEvent.FIT, ProbeEvent.FIT_DATA)
    FIT_LINES = tuple(b'{"event":"' + kind.value.encode() + b'",' for kind in FIT_KINDS)

    def __init__(self, path: Path, callback: Callable[[dict[str, Any]], None] | None,
                 on_fit: Callable[[], None] | None = None):
        self.path, self.callback, self.on_fit, self.offset, self.partial = path, callback, on_fit, 0, b""

    def poll(self) -> None:
        try:
            with self.path.open("rb") as fh:
                fh.seek(self.offset)
                chunk = fh.read(1 << 20)
        except OSError:
            return
        self.offset += len(chunk)
        lines = (self.partial + chunk).split(b"\n")
        self.partial = lines.pop()[-65536:]
        fitted = False
        for line in lines:
            if len(line) > 65536:
                # Progress needs only small events; big ones are read after the run. A fit's event can be big
                # (a long history): the probe writes its name first (grader_probe.events.emit).
                fitted = fitted or line.startswith(self.FIT_LINES)
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue
            kind = ProbeEvent.of(event.get("event")) if isinstance(event, dict) else None
            fitted = fitted or kind in self.FIT_KINDS
            if self.callback is not None and kind in self.KINDS:
                try:
                    self.callback(event)
                except Exception:
                    pass  # a display problem must never stop the run
        if fitted and self.on_fit is not None:
            try:
                self.on_fit()
            except Exception:
                pass  # verifying early is only a head start: the run goes on regardless


def _kill(proc: subprocess.Popen, group: cgroups.RunCgroup | None) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if group is not None:
        group.kill_all(remove=False)  # removed after the run's counters have been read
