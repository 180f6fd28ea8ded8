"""Live progress on the terminal while a submission runs: which cell, which model, which epoch."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


class ProgressLine:
    """One self-rewriting status line on a TTY; plain lines for finished fits elsewhere (CI logs)."""

    def __init__(self, stream: TextIO | None = None, *, tty: bool | None = None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.cell = ""
        self.started = time.monotonic()
        self._width = 0

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "cell_start":
            self.cell = f"cell {event.get('n')}/{event.get('of')}"
            self._show(f"{self.cell}: running")
        elif kind == "fit_start":
            self._show(f"{self._prefix()}{event.get('model')}: training, {event.get('epochs')} epochs")
        elif kind == "epoch":
            logs = event.get("logs") or {}
            metrics = " ".join(f"{k} {float(v):.4f}" for k, v in logs.items() if isinstance(v, (int, float)))
            self._show(f"{self._prefix()}{event.get('model')} epoch {event.get('epoch')}/{event.get('epochs')} "
                       f"({float(event.get('seconds') or 0):.1f} s) {metrics}")
        elif kind == "fit" and not self.tty:
            fit = event.get("fit") or {}
            model = (event.get("model") or {}).get("id")
            self.stream.write(f"[{self._elapsed()}] {model}: trained {fit.get('epochs_run')} epoch(s)\n")
            self.stream.flush()
        elif kind == "run_end":
            self.close()

    def _prefix(self) -> str:
        return f"{self.cell} | " if self.cell else ""

    def _elapsed(self) -> str:
        seconds = int(time.monotonic() - self.started)
        return f"{seconds // 60:02d}:{seconds % 60:02d}"

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
