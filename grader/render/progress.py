"""Live progress on the terminal: one submission's run (:class:`ProgressLine`) and a class's (:class:`ClassProgress`).

Every event comes from a sandbox, so every value it carries (cell counts, model names, metric names,
student names) passes through :func:`grader.render.safe.for_terminal` before it is printed: the only
escape sequences and carriage returns on the terminal are the progress UI's own.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import Any, TextIO

from grader.evidence.events import ProbeEvent
from grader.pipeline.events import ClassEvent
from grader.pipeline.how import How
from grader.render.safe import for_terminal

ProgressEvent = dict[str, Any]


def _num(value: object) -> float:
    """A number from an event, 0 when the sandbox sent something else (a progress line never raises)."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return 0.0


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


class _Closing:
    """``with Progress() as p:`` clears the live lines however the block ends (an error message follows)."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Any:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class ProgressLine(_Closing):
    """One self-rewriting status line on a TTY; plain lines for finished fits elsewhere (CI logs)."""

    def __init__(self, stream: TextIO | None = None, *, tty: bool | None = None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.cell = ""
        self.started = time.monotonic()
        self._width = 0

    def __call__(self, event: ProgressEvent) -> None:
        t = for_terminal
        kind = ProbeEvent.of(event.get("event"))
        if kind is ProbeEvent.CELL_START:
            self.cell = f"cell {t(event.get('n'))}/{t(event.get('of'))}"
            self._show(f"{self.cell}: running")
        elif kind is ProbeEvent.FIT_START:
            self._show(f"{self._prefix()}{t(event.get('model'))}: training, {t(event.get('epochs'))} epochs")
        elif kind is ProbeEvent.EPOCH:
            logs = event.get("logs")
            metrics = " ".join(f"{t(k)} {float(v):.4f}" for k, v in (logs if isinstance(logs, dict) else {}).items()
                               if isinstance(v, (int, float)))
            self._show(f"{self._prefix()}{t(event.get('model'))} epoch {t(event.get('epoch'))}/"
                       f"{t(event.get('epochs'))} ({_num(event.get('seconds')):.1f} s) {metrics}")
        elif kind is ProbeEvent.FIT and not self.tty:
            fit, model = event.get("fit"), event.get("model")
            epochs = fit.get("epochs_run") if isinstance(fit, dict) else None
            name = model.get("id") if isinstance(model, dict) else None
            self.stream.write(f"[{self._elapsed()}] {t(name)}: trained {t(epochs)} epoch(s)\n")
            self.stream.flush()
        elif kind is ProbeEvent.FIT_ESTIMATE and event.get("will_finish") is False:  # said early, on its own line
            self.close()
            self.stream.write(f"[{self._elapsed()}] {t(event.get('model'))}: at {_num(event.get('seconds_per_epoch')):.1f}"
                              f" s per epoch, the {_num(event.get('epochs')) - _num(event.get('epoch')):.0f} epochs "
                              f"left of {t(event.get('epochs'))} need about {_num(event.get('needed_s')):.0f} s, but the {t(event.get('limit'))} time limit "
                              f"leaves {_num(event.get('left_s')):.0f} s: the training will be cut\n")
            self.stream.flush()
        elif kind is ProbeEvent.RUN_END:
            self.close()

    def _prefix(self) -> str:
        return f"{self.cell} | " if self.cell else ""

    def _elapsed(self) -> str:
        return _clock(time.monotonic() - self.started)

    def _show(self, text: str) -> None:
        if not self.tty:
            return
        line = f"[{self._elapsed()}] {text}"[:160]
        self.stream.write("\r" + line.ljust(self._width))
        self._width = len(line)
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0


class ClassProgress(_Closing):
    """A progress bar with ETA and one live line per worker on a terminal; one plain line per result elsewhere."""

    def __init__(self, stream: TextIO | None = None, *, tty: bool | None = None, redraw_s: float = 0.1):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.total = self.finished = self.to_run = self.ran = 0
        self.jobs = 1
        self.run_seconds: list[float] = []
        self.workers: dict[str, str] = {}
        self.started = self.last_done = time.monotonic()
        self._lines = 0
        self._last_draw = 0.0
        self.redraw_s = redraw_s
        self._lock = threading.Lock()  # events come from the worker listener thread and the main thread

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            self._handle(event)

    def _handle(self, event: ProgressEvent) -> None:
        t = for_terminal
        kind = ClassEvent.of(event.get("event"))
        if kind is ClassEvent.PLAN:
            self.total, self.to_run, self.jobs = event["students"], event["to_run"], event["jobs"]
            gpus = f", GPUs {','.join(map(t, event['gpus']))}" if event.get("gpus") else ""
            self._say(f"{self.total} submission(s): {event['cached']} already graded, {event['regraded']} re-graded "
                      f"from stored runs, {self.to_run} to run with {self.jobs} job(s) x {event['cpus_per_job']} CPU(s){gpus}")
        elif kind is ClassEvent.DONE:
            self.finished += 1
            result = event["result"]
            student = t(event.get("student"))
            if How.of(event.get("how")) is How.RAN:
                self.ran += 1
                seconds = _num(event.get("seconds"))
                self.run_seconds.append(seconds)
                self.last_done = time.monotonic()
                self.workers.pop(event.get("worker", ""), None)
                worker = f" [{t(event['worker'])}]" if event.get("worker") else ""
                self._say(f"[{self.finished}/{self.total}] {student}: {result.status.value} "
                          f"{result.score:g}/{result.max_score:g} ({result.percent:.1f}%), run {result.run.status.value}, "
                          f"{seconds:.1f} s{worker}")
            elif not self.tty:
                self._say(f"[{self.finished}/{self.total}] {student}: {result.status.value} "
                          f"{result.percent:.1f}% ({t(event.get('how'))})")
        elif kind is ClassEvent.JOB_END:
            self.workers.pop(event.get("worker", ""), None)  # idle until its next submission
        elif "worker" in event:
            self.workers[str(event["worker"])] = f"{t(event.get('student', ''))}: {self._describe(event)}"
        self._draw()

    @staticmethod
    def _describe(event: ProgressEvent) -> str:
        t = for_terminal
        name = event.get("event")
        kind = ClassEvent.of(name) or ProbeEvent.of(name)
        if kind is ClassEvent.JOB_START:
            return "starting"
        if kind is ClassEvent.ENTRY_START:
            return f"{t(event.get('entry'))} ({t(event.get('n'))}/{t(event.get('of'))})"
        if kind is ProbeEvent.CELL_START:
            return f"cell {t(event.get('n'))}/{t(event.get('of'))}"
        if kind is ProbeEvent.FIT_START:
            return f"{t(event.get('model'))} training, {t(event.get('epochs'))} epoch(s)"
        if kind is ProbeEvent.EPOCH:
            return f"{t(event.get('model'))} epoch {t(event.get('epoch'))}/{t(event.get('epochs'))}"
        return t(name)

    def eta(self, now: float | None = None) -> float | None:
        """Seconds left: mean run time so far x rounds of `jobs` runs left, less the time since the
        last run ended (None before the first run ends)."""
        if not self.run_seconds:
            return None
        left = max(0, self.to_run - self.ran)
        mean = sum(self.run_seconds) / len(self.run_seconds)
        since = (time.monotonic() if now is None else now) - self.last_done
        return max(0.0, mean * -(-left // max(1, self.jobs)) - since) if left else 0.0

    def _say(self, text: str) -> None:
        self._clear()
        self.stream.write(text + "\n")
        self.stream.flush()

    def _clear(self) -> None:
        if self.tty and self._lines:
            self.stream.write(f"\x1b[{self._lines}F\x1b[J")
            self._lines = 0

    def _draw(self) -> None:
        if not self.tty or not self.total:
            return
        now = time.monotonic()
        if now - self._last_draw < self.redraw_s and self.finished < self.total:
            return
        self._last_draw = now
        self._clear()
        width = 30
        filled = int(width * self.finished / self.total)
        eta = self.eta(now)
        lines = [f"[{'#' * filled}{'.' * (width - filled)}] {self.finished}/{self.total} "
                 f"elapsed {_clock(now - self.started)}"
                 + (f" ETA {_clock(eta)}" if eta is not None and self.finished < self.total else "")]
        lines += [f"  {for_terminal(w)}: {text}"[:150] for w, text in sorted(self.workers.items())]
        self.stream.write("\n".join(lines) + "\n")
        self.stream.flush()
        self._lines = len(lines)

    def close(self) -> None:
        self._clear()
        self.stream.flush()


__all__ = ["ClassProgress", "ProgressEvent", "ProgressLine"]
