"""Runs one submission inside the sandbox: a script in this process, a notebook via nbclient.

Usage: python -m grader_probe.driver {script|notebook} PATH [--run-timeout S] [--cell-timeout S]
       [--stop-on-error] [--output-limit BYTES]

A cell may run for what remains of the run's time unless a per-cell limit is given: the run's
own limit then fires here, a little before the host's kill, so the cell is interrupted cleanly
(the model it was training is saved, the outputs are written) instead of the whole run being lost.

Everything it learns goes to the event log; it never decides a grade.
"""

from __future__ import annotations

import argparse
import builtins
import json
import os
import re
import signal
import sys
import time
import traceback

from grader_probe import events

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PRINTED_CAP = 1024 * 1024
TB_FRAMES = 200
STARTED = time.monotonic()  # as early as the driver can: the host's clock started a little before
FINISH_TIMEOUT = 30  # seconds the kernel gets to record the run's end before a graceful shutdown instead
DEADLINE_FILE = "deadline.json"  # read by the probe's epoch callback to estimate whether a fit will finish


def reserve(run_timeout: float) -> float:
    """Seconds kept back from the run's limit when a cell runs into it: enough to interrupt the cell, let
    the probe save the model it was training and write the outputs before the host's own kill."""
    return min(60.0, max(min(10.0, 0.25 * run_timeout), 0.1 * run_timeout))  # a short run keeps most of its time


def cell_budget(cell_limit: float | None, run_left: float | None) -> tuple[float | None, str]:
    """Seconds the next cell may run, and which limit sets that: 'cell' (a per-cell limit the rubric or an
    option gave) or 'run' (what the run's own limit leaves). No per-cell limit cuts what the run allows."""
    if run_left is None:
        return cell_limit, "cell"
    if cell_limit is not None and cell_limit <= run_left:
        return cell_limit, "cell"
    return max(run_left, 0.0), "run"


def _run_left(run_timeout: float | None) -> float | None:
    if run_timeout is None:
        return None
    return run_timeout - reserve(run_timeout) - (time.monotonic() - STARTED)


def _publish_deadline(seconds: float | None, limit: str, value: float | None) -> None:
    """Tell the kernel's probe when the cell now running will be stopped (an estimate, for display)."""
    base = events.out_dir()
    if not base:
        return
    try:
        with open(os.path.join(base, DEADLINE_FILE), "w", encoding="utf-8") as fh:
            json.dump({"deadline": None if seconds is None else time.time() + seconds, "limit": limit,
                       "seconds": value}, fh)
    except OSError:
        pass


def _student_lineno(tb, path: str) -> int | None:
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == path:
            line = lineno
    return line


def _format_tb(exc: BaseException, path: str) -> str:
    # Only the innermost frames: a runaway recursion leaves a million of them, and extracting
    # them all (source lines included) would cost the run more time than the recursion did.
    frames = traceback.extract_tb(exc.__traceback__, limit=-TB_FRAMES)
    # Hide the driver's own frames: the student needs their code, not ours.
    frames = [f for f in frames if "grader_probe" not in f.filename] or frames
    text = "".join(traceback.format_list(frames)) + "".join(traceback.format_exception_only(type(exc), exc))
    return text[-20000:]


class RunLimitReached(KeyboardInterrupt):
    """Raised in a script when the run's time is nearly spent: like Ctrl-C, it ends a fit cleanly (the probe
    saves the model in training) a few seconds before the host would kill the whole process."""


def _arm_run_limit(seconds: float | None) -> None:
    if seconds is None or not hasattr(signal, "setitimer"):
        return

    def fire(signum, frame):
        raise RunLimitReached("the run's time limit was reached")

    signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.01))


def run_script(path: str, run_timeout: float | None = None) -> int:
    path = os.path.abspath(path)
    try:
        with open(path, "rb") as fh:
            source = fh.read()
        code = compile(source, path, "exec")
    except SyntaxError as exc:
        events.emit("run_end", status="syntax_error", ename=type(exc).__name__, evalue=str(exc.msg),
                    lineno=exc.lineno, traceback="".join(traceback.format_exception_only(type(exc), exc)))
        return 1
    sys.argv = [path]
    sys.path.insert(0, os.path.dirname(path))
    namespace = {"__name__": "__main__", "__file__": path, "__builtins__": builtins}
    status, extra, code_out = "ok", {}, 0
    _arm_run_limit(_run_left(run_timeout))
    try:
        exec(code, namespace)
    except RunLimitReached:
        status, code_out = "run_limit", 1
        events.emit("time_limit", limit="run", seconds=run_timeout, cell_index=None, started=True)
    except SystemExit as exc:
        code_out = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        status = "exit" if code_out else "ok"
        extra = {"exit_code": code_out}
    except BaseException as exc:  # everything the student's code raised is data
        status, code_out = "exception", 1
        from grader_probe import seeding

        seeding.note_failure(exc)
        extra = {"ename": type(exc).__name__, "evalue": str(exc)[:2000],
                 "lineno": _student_lineno(exc.__traceback__, path), "traceback": _format_tb(exc, path)}
    finally:
        if hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, 0)
        import grader_probe

        grader_probe.finish()
    sys.stdout.flush()
    events.emit("run_end", status=status, **extra)
    return code_out


