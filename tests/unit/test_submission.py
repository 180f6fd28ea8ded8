"""Pre-flight checks: a submission that cannot run is described, never executed."""

import json

from grader.intake.submission import load_submission


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def test_empty_file_is_refused(tmp_path):
    sub = load_submission(write(tmp_path, "a.py", "   \n"))
    assert not sub.runnable and "empty" in sub.problem


def test_invalid_notebook_json_names_the_line(tmp_path):
    sub = load_submission(write(tmp_path, "a.ipynb", '{"cells": [\n  {oops}\n'))
    assert sub.kind == "notebook" and not sub.runnable
    assert "not valid JSON" in sub.problem and "line 2" in sub.problem


def test_binary_file_is_refused(tmp_path):
    sub = load_submission(write(tmp_path, "a.py", b"\x89PNG\r\n\x1a\n\xff\xfe\x00"))
    assert not sub.runnable and "UTF-8" in sub.problem


def test_unknown_suffix(tmp_path):
    sub = load_submission(write(tmp_path, "a.txt", "print(1)"))
    assert not sub.runnable and ".py or .ipynb" in sub.problem


def test_non_python_kernel_is_refused(tmp_path):
    nb = {"cells": [{"cell_type": "code", "source": "1", "metadata": {}, "outputs": [], "execution_count": None}],
          "metadata": {"kernelspec": {"name": "ir", "language": "R", "display_name": "R"}}, "nbformat": 4, "nbformat_minor": 5}
    sub = load_submission(write(tmp_path, "a.ipynb", json.dumps(nb)))
    assert not sub.runnable and "'R'" in sub.problem


def test_good_script_and_hash(tmp_path):
    a = load_submission(write(tmp_path, "a.py", "print(1)\n"))
    b = load_submission(write(tmp_path, "b.py", "print(2)\n"))
    assert a.runnable and a.kind == "script" and len(a.sha256) == 64 and a.sha256 != b.sha256


def test_missing_file(tmp_path):
    assert not load_submission(tmp_path / "nope.py").runnable
