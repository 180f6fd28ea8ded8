"""The hostile-submission cases, as data.

Each case is one small submission (a file name and its source, or a builder for binary, zip,
symlink and generated-notebook cases), the run status it must end with, a regular expression its
run message must match, and what its printed output must (not) show. Sources are templates:

    @TOKEN@    a marker unique to the run (also in the submission's file name, so every process
               it starts carries it in its command line)
    @PORT@     a TCP listener the test opens on the host's 127.0.0.1
    @REPO@     the grader's checkout          @HOME@   the host's home folder
    @OTHER@    another student's file, in the same class folder
    @DATA@     the grader's dataset store     @HOSTDIR@  a host folder the case must not touch
    @SECRET_VAR@  the name of an environment variable the grader holds a secret in

Cases that need TensorFlow inside the sandbox say so (`tf=True`); the rest run in about a second.
"""

from __future__ import annotations

import json
import textwrap
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Statuses, as RunStatus values (kept as text so this module imports nothing from the grader).
COMPLETED, WITH_ERRORS, CRASHED, EXITED = "completed", "completed_with_errors", "crashed", "exited"
TIMEOUT, MEMORY, OUTPUT, KILLED, INVALID = "timeout", "memory_limit", "output_limit", "killed", "invalid"

OTHER_SECRET = "OTHER-STUDENT-ANSWER-7f3c"  # what the other student's file holds
SECRET_VALUE = "grader-secret-9b1d4e"  # what the grader's environment holds


@dataclass(frozen=True)
class Case:
    id: str
    group: str
    status: frozenset[str]
    message: str  # regex, searched in the run's message
    source: str | list[Any] | None = None  # script text, or notebook cells (see write_submission)
    file: str = ""  # default: '<id>_@TOKEN@.py'
    build: Callable[[Path, dict[str, str]], tuple[Path, Path | None]] | None = None  # -> (entry, workdir)
    limits: dict[str, Any] = field(default_factory=dict)
    printed_has: tuple[str, ...] = ()  # regexes the printed output must match
    printed_lacks: tuple[str, ...] = ()  # texts that must not appear in printed output or log
    warning: str | None = None  # regex one of the evidence's warnings must match
    max_seconds: float = 40.0  # wall time of the whole run, verification included
    no_models: bool = False  # the evidence must hold no model (so no figure came from the submission)
    fills_disk: bool = False  # writes until refused: its run folder must end up holding about its disk cap
    tf: bool = False

    @property
    def filename(self) -> str:
        return self.file or f"{self.id}_@TOKEN@.py"


def case(id: str, group: str, status: str | tuple[str, ...], message: str, **kw: Any) -> Case:
    statuses = frozenset((status,) if isinstance(status, str) else status)
    if isinstance(kw.get("source"), str):
        kw["source"] = textwrap.dedent(kw["source"]).lstrip()
    return Case(id, group, statuses, message, **kw)


def fill(text: str, ctx: dict[str, str]) -> str:
    for key, value in ctx.items():
        text = text.replace(f"@{key}@", value)
    return text


ATTEMPT = """
def attempt(kind, path, data="written by the submission"):
    try:
        if kind == "write":
            with open(path, "w") as fh:
                fh.write(data)
            print("ALLOWED", kind, path)
        elif kind == "list":
            print("ALLOWED", kind, path, sorted(__import__("os").listdir(path))[:20])
        else:
            with open(path, errors="replace") as fh:
                print("ALLOWED", kind, path, fh.read(200))
    except Exception as exc:
        print("REFUSED", kind, path, type(exc).__name__)
"""


def attempts(*pairs: tuple[str, str]) -> str:
    return ATTEMPT + "".join(f"attempt({kind!r}, {path!r})\n" for kind, path in pairs)


# -- builders: submissions a plain text file cannot express --------------------------------------


def _folder_with_link(target: str, reader: str) -> Callable[[Path, dict[str, str]], tuple[Path, Path | None]]:
    def build(folder: Path, ctx: dict[str, str]) -> tuple[Path, Path | None]:
        work = folder / f"linked_{ctx['TOKEN']}"
        work.mkdir(parents=True)
        (work / "answers.txt").symlink_to(fill(target, ctx))
        entry = work / f"main_{ctx['TOKEN']}.py"
        entry.write_text(fill(textwrap.dedent(reader), ctx))
        return entry, work
    return build


