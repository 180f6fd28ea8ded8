"""The end of a run is recorded without waiting on the interpreter's teardown.

With TensorFlow loaded, a kernel's graceful shutdown (and a script's exit) spends about a second tearing the
interpreter down, recording nothing. The driver has the probe record what only the end shows (figures still
open, hand-written trainings, the shims' final counts) and then stops the kernel at once; a kernel that cannot
be seen to record it is shut down gracefully, so that its atexit records it instead. A script still waits for
the student's threads and runs every atexit handler before its process ends.

These run the probe's driver directly, with a real kernel through nbclient, outside the sandbox: what is tested
is the driver's ending, which the sandbox does not change.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat

from grader.sandbox.runner import RUNTIME_DIR

OPEN_FIGURE = """
import atexit
import matplotlib
matplotlib.use("Agg")  # never shown inline: only the end of the run finds it
import matplotlib.pyplot as plt
plt.plot([1, 2, 3])
atexit.register(lambda: open({mark!r}, "w").write("atexit ran"))
"""


def _drive(kind: str, entry: Path, out: Path, run_timeout: int = 240) -> tuple[subprocess.CompletedProcess, list[dict]]:
    out.mkdir()
    env = {**os.environ, "GRADER_OUT": str(out), "PYTHONPATH": str(RUNTIME_DIR), "MPLBACKEND": "Agg",
           "JUPYTER_PLATFORM_DIRS": "1"}
    proc = subprocess.run([sys.executable, "-m", "grader_probe.driver", kind, str(entry), "--run-timeout",
                           str(run_timeout)],
                          env=env, capture_output=True, text=True, timeout=300, cwd=entry.parent)
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    return proc, events


def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nbformat.write(nb, path)
    return path


def _names(events: list[dict]) -> list[str]:
    return [e["event"] for e in events]


def test_a_kernel_records_the_end_of_its_run_and_is_stopped_without_its_teardown(tmp_path: Path) -> None:
    mark = tmp_path / "teardown.txt"
    nb = _notebook(tmp_path / "nb.ipynb", OPEN_FIGURE.format(mark=str(mark)), "print('done')")
    proc, events = _drive("notebook", nb, tmp_path / "out")
    assert proc.returncode == 0, proc.stderr[-3000:]
    names = _names(events)
    # The figure left open is recorded by the probe's finish, before the run's end ...
    assert names.count("figure") == 1 and names.index("figure") < names.index("run_end"), names
    assert [e["status"] for e in events if e["event"] == "run_end"] == ["ok"]
    # ... and the kernel was then stopped without its teardown: the student's atexit handler never ran.
    assert not mark.exists()


def test_a_kernel_that_cannot_record_the_end_is_shut_down_gracefully(tmp_path: Path) -> None:
    mark = tmp_path / "teardown.txt"
    # The driver's request to the probe fails in this kernel: its own atexit must record the figure instead.
    nb = _notebook(tmp_path / "nb.ipynb", OPEN_FIGURE.format(mark=str(mark)),
                   "import grader_probe\ngrader_probe.finish = None")
    proc, events = _drive("notebook", nb, tmp_path / "out")
    assert proc.returncode == 0, proc.stderr[-3000:]
    names = _names(events)
    assert names.count("figure") == 1 and names.index("figure") < names.index("run_end"), names
    assert mark.read_text() == "atexit ran"
    executed = nbformat.read(tmp_path / "out" / "executed.ipynb", as_version=4)
    assert len(executed.cells) == 2  # the driver's own request left no trace in the notebook


def test_a_kernel_that_hangs_on_the_end_of_its_run_still_ends_it_in_time(tmp_path: Path) -> None:
    """A quarter of the time the run has left (here: a few seconds of a 30 s run), then a graceful shutdown."""
    mark = tmp_path / "teardown.txt"
    nb = _notebook(tmp_path / "nb.ipynb", OPEN_FIGURE.format(mark=str(mark)),
                   "import time, grader_probe\ngrader_probe.finish = lambda: time.sleep(600)")
    proc, events = _drive("notebook", nb, tmp_path / "out", run_timeout=30)
    assert proc.returncode == 0, proc.stderr[-3000:]
    names = _names(events)
    assert [e["status"] for e in events if e["event"] == "run_end"] == ["ok"], names
    assert names.count("figure") == 1 and names.index("figure") < names.index("run_end"), names
    assert mark.read_text() == "atexit ran"
    run_end = next(e for e in events if e["event"] == "run_end")
    assert run_end["t"] - events[0]["t"] < 30  # within the run's limit: the host would not have killed it


def test_a_script_ends_as_python_would_less_the_teardown(tmp_path: Path) -> None:
    done, mark = tmp_path / "thread.txt", tmp_path / "atexit.txt"
    script = tmp_path / "sub.py"
    script.write_text(OPEN_FIGURE.format(mark=str(mark)) + f"""
import sys
import threading
import time

def late():
    time.sleep(1.0)
    open({str(done)!r}, "w").write("the thread finished")

threading.Thread(target=late).start()  # not a daemon: Python waits for it before exiting
sys.exit(3)
""")
    proc, events = _drive("script", script, tmp_path / "out")
    assert proc.returncode == 3, proc.stderr[-3000:]  # the script's own exit status
    assert done.read_text() == "the thread finished"
    assert mark.read_text() == "atexit ran"
    names = _names(events)
    assert names.count("figure") == 1 and names.index("figure") < names.index("run_end"), names
    assert [(e["status"], e.get("exit_code")) for e in events if e["event"] == "run_end"] == [("exit", 3)]
