"""Fixtures for the hostile-submission suite: a host to snoop on (another student's file, a folder
the cases must not touch, a loopback listener, a secret in the grader's environment), and the
checks that prove nothing outside the sandbox changed and no process outlived the run."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG

import pytest

from .cases import OTHER_SECRET, SECRET_VALUE

REPO = Path(__file__).resolve().parents[2]
SECRET_VAR = "GRADER_SUITE_SECRET"
SANDBOX_UID = 65534


class Listener:
    """A TCP server on the host's 127.0.0.1 that records every connection it gets."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections: list[tuple[str, int]] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, addr = self.sock.accept()
            except OSError:
                continue
            self.connections.append(addr)
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self.thread.join(timeout=2)
        self.sock.close()


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir" if path.is_dir() else "-"
    except OSError as exc:
        return f"unreadable:{exc.errno}"


def _names(folder: Path) -> set[str]:
    try:
        return set(os.listdir(folder))
    except OSError:
        return set()


@dataclass
class Host:
    """What a case could reach on the host, with a before/after snapshot of it."""

    root: Path
    token: str
    other: Path
    hostdir: Path
    data: Path
    runs: Path
    listener: Listener
    watched: list[Path] = field(default_factory=list)
    started: float = field(default_factory=time.time)

    @property
    def ctx(self) -> dict[str, str]:
        return {"TOKEN": self.token, "PORT": str(self.listener.port), "REPO": str(REPO), "OTHER": str(self.other),
                "DATA": str(self.data), "HOSTDIR": str(self.hostdir), "HOME": str(Path.home()),
                "SECRET_VAR": SECRET_VAR}

    def snapshot(self) -> dict[str, object]:
        """Hashes of every file a case targets, and the names in every folder it tries to write to."""
        files = [self.other, *self.hostdir.rglob("*"), *self.data.rglob("*"), Path("/etc/passwd"),
                 Path("/etc/hosts"), Path.home() / ".bashrc", *self.watched]
        folders = [self.hostdir, REPO, REPO / "grader", REPO / "grader" / "runtime" / "grader_probe", Path("/etc"),
                   Path("/usr/lib"), self.data, Path.home(), Path("/tmp"), self.root, self.root.parent]
        snap: dict[str, object] = {str(p): _digest(p) for p in files}
        # Folders others work in change under us: only names carrying this case's marker count there.
        snap.update({f"names:{f}": sorted(n for n in _names(f) if self.token in n) for f in folders})
        snap["names:hostdir"] = sorted(_names(self.hostdir))
        return snap


def processes_of(token: str, since: float) -> list[str]:
    """Host processes that carry the marker in their command line, or that run as the sandbox's
    uid, were started after `since` and were re-parented to init (a daemon that escaped its run)."""
    found = []
    boot = _boot_time()
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = Path(entry.path, "cmdline").read_bytes()
            stat = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            uid = os.stat(entry.path).st_uid
        except OSError:
            continue
        if stat[0] == "Z":
            continue
        ppid, start = int(stat[1]), boot + int(stat[19]) / ticks
        if token.encode() in cmdline or (uid == SANDBOX_UID and ppid == 1 and start >= since - 1):
            found.append(f"pid {entry.name} uid {uid} ppid {ppid}: {cmdline[:200]!r}")
    return found


def _boot_time() -> float:
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return 0.0


def wait_for_no_processes(token: str, since: float, seconds: float = 5.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while (left := processes_of(token, since)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.fixture(scope="session")
def listener():
    server = Listener()
    # It does hear the host: a connection from here is recorded (then forgotten).
    socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
    deadline = time.monotonic() + 5
    while not server.connections and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.connections, "the loopback listener does not work"
    server.connections.clear()
    yield server
    server.close()


@pytest.fixture
def host(tmp_path: Path, dataset_store, dataset_files, listener, monkeypatch) -> Host:
    """A fresh host layout for one case; the grader's environment holds a secret while it runs,
    and the run's scratch folders go to a folder the test checks is empty afterwards."""
    token = f"hx{uuid.uuid4().hex[:10]}"
    klass = tmp_path / "class"
    klass.mkdir()
    other = klass / "other_student.py"
    other.write_text(f"# {OTHER_SECRET}\nprint('{OTHER_SECRET}')\n")
    hostdir = tmp_path / "host"
    hostdir.mkdir()
    (hostdir / "sentinel.txt").write_text("the host's own file\n")
    runs = tmp_path / "runs"
    runs.mkdir()
    monkeypatch.setenv(SECRET_VAR, SECRET_VALUE)
    monkeypatch.setenv("GRADER_TMP", str(runs))
    data = Path(dataset_files["mnist.npz"]).resolve().parent
    return Host(klass, token, other, hostdir, data, runs, listener)


# -- the suite's figures, printed at the end of a run (SECURITY.md quotes them) --------------------

FIGURES: dict[str, object] = {"cases": {}, "grader_crashes": 0, "results_lost": 0, "processes_leaked": 0,
                              "disk_peak_mb": 0.0, "disk_enforcement": set()}


def record(case_id: str, **facts: object) -> None:
    FIGURES["cases"].setdefault(case_id, {}).update(facts)  # type: ignore[union-attr]


def _bytes_on_disk(folder: Path) -> int:
    """What the regular files under `folder` occupy (allocated blocks, so a sparse file counts as
    what it holds); links are not followed."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            if S_ISREG(st.st_mode):
                total += st.st_blocks * 512
    return total


@pytest.fixture
def disk_peak(monkeypatch) -> dict[str, object]:
    """What the run's folder held when the run ended, measured here by walking it (not by the
    runner's own check), with the cap and what the runner says kept it."""
    import grader.api

    seen: dict[str, object] = {"bytes": 0, "cap": None, "enforcement": None}
    run = grader.api.run_sandboxed

    def measured(req):
        result = run(req)
        # All of the run's folder but the home and /tmp a run without bubblewrap is given (outside
        # the cap, as /tmp and home are tmpfs of their own under bubblewrap).
        held = sum(_bytes_on_disk(p) for p in result.run_dir.iterdir() if p.name not in ("home", "tmp"))
        seen.update(bytes=held, cap=result.disk_limit_bytes,
                    enforcement=result.disk_enforcement.value)
        return result

    monkeypatch.setattr(grader.api, "run_sandboxed", measured)
    return seen


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" or "hostile" not in report.nodeid:
        return
    name = report.nodeid.split("::")[-1]
    case_id = name.split("[", 1)[1].rstrip("]") if "[" in name else name
    record(case_id, contained=report.passed, seconds=round(report.duration, 1))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    cases = FIGURES["cases"]
    if not cases:
        return
    write = terminalreporter.write_line
    done = [c for c in cases.values() if "contained" in c]  # type: ignore[union-attr]
    write("")
    write("hostile submissions: %d/%d contained, %d grader crash(es), %d result(s) lost, %d process(es) leaked, "
          "largest run folder %.1f MiB (disk cap kept by %s)" % (
              sum(bool(c["contained"]) for c in done), len(done), FIGURES["grader_crashes"], FIGURES["results_lost"],
              FIGURES["processes_leaked"], FIGURES["disk_peak_mb"],
              ", ".join(sorted(FIGURES["disk_enforcement"])) or "-"))  # type: ignore[arg-type]
    for case_id, facts in cases.items():  # type: ignore[union-attr]
        if "status" in facts:
            write(f"  {case_id:34} {facts['status']:22} {facts.get('seconds', '?'):>5} s  {facts['message'][:90]}")