READ_LINK = """
    try:
        print("LINK", open("answers.txt").read()[:400])
    except OSError as exc:
        print("LINK REFUSED", type(exc).__name__)
"""


def _bytes_file(name: str, data: bytes) -> Callable[[Path, dict[str, str]], tuple[Path, Path | None]]:
    def build(folder: Path, ctx: dict[str, str]) -> tuple[Path, Path | None]:
        path = folder / fill(name, ctx)
        path.write_bytes(data)
        return path, None
    return build


def _notebook(name: str, nb: dict[str, Any]) -> Callable[[Path, dict[str, str]], tuple[Path, Path | None]]:
    return _bytes_file(name, json.dumps(nb).encode())


def _many_cells(folder: Path, ctx: dict[str, str]) -> tuple[Path, Path | None]:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(f"x = {i}") for i in range(10_000)]
    path = folder / f"cells_{ctx['TOKEN']}.ipynb"
    nbformat.write(nb, str(path))
    return path, None


NB_V3 = {
    "metadata": {"name": "old"}, "nbformat": 3, "nbformat_minor": 0,
    "worksheets": [{"cells": [{"cell_type": "code", "collapsed": False, "input": "print('v3 ran', 6 * 7)",
                               "language": "python", "metadata": {}, "outputs": [], "prompt_number": 1}],
                    "metadata": {}}],
}
NB_R = {
    "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
               "source": "print(\"hello from R\")"}],
    "metadata": {"kernelspec": {"name": "ir", "display_name": "R", "language": "R"},
                 "language_info": {"name": "R"}},
    "nbformat": 4, "nbformat_minor": 5,
}