class OutputLimitExceeded(Exception):
    pass


def run_notebook(path: str, cell_timeout: float | None, stop_on_error: bool, output_limit: int,
                 run_timeout: float | None = None) -> int:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    nb = nbformat.read(path, as_version=4)
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    markdown = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    events.emit("notebook", cells_total=len(code_cells), markdown=markdown[:PRINTED_CAP])
    printed: list[str] = []
    state = {"bytes": 0, "printed": 0}

    class Client(NotebookClient):
        def output(self, outs, msg, display_id, cell_index):  # type: ignore[override]
            content = msg.get("content", {})
            text = content.get("text") or ""
            data = content.get("data") or {}
            size = len(text) + sum(len(v) if isinstance(v, str) else 256 for v in data.values())
            state["bytes"] += size
            if state["bytes"] > output_limit:
                raise OutputLimitExceeded(f"cell {cell_index} pushed output past {output_limit} bytes")
            plain = text or (data.get("text/plain") if msg.get("msg_type") == "execute_result" else "")
            if plain and state["printed"] < PRINTED_CAP:
                printed.append(plain)
                state["printed"] += len(plain)
            return super().output(outs, msg, display_id, cell_index)

    # On a timeout nbclient interrupts the kernel and hands back error_on_timeout as the cell's
    # reply, but the cell's outputs only show the KeyboardInterrupt the kernel raised: keep the
    # replies so a timeout is recorded as one.
    replies: dict[int, dict] = {}

    def on_cell_error(cell, cell_index, execute_reply, **_):
        replies[cell_index] = dict(execute_reply.get("content") or {})

    current: dict[str, float | None] = {"budget": None}  # the running cell's limit (nbclient's own is whole seconds)
    client = Client(
        nb, timeout=None, timeout_func=lambda cell: current["budget"], kernel_name="python3", allow_errors=True,
        interrupt_on_timeout=True,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}}, record_timing=False,
        on_cell_error=on_cell_error,
    )
    status, extra, ran = "ok", {}, 0
    with client.setup_kernel():
        for n, index in enumerate(code_cells):
            cell = nb.cells[index]
            budget, limit = cell_budget(cell_timeout, _run_left(run_timeout))
            if limit == "run" and budget is not None and budget < 1.0:
                # The run's time is spent: the cells left are not started, and the host need not kill.
                events.emit("time_limit", limit="run", seconds=run_timeout, cell_index=index, started=False)
                status, extra = "run_limit", {"cell_index": index}
                break
            # Set per cell: nbclient reads both as the cell runs (a budget of 0 would mean none: see above).
            current["budget"] = budget
            value = cell_timeout if limit == "cell" else run_timeout
            client.error_on_timeout = {
                "ename": "CellTimeoutError",
                "evalue": (f"cell ran past its {value:g} s limit" if limit == "cell"
                           else f"the run's {value:g} s time limit was reached in this cell"),
                "traceback": []}
            _publish_deadline(budget, limit, value)
            events.emit("cell_start", index=index, n=n + 1, of=len(code_cells))
            started = time.perf_counter()
            try:
                client.execute_cell(cell, index, execution_count=n + 1)
            except DeadKernelError as exc:
                status, extra = "kernel_died", {"cell_index": index, "evalue": str(exc)}
                break
            except OutputLimitExceeded as exc:
                status, extra = "output_limit", {"cell_index": index, "evalue": str(exc)}
                break
            ran += 1
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            reply = replies.pop(index, None)
            timed_out = bool(reply and reply.get("ename") == "CellTimeoutError")
            if timed_out:
                # Where the interrupt landed is the useful part of the traceback.
                errors = [{"ename": "CellTimeoutError", "evalue": reply.get("evalue", ""),
                           "traceback": [line for o in errors for line in o.get("traceback", [])]}]
                events.emit("time_limit", limit=limit, seconds=value, cell_index=index, started=True)
            for err in errors:
                events.emit("cell_error", cell_index=index, execution_count=n + 1, ename=err.get("ename", ""),
                            evalue=str(err.get("evalue", ""))[:2000],
                            traceback=_ANSI.sub("", "\n".join(err.get("traceback", [])))[-20000:])
            events.emit("cell_end", index=index, seconds=round(time.perf_counter() - started, 3))
            if timed_out and limit == "run":
                status, extra = "run_limit", {"cell_index": index}
                break
            if errors and stop_on_error:
                status = "stopped"
                break
        if status == "run_limit":
            # Record the run before the kernel goes: the host's own kill is only seconds away.
            _write_outputs(nb, "".join(printed))
            events.emit("run_end", status=status, cells_run=ran, **extra)
            client.shutdown_kernel = "immediate"
            return 0
        if status != "kernel_died" and _finish_in_kernel(client, _finish_budget(run_timeout)):
            # Everything the run can show is recorded: the kernel's graceful shutdown would only wait on its
            # interpreter's teardown (about a second with TensorFlow loaded) inside a sandbox about to go.
            client.shutdown_kernel = "immediate"
    _write_outputs(nb, "".join(printed))
    events.emit("run_end", status=status, cells_run=ran, **extra)
    return 0


