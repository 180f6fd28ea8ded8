"""Runs one submission inside the sandbox: a script in this process, a notebook via nbclient.

Usage: python -m grader_probe.driver {script|notebook} PATH [--cell-timeout S]
       [--stop-on-error] [--output-limit BYTES]

Everything it learns goes to the event log; it never decides a grade.
"""

from __future__ import annotations

import argparse
import builtins
import os
import re
import sys
import time
import traceback

from grader_probe import events

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PRINTED_CAP = 1024 * 1024
TB_FRAMES = 200


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


def run_script(path: str) -> int:
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
    try:
        exec(code, namespace)
    except SystemExit as exc:
        code_out = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        status = "exit" if code_out else "ok"
        extra = {"exit_code": code_out}
    except BaseException as exc:  # everything the student's code raised is data
        status, code_out = "exception", 1
        extra = {"ename": type(exc).__name__, "evalue": str(exc)[:2000],
                 "lineno": _student_lineno(exc.__traceback__, path), "traceback": _format_tb(exc, path)}
    finally:
        from grader_probe import figures, tfloop

        figures.record_open_figures()
        tfloop.flush()
    sys.stdout.flush()
    events.emit("run_end", status=status, **extra)
    return code_out


class OutputLimitExceeded(Exception):
    pass


def run_notebook(path: str, cell_timeout: float, stop_on_error: bool, output_limit: int) -> int:
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

    client = Client(
        nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
        error_on_timeout={"ename": "CellTimeoutError", "evalue": f"cell ran past {cell_timeout:g} s",
                          "traceback": []},
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}}, record_timing=False,
        on_cell_error=on_cell_error,
    )
    status, extra, ran = "ok", {}, 0
    with client.setup_kernel():
        for n, index in enumerate(code_cells):
            cell = nb.cells[index]
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
            if reply and reply.get("ename") == "CellTimeoutError":
                # Where the interrupt landed is the useful part of the traceback.
                errors = [{"ename": "CellTimeoutError", "evalue": reply.get("evalue", ""),
                           "traceback": [line for o in errors for line in o.get("traceback", [])]}]
            for err in errors:
                events.emit("cell_error", cell_index=index, execution_count=n + 1, ename=err.get("ename", ""),
                            evalue=str(err.get("evalue", ""))[:2000],
                            traceback=_ANSI.sub("", "\n".join(err.get("traceback", [])))[-20000:])
            events.emit("cell_end", index=index, seconds=round(time.perf_counter() - started, 3))
            if errors and stop_on_error:
                status = "stopped"
                break
    _write_outputs(nb, "".join(printed))
    events.emit("run_end", status=status, cells_run=ran, **extra)
    return 0


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
    parser.add_argument("--cell-timeout", type=float, default=900.0)
    parser.add_argument("--stop-on-error", action="store_true")
    parser.add_argument("--output-limit", type=int, default=16 * 1024 * 1024)
    args = parser.parse_args(argv)
    events.emit("run_start", kind=args.kind, path=args.path, python=sys.version.split()[0])
    os.chdir(os.path.dirname(os.path.abspath(args.path)))
    if args.kind == "script":
        return run_script(args.path)
    return run_notebook(args.path, args.cell_timeout, args.stop_on_error, args.output_limit)


if __name__ == "__main__":
    sys.exit(main())