def zip_bomb(path: Path) -> None:
    """One member that inflates 1,000-fold: refused by ratio before anything is written."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("hw.py", b"#" * (64 * 2**20))


def zip_slip(path: Path, token: str) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hw.py", "print('zipped')\n")
        zf.writestr(f"../../escaped_{token}.py", "print('escaped')\n")
        zf.writestr(f"/tmp/absolute_{token}.py", "print('absolute')\n")


# -- the cases -------------------------------------------------------------------------------------

CASES: list[Case] = [
    # Escapes and snooping.
    case("net_outside", "escape", COMPLETED, "completed", source="""
        import socket
        for address in [("1.1.1.1", 80), ("8.8.8.8", 53), ("10.0.0.1", 22)]:
            try:
                socket.create_connection(address, timeout=2).close()
                print("CONNECTED", address)
            except OSError as exc:
                print("NO NETWORK", address, type(exc).__name__)
        try:
            print("CONNECTED dns", socket.gethostbyname("example.com"))
        except OSError:
            print("NO DNS")
    """, printed_has=("NO NETWORK", "NO DNS"), printed_lacks=("CONNECTED",)),
    case("net_host_loopback", "escape", COMPLETED, "completed", source="""
        import socket
        for host in ("127.0.0.1", "localhost", "0.0.0.0"):
            try:
                s = socket.create_connection((host, @PORT@), timeout=2)
                s.sendall(b"@TOKEN@")
                print("CONNECTED", host)
            except OSError as exc:
                print("NO LISTENER", host, type(exc).__name__)
    """, printed_has=("NO LISTENER 127.0.0.1",), printed_lacks=("CONNECTED",)),
    case("read_grader_files", "escape", COMPLETED, "completed",
         source=attempts(("read", "@REPO@/pyproject.toml"), ("read", "@REPO@/grader/assemble.py"),
                         ("list", "@REPO@"), ("read", "/sandbox/runtime/../../@REPO@/pyproject.toml")),
         printed_has=("REFUSED read @REPO@/pyproject.toml",), printed_lacks=("ALLOWED read", "[project]")),
    case("read_other_student", "escape", COMPLETED, "completed",
         source=attempts(("read", "@OTHER@"), ("list", "@HOSTDIR@"), ("read", "../other_student.py"),
                         ("list", ".."))
         + "import glob\nfor top in ('/sandbox', '/tmp', '/home'):\n"
         + "    print('GLOB', top, glob.glob(top + '/**/other_student*', recursive=True)[:5])\n",
         printed_has=("REFUSED read @OTHER@", r"GLOB /sandbox \[\]", r"GLOB /tmp \[\]"),
         printed_lacks=(OTHER_SECRET, "ALLOWED read")),
    case("read_datasets_beyond_served", "escape", COMPLETED, "completed",
         source=attempts(("list", "@DATA@"), ("list", "/sandbox/data")),
         # Only what the grader serves: the archive and the generated primitives image folder.
         printed_has=(r"REFUSED list @DATA@", r"ALLOWED list /sandbox/data \['mnist.npz', 'primitive_3d_objects'\]")),
    case("read_host_environment", "escape", COMPLETED, "completed", source="""
        import os
        print("ENV", sorted(os.environ))
        print("VAR", os.environ.get("@SECRET_VAR@"))
        for pid in ("self", "1", str(os.getppid())):
            try:
                print("ENVIRON", pid, open(f"/proc/{pid}/environ", "rb").read()[:2000])
            except OSError as exc:
                print("REFUSED environ", pid, type(exc).__name__)
    """, printed_has=("VAR None",), printed_lacks=(SECRET_VALUE,)),
    case("read_host_home", "escape", COMPLETED, "completed",
         source=attempts(("list", "@HOME@"), ("read", "@HOME@/.bashrc"), ("read", "@HOME@/.ssh/id_rsa"),
                         ("read", "/root/.bash_history"))
         + "import os\nprint('HOME IS', os.path.expanduser('~'))\n",
         printed_has=("HOME IS /home/student",), printed_lacks=("ALLOWED read", ".bashrc'", ".ssh'")),
    case("write_outside_work", "escape", COMPLETED, "completed",
         source=attempts(("write", "@HOSTDIR@/planted_@TOKEN@"), ("write", "@REPO@/planted_@TOKEN@"),
                         ("write", "@REPO@/grader/planted_@TOKEN@.py"), ("write", "/etc/planted_@TOKEN@"),
                         ("write", "/usr/lib/planted_@TOKEN@"), ("write", "@DATA@/planted_@TOKEN@"),
                         ("write", "/sandbox/runtime/grader_probe/planted_@TOKEN@.py"), ("write", "mine.txt")),
         printed_has=("REFUSED write @HOSTDIR@/planted_@TOKEN@", "ALLOWED write mine.txt"),
         printed_lacks=("ALLOWED write /", "ALLOWED write @")),
    case("symlink_to_passwd", "escape", COMPLETED, "completed", build=_folder_with_link("/etc/passwd", READ_LINK),
         printed_has=(r"LINK root:x:0:0::/root:/bin/false\nstudent:x:65534|LINK REFUSED",),
         printed_lacks=("root:x:0:0:root",)),
    case("symlink_to_other_student", "escape", COMPLETED, "completed", build=_folder_with_link("@OTHER@", READ_LINK),
         printed_has=("LINK REFUSED",), printed_lacks=(OTHER_SECRET,)),
    case("kill_parent", "escape", (COMPLETED, KILLED), ".", source="""
        import os, signal
        for pid in (os.getppid(), 1):
            try:
                os.kill(pid, signal.SIGKILL)
                print("SIGNALLED", pid)
            except OSError as exc:
                print("REFUSED kill", pid, type(exc).__name__)
        print("still running")
    """),
    case("kill_everything", "escape", (KILLED, COMPLETED, CRASHED), "SIGKILL|completed|ProcessLookupError", source="""
        import os
        print("about to kill -1", flush=True)
        os.kill(-1, 9)
        print("survived kill -1")
    """),
    case("daemon_left_running", "escape", (COMPLETED,), "completed", source="""
        import os, time
        r, w = os.pipe()
        if os.fork() == 0:
            os.setsid()
            pid = os.fork()
            if pid == 0:
                os.closerange(0, 3)
                os.execv("/bin/sh", ["/bin/sh", "-c", "sleep 300; echo @TOKEN@"])
            os.write(w, str(pid).encode())
            os._exit(0)
        os.close(w)
        daemon = int(os.read(r, 32))
        time.sleep(0.3)
        os.kill(daemon, 0)  # raises if it is not running
        print("daemon alive", daemon)
    """, printed_has=("daemon alive",)),
    case("raise_own_limits", "escape", COMPLETED, "completed", source="""
        import resource
        for name in ("RLIMIT_FSIZE", "RLIMIT_CORE", "RLIMIT_NPROC", "RLIMIT_AS"):
            which = getattr(resource, name)
            soft, hard = resource.getrlimit(which)
            try:
                resource.setrlimit(which, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
                print("RAISED", name, (soft, hard), "->", resource.getrlimit(which))
            except (ValueError, OSError) as exc:
                print("REFUSED raise", name, type(exc).__name__)
    """, printed_has=("REFUSED raise RLIMIT_FSIZE",), printed_lacks=("RAISED RLIMIT_FSIZE",)),
    case("write_cgroup_files", "escape", COMPLETED, "completed", source=ATTEMPT + """
        for line in open("/proc/self/cgroup"):
            _, controllers, path = line.strip().split(":", 2)
            for c in controllers.split(","):
                if c in ("memory", "pids"):
                    leaf = "memory.limit_in_bytes" if c == "memory" else "pids.max"
                    attempt("write", f"/sys/fs/cgroup/{c}{path}/{leaf}", "-1")
                    attempt("write", f"/sys/fs/cgroup/{c}/{leaf}", "-1")
                    attempt("write", f"/sys/fs/cgroup/{c}/cgroup.procs", "1")
    """, printed_lacks=("ALLOWED",)),

    # Exhaustion.
    case("infinite_loop", "exhaustion", TIMEOUT, "time limit", source="while True:\n    pass\n",
         limits={"timeout_s": 3}, max_seconds=20),
    case("deep_recursion", "exhaustion", (KILLED, CRASHED, EXITED, MEMORY), "SIGSEGV|RecursionError|exit code|memory",
         source="""
        import sys
        sys.setrecursionlimit(10**6)
        def down(n):
            return down(n + 1) + 1
        down(0)
    """, limits={"timeout_s": 60}, max_seconds=75),
    case("memory_bomb", "exhaustion", MEMORY, "memory", source="""
        chunks = []
        while True:
            chunks.append(b"x" * (32 * 2**20))
    """, limits={"memory_mb": 256, "timeout_s": 30}),
    case("fork_bomb", "exhaustion", TIMEOUT, "time limit.*more processes or threads than allowed", source="""
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """, limits={"timeout_s": 4, "processes": 64}),
    case("thread_bomb", "exhaustion", (CRASHED, TIMEOUT), "RuntimeError|thread|time limit", source="""
        import threading, time
        n = 0
        while True:
            threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
            n += 1
    """, limits={"timeout_s": 10, "processes": 64}),
    case("disk_fill", "exhaustion", OUTPUT, "wrote more to disk than allowed", source="""
        import os
        chunk = b"x" * 2**20
        n = 0
        try:
            while True:
                with open(f"fill_{n}.bin", "wb") as fh:
                    for _ in range(8):
                        fh.write(chunk)
                n += 1
        except OSError as exc:
            print("DISK REFUSED after", n, "files:", type(exc).__name__)
    """, limits={"file_size_mb": 8, "timeout_s": 30}, fills_disk=True),
    case("print_gigabyte", "exhaustion", OUTPUT, "output", source="""
        line = "x" * 65535
        for _ in range(16384):
            print(line)
    """, limits={"output_mb": 8, "timeout_s": 60}),
    case("notebook_huge_outputs", "exhaustion", OUTPUT, "output", file="images_@TOKEN@.ipynb", source=["""
        import base64
        from IPython.display import Image, display
        png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
        blob = png + b"\\0" * (4 * 2**20)
        for _ in range(100):
            display(Image(data=blob, format="png"))
    """], limits={"output_mb": 16, "timeout_s": 60}),
    case("notebook_10000_cells", "exhaustion", (COMPLETED, TIMEOUT), "completed|time limit", build=_many_cells,
         limits={"timeout_s": 8}, max_seconds=40),
    case("segfault_ctypes", "exhaustion", KILLED, "killed by SIGSEGV", source="import ctypes\nctypes.string_at(0)\n"),
    case("abort", "exhaustion", KILLED, "killed by SIGABRT", source="import os\nprint('bye', flush=True)\nos.abort()\n"),
    case("sigterm_ignored", "exhaustion", TIMEOUT, "time limit", source="""
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        while True:
            time.sleep(1)
    """, limits={"timeout_s": 3}, max_seconds=20),

    # Grade tampering that needs no TensorFlow.
    case("print_fake_accuracy", "tamper", COMPLETED, "completed", source="""
        print("Test accuracy: 0.9999")
        print("accuracy: 0.99 - val_accuracy: 0.99 - loss: 0.0001")
    """, no_models=True),
    case("malformed_evidence", "tamper", COMPLETED, "completed", source="""
        import json, os
        log = os.path.join(os.environ["GRADER_OUT"], "events.jsonl")
        with open(log, "a") as fh:
            fh.write("{not json\\n")
            fh.write("[" * 100000 + "\\n")
            fh.write(json.dumps({"event": "evaluate", "model": {"id": "forged", "params": "lots"},
                                 "evaluate": {"results": {"accuracy": "ninety-nine"}}}) + "\\n")
            fh.write(json.dumps({"event": "figure", "figure": {"lines": "nope"}}) + "\\n")
    """, warning="malformed event line|did not match the schema", no_models=True),
    case("huge_evidence", "tamper", COMPLETED, "completed", source="""
        import os
        log = os.path.join(os.environ["GRADER_OUT"], "events.jsonl")
        junk = ('{"event": "probe_warning", "message": "' + "x" * (2**20 - 64) + '"}\\n').encode()
        with open(log, "ab") as fh:
            for _ in range(70):
                fh.write(junk)
    """, limits={"file_size_mb": 128}, warning="only the first 64 MiB were read"),

    # Injection into outputs (rendered by the tests; here only the run).
    case("html_and_ansi_output", "injection", WITH_ERRORS, "ValueError", file="inject_@TOKEN@.ipynb", source=[
        ("markdown", "<script>alert('md-@TOKEN@')</script> <img src=x onerror=alert(1)> **bold**"),
        """
        print("<script>alert('out-@TOKEN@')</script>")
        print("\\x1b[31mRED\\x1b[0m \\x1b]0;title\\x07 <iframe src=//evil>")
        from IPython.display import HTML, display
        display(HTML("<script>alert('html-@TOKEN@')</script>"))
        raise ValueError("<script>alert('err-@TOKEN@')</script>")
        """]),
    case("formula_output", "injection", COMPLETED, "completed", file="=HYPERLINK(1)+@TOKEN@.py",
         source="print('=cmd|\\' /C calc\\'!A0')\nprint('+1+1', '-2', '@SUM(1)')\n"),

    # Malformed input.
    case("notebook_invalid_json", "malformed", INVALID, "not valid JSON",
         build=_bytes_file("broken_@TOKEN@.ipynb", b'{"cells": [ {"cell_type": "code", "source": "print(1)"')),
    case("notebook_v3", "malformed", (COMPLETED, INVALID), "completed|format", build=_notebook("v3_@TOKEN@.ipynb", NB_V3)),
    case("notebook_r_kernel", "malformed", INVALID, "kernel language is 'R'", build=_notebook("r_@TOKEN@.ipynb", NB_R)),
    case("binary_file", "malformed", INVALID, "not UTF-8",
         build=_bytes_file("binary_@TOKEN@.py", bytes(range(256)) * 64)),
    case("latin1_file", "malformed", INVALID, "not UTF-8",
         build=_bytes_file("latin1_@TOKEN@.py", "# café\nprint('olé')\n".encode("latin-1"))),
    case("null_bytes", "malformed", INVALID, "does not parse: .*null bytes$",
         build=_bytes_file("nul_@TOKEN@.py", b"print('a')\x00\nprint('b')\n")),
    case("name_spaces_unicode", "malformed", COMPLETED, "completed", file="my hómework ✓ (final) @TOKEN@.py",
         source="print('unicode ok', __file__)\n", printed_has=("unicode ok",)),
    case("notebook_not_a_notebook", "malformed", INVALID, "not a Jupyter notebook",
         build=_bytes_file("list_@TOKEN@.ipynb", b'[1, 2, 3]')),

    # Grade tampering with TensorFlow: verified figures stay the grader's own.
    case("tamper_history_and_print", "tamper", COMPLETED, "completed", tf=True, source="""
        import keras
        (x, y), (xt, yt) = keras.datasets.mnist.load_data()
        model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x[:300] / 255.0, y[:300], epochs=1, verbose=0, validation_split=0.2)
        history.history["accuracy"] = [0.999]
        history.history["val_accuracy"] = [0.999]
        print("Test accuracy: 0.999")
    """, max_seconds=120),
    case("tamper_monkeypatch_evaluate", "tamper", COMPLETED, "completed", tf=True, source="""
        import keras
        (x, y), (xt, yt) = keras.datasets.mnist.load_data()
        model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x[:300] / 255.0, y[:300], epochs=1, verbose=0)
        keras.Model.evaluate = lambda self, *a, **k: [0.001, 0.999]
        import grader_probe.kerasprobe as probe
        for name in dir(probe):
            if callable(getattr(probe, name)) and not name.startswith("__"):
                setattr(probe, name, lambda *a, **k: None)
        print("EVAL", model.evaluate(xt / 255.0, yt, verbose=0))
    """, printed_has=(r"EVAL \[0.001, 0.999\]",), max_seconds=120),
    case("tamper_forged_model_file", "tamper", COMPLETED, "completed", tf=True, source="""
        import json, os
        import keras
        (x, y), _ = keras.datasets.mnist.load_data()
        model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x[:300] / 255.0, y[:300], epochs=1, verbose=0)
        out = os.environ["GRADER_OUT"]
        for root, _, files in os.walk(out):
            for name in files:
                if name.endswith(".keras"):
                    with open(os.path.join(root, name), "wb") as fh:
                        fh.write(b"PK\\x03\\x04 this is not a model")
                    print("FORGED", name)
    """, printed_has=("FORGED",), max_seconds=120),
    case("tamper_forged_events", "tamper", COMPLETED, "completed", tf=True, source="""
        import json, os
        model = {"id": "m1", "name": "sequential", "class_name": "Sequential", "framework": "keras",
                 "kind": "sequential", "params": {"total": 7850, "trainable": 7850, "non_trainable": 0,
                                                         "weights": 7840, "biases": 10},
                 "optimizer": {"class_name": "SGD"}, "loss": "sparse_categorical_crossentropy"}
        fit = {"index": 0, "epochs_requested": 10, "epochs_run": 10, "saved_model": "../../../etc/passwd",
               "history": {"accuracy": [0.99] * 10, "val_accuracy": [0.99] * 10}}
        with open(os.path.join(os.environ["GRADER_OUT"], "events.jsonl"), "a") as fh:
            fh.write(json.dumps({"event": "fit", "model": model, "fit": fit}) + "\\n")
            fh.write(json.dumps({"event": "evaluate", "model": model,
                                 "evaluate": {"index": 0, "results": {"accuracy": 0.99, "loss": 0.01}}}) + "\\n")
        print("forged")
    """, printed_has=("forged",), max_seconds=60),
    case("tamper_smuggled_weights", "tamper", COMPLETED, "completed", tf=True, source="""
        import keras
        (x, y), _ = keras.datasets.mnist.load_data()
        def make():
            m = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
            m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            return m
        make().save_weights("pretrained.weights.h5")  # stands in for a file shipped with the submission
        model = make()
        model.load_weights("pretrained.weights.h5")
        model.fit(x[:100] / 255.0, y[:100], epochs=1, verbose=0)
    """, warning="loaded weights or a model from a file", max_seconds=120),
    case("tamper_fit_on_test_split", "tamper", COMPLETED, "completed", tf=True, source="""
        import keras
        (x, y), (xt, yt) = keras.datasets.mnist.load_data()
        model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(xt / 255.0, yt, epochs=1, verbose=0)
    """, warning=r"trained on [\d,]+ of the [\d,]+ rows of the test split", max_seconds=120),
    case("tamper_lambda_layer", "tamper", COMPLETED, "completed", tf=True, source="""
        import keras
        (x, y), _ = keras.datasets.mnist.load_data()
        model = keras.Sequential([keras.Input((28, 28)), keras.layers.Lambda(lambda t: t / 255.0),
                                  keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x[:300], y[:300], epochs=1, verbose=0)
    """, max_seconds=120),
    case("tamper_subclassed_model", "tamper", COMPLETED, "completed", tf=True, source="""
        import keras
        (x, y), _ = keras.datasets.mnist.load_data()
        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.flat = keras.layers.Flatten()
                self.out = keras.layers.Dense(10, activation="softmax")
            def call(self, t):
                return self.out(self.flat(t))
        model = Net()
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x[:300] / 255.0, y[:300], epochs=1, verbose=0)
    """, max_seconds=120),
]

# Submissions for the batch run next to a known-good control (all quick, all hostile).
BATCH = ("fork_bomb", "memory_bomb", "daemon_left_running", "kill_everything", "thread_bomb", "print_gigabyte")

CONTROL = "print('CONTROL OK')\nprint('the answer is', 6 * 7)\n"