def _finish_budget(run_timeout: float | None) -> int:
    """Whole seconds (nbclient's unit) the kernel gets to record the run's end: it takes milliseconds, and a
    kernel that hangs on it must leave the run time to write its outputs before the host's kill."""
    if run_timeout is None:
        return FINISH_TIMEOUT
    return max(1, min(FINISH_TIMEOUT, int((run_timeout - (time.monotonic() - STARTED)) / 4)))


def _finish_in_kernel(client, timeout: int) -> bool:
    """Run the probe's end-of-run recorders in the kernel (grader_probe.finish) as a silent request that
    leaves no trace in the notebook; False when they could not be seen to run, and the kernel is then shut
    down gracefully, so that its atexit runs them instead."""
    saved = client.timeout, client.shell_timeout_interval
    try:
        # nbclient reads both for a request that belongs to no cell; it checks the limit once per interval.
        client.timeout, client.shell_timeout_interval = timeout, min(saved[1], timeout)
        msg_id = client.kc.execute("__import__('grader_probe').finish()", silent=True, store_history=False,
                                   allow_stdin=False)
        reply = client.wait_for_reply(msg_id)
    except Exception:
        return False
    finally:
        client.timeout, client.shell_timeout_interval = saved
    return bool(reply) and (reply.get("content") or {}).get("status") == "ok"


def _write_outputs(nb, printed: str) -> None:
    base = events.out_dir()
    if not base:
        return
    with open(os.path.join(base, "printed.txt"), "w", encoding="utf-8", errors="replace") as fh:
        fh.write(printed[:PRINTED_CAP])
    try:
        import nbformat

        nbformat.write(nb, os.path.join(base, "executed.ipynb"))
    except Exception:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="grader_probe.driver")
    parser.add_argument("kind", choices=["script", "notebook"])
    parser.add_argument("path")
    parser.add_argument("--cell-timeout", type=float, default=None,
                        help="Per-cell limit in seconds; default: what remains of --run-timeout.")
    parser.add_argument("--run-timeout", type=float, default=None,
                        help="The whole run's limit in seconds (the host enforces it; cells stop a little before).")
    parser.add_argument("--stop-on-error", action="store_true")
    parser.add_argument("--output-limit", type=int, default=16 * 1024 * 1024)
    args = parser.parse_args(argv)
    events.emit("run_start", kind=args.kind, path=args.path, python=sys.version.split()[0])
    os.chdir(os.path.dirname(os.path.abspath(args.path)))
    if args.kind == "script":
        run_left = _run_left(args.run_timeout)
        _publish_deadline(run_left, "run", args.run_timeout)
        return run_script(args.path, args.run_timeout)
    return run_notebook(args.path, args.cell_timeout, args.stop_on_error, args.output_limit, args.run_timeout)


def _exit(code: int) -> None:
    """End the process as Python's own exit would, less the interpreter's teardown, which with TensorFlow
    loaded costs about a second and records nothing: the student's threads are waited for, then every atexit
    handler runs (theirs and the libraries'), then the streams are flushed."""
    import atexit
    import threading

    main_thread = threading.main_thread()
    for thread in threading.enumerate():
        if thread is not main_thread and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(code)


if __name__ == "__main__":
    _exit(main())
