"""The run's disk (grader.sandbox.disk): a tmpfs of the cap's size where the host lets the grader
mount one, the folders measured where it does not, and no mount outliving the grader that made it."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.sandbox import disk
from grader.sandbox.disk import DiskEnforcement

MIB = 2**20


def _mounted(path: Path) -> bool:
    points = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    return str(path) in points


@pytest.fixture
def mounted_disk(tmp_path: Path, monkeypatch):
    """A 1 MiB run disk on a tmpfs; skipped where this host lets no mount be made."""
    monkeypatch.delenv("GRADER_DISK_LIMIT", raising=False)
    root = tmp_path / "disk"
    root.mkdir()
    run_disk = disk.prepare(root, 1 * MIB)
    if run_disk.enforcement is not DiskEnforcement.FILESYSTEM:
        pytest.skip(f"no tmpfs can be mounted here: {run_disk.reason}")
    yield run_disk
    run_disk.release()


def test_writes_past_the_cap_are_refused(mounted_disk) -> None:
    root = mounted_disk.root
    assert _mounted(root)
    (root / "small.bin").write_bytes(b"s" * 4096)
    used, over = mounted_disk.check()
    assert 4096 <= used < MIB and not over
    with pytest.raises(OSError) as refused:
        (root / "big.bin").write_bytes(b"x" * (2 * MIB))
    assert refused.value.errno == errno.ENOSPC
    used, over = mounted_disk.check()
    assert over and used <= MIB
    # What was written before the cap is intact.
    assert (root / "small.bin").read_bytes() == b"s" * 4096
    assert "1 MiB tmpfs" in mounted_disk.note


def test_too_many_files_count_as_hitting_the_cap(tmp_path: Path, monkeypatch) -> None:
    """The tmpfs caps files too (a tmpfs inode is kernel memory): running out of them is hitting the cap."""
    monkeypatch.delenv("GRADER_DISK_LIMIT", raising=False)
    root = tmp_path / "disk"
    root.mkdir()
    run_disk = disk.prepare(root, 1 * MIB)
    if run_disk.enforcement is not DiskEnforcement.FILESYSTEM:
        pytest.skip(f"no tmpfs can be mounted here: {run_disk.reason}")
    try:
        made = 0
        with pytest.raises(OSError) as refused:
            while made < 10 * disk.MIN_INODES:
                (root / f"f{made}").touch()
                made += 1
        assert refused.value.errno == errno.ENOSPC
        assert made < disk.MIN_INODES
        assert run_disk.check()[1]
    finally:
        run_disk.release()


def test_release_unmounts_and_leaves_an_empty_folder(mounted_disk) -> None:
    root = mounted_disk.root
    (root / "kept_until_release.bin").write_bytes(b"k" * 1000)
    mounted_disk.release()
    assert not _mounted(root)
    assert list(root.iterdir()) == []
    root.rmdir()


def test_poll_is_the_fallback_and_says_why(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GRADER_DISK_LIMIT", "poll")
    root = tmp_path / "disk"
    root.mkdir()
    run_disk = disk.prepare(root, 1 * MIB)
    assert run_disk.enforcement is DiskEnforcement.POLL
    assert not _mounted(root)
    assert "measured against 1 MiB" in run_disk.note and "GRADER_DISK_LIMIT=poll" in run_disk.note
    (root / "work").mkdir()
    (root / "work" / "half.bin").write_bytes(b"h" * (MIB // 2))
    assert run_disk.check() == (MIB // 2, False)
    (root / "work" / "more.bin").write_bytes(b"m" * MIB)  # nothing refuses it: the check reports it
    assert run_disk.check() == (MIB // 2 + MIB, True)
    run_disk.release()  # nothing to release, and no error
    assert (root / "work" / "more.bin").exists()


def test_a_disk_left_by_a_dead_grader_is_swept(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("GRADER_DISK_LIMIT", raising=False)
    if os.geteuid() != 0:
        pytest.skip("mounting needs root")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead_tag = disk._owner_tag(child.pid)  # taken while it lives, as its mount would carry it
    finally:
        child.kill()
        child.wait()
    stale, live = tmp_path / "grader-run-stale" / "disk", tmp_path / "grader-run-live" / "disk"
    for folder in (stale, live):
        folder.mkdir(parents=True)
    problem = disk._mount_tmpfs(stale, "size=65536", source=dead_tag)
    if problem:
        pytest.skip(f"no tmpfs can be mounted here: {problem}")
    assert disk._mount_tmpfs(live, "size=65536") == ""  # this process's: alive
    try:
        swept = disk.sweep_stale()
        assert stale in swept and live not in swept
        assert not _mounted(stale) and not stale.parent.exists()  # its run folder went with it
        assert _mounted(live)
    finally:
        disk._umount(live)
        disk._umount(stale)
