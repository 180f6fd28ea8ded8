"""Append-only JSON-lines event log shared by the driver and the kernel.

Each event is one `write` on an O_APPEND descriptor, so lines from several processes
never interleave, and everything already written survives an `os._exit` or a kill.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from typing import Any

# Bound early: a submission that monkeypatches json or os later cannot silence the probe.
_dumps = json.dumps
_write = os.write
_open = os.open
_lock = threading.Lock()
_fd: int | None = None
MAX_EVENT_BYTES = 4 * 1024 * 1024


def out_dir() -> str | None:
    return os.environ.get("GRADER_OUT") or None


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    try:
        f = float(value)  # numpy scalars, 0-d tensors
        return f if math.isfinite(f) else None
    except Exception:
        return str(value)[:200]


def emit(event: str, **data: Any) -> None:
    global _fd
    base = out_dir()
    if not base:
        return
    record = {"event": event, "t": round(time.time(), 4), "pid": os.getpid(), **data}
    line = _dumps(_jsonable(record), separators=(",", ":")) + "\n"
    payload = line.encode("utf-8", "replace")
    if len(payload) > MAX_EVENT_BYTES:
        payload = (_dumps({"event": "dropped", "of": event, "bytes": len(payload)}) + "\n").encode()
    with _lock:
        if _fd is None:
            _fd = _open(os.path.join(base, "events.jsonl"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        _write(_fd, payload)
