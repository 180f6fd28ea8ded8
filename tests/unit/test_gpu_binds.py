from pathlib import Path

from grader.sandbox.isolation import gpu_binds


def test_no_gpu_assigned_binds_nothing(tmp_path: Path):
    (tmp_path / "nvidia0").touch()
    assert gpu_binds("", tmp_path) == [] and gpu_binds(None, tmp_path) == []


def test_assigned_gpu_binds_every_nvidia_node(tmp_path: Path):
    for name in ("nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm", "null"):
        (tmp_path / name).touch()
    args = gpu_binds("1", tmp_path)
    bound = args[1::3]
    assert args[0::3] == ["--dev-bind"] * 4 and all("nvidia" in b for b in bound) and len(bound) == 4


def test_python_path_is_normalised_but_not_resolved(monkeypatch):
    import sys

    from grader.sandbox.isolation import python_executable

    monkeypatch.setattr(sys, "executable", "/opt/course/bench/../.venv/bin/python")
    assert python_executable() == "/opt/course/.venv/bin/python"
