"""What a check sends its verifier while the run goes on (grader.verify.speculation), read from the event log so far.

A stand-in verifier records the requests: the real one is exercised in tests/integration/test_speculation.py.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from grader.verify import speculation
from grader.verify.speculation import Speculation


class Recorder:
    datasets = {"fashion_mnist.npz": Path("f"), "mnist.npz": Path("m")}

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, str, tuple[str, ...], bool]] = []
        self.prestarted, self.fail, self.arrived = 0, fail, threading.Event()

    def prestart(self) -> None:
        self.prestarted += 1

    def count_overlap(self, begun: Any, out: Path, datasets: list[str], *, hidden: str | None = None,
                      start: bool = True) -> None:
        self.sent.append((begun.model_id, f"rows of fit {begun.index}: {begun.x.signature_file}", tuple(datasets),
                          start))
        self.arrived.set()

    def verify_model(self, model: Any, out: Path, datasets: list[str], *, hidden: str | None = None,
                     start: bool = True) -> None:
        self.sent.append((model.id, model.fits[-1].saved_model, tuple(datasets), start))
        self.arrived.set()
        if self.fail:
            raise RuntimeError("worker gone")


def _fit(mid: str, index: int, saved: str | None = "auto") -> str:
    fit = {"index": index, "saved_model": f"models/{mid}_fit{index}.keras" if saved == "auto" else saved}
    model = {"id": mid, "name": mid, "class_name": "Sequential", "framework": "keras", "kind": "sequential"}
    return json.dumps({"event": "fit", "t": 1.0, "pid": 1, "model": model, "fit": fit}) + "\n"


def _fit_data(mid: str, index: int, split: float | None = None) -> str:
    x = {"kind": "array", "shape": [100, 4], "signature_file": f"signatures/{mid}_fit{index}_x.npy"}
    return json.dumps({"event": "fit_data", "t": 1.0, "pid": 1, "model": mid, "fit": index, "x": x,
                       "validation_split": split}) + "\n"


def _log(out: Path, *lines: str) -> Path:
    out.mkdir(exist_ok=True)
    (out / "events.jsonl").write_text(json.dumps({"event": "dataset", "name": "mnist"}) + "\n" + "".join(lines))
    return out


def test_each_saved_model_goes_once_without_starting_a_worker(tmp_path: Path) -> None:
    rec = Recorder()
    out = _log(tmp_path / "out", _fit("m1", 0), _fit("m2", 1, saved=None))
    with Speculation(rec) as spec:  # type: ignore[arg-type]
        assert rec.prestarted == 1  # from the caller's thread, not the speculation's
        spec.on_fit(out)
        assert rec.arrived.wait(30)
        deadline = time.monotonic() + 30
        while spec.requests < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        spec._speculate(out)  # the same log again: nothing new to send
    # The dataset the run loaded comes first; every held dataset is tried after it. A fit that saved nothing
    # has nothing to verify.
    assert rec.sent == [("m1", "models/m1_fit0.keras", ("mnist", "fashion_mnist"), False)]
    assert spec.requests == 1


def test_a_model_trained_again_is_sent_again(tmp_path: Path) -> None:
    rec = Recorder()
    spec = Speculation(rec)  # type: ignore[arg-type]
    out = _log(tmp_path / "out", _fit("m1", 0))
    spec._speculate(out)
    _log(out, _fit("m1", 0), _fit("m1", 1))
    spec._speculate(out)
    assert [saved for _, saved, _, _ in rec.sent] == ["models/m1_fit0.keras", "models/m1_fit1.keras"]


def test_early_requests_stop_at_the_cap(tmp_path: Path) -> None:
    rec = Recorder()
    spec = Speculation(rec)  # type: ignore[arg-type]
    out = _log(tmp_path / "out", *(_fit(f"m{i}", i) for i in range(speculation.MAX_EARLY_REQUESTS + 5)))
    spec._speculate(out)
    assert len(rec.sent) == speculation.MAX_EARLY_REQUESTS == spec.requests


def test_a_huge_log_is_not_read_during_the_run(tmp_path: Path, monkeypatch) -> None:
    rec = Recorder()
    monkeypatch.setattr(speculation, "MAX_LOG_BYTES", 1000)
    out = _log(tmp_path / "out", _fit("m1", 0), "x" * 2000 + "\n")
    Speculation(rec)._speculate(out)  # type: ignore[arg-type]
    assert rec.sent == []


def test_a_failing_request_does_not_stop_the_next_fit(tmp_path: Path) -> None:
    rec = Recorder(fail=True)
    out = _log(tmp_path / "out", _fit("m1", 0))
    with Speculation(rec) as spec:  # type: ignore[arg-type]
        spec.on_fit(out)
        assert rec.arrived.wait(30)
        rec.arrived.clear()
        _log(out, _fit("m1", 0), _fit("m2", 1))
        spec.on_fit(out)
        assert rec.arrived.wait(30)
    assert [mid for mid, *_ in rec.sent] == ["m1", "m2"]


def test_a_fit_is_counted_against_the_test_split_while_it_trains(tmp_path: Path) -> None:
    """Its rows are known as it begins: their count goes once, before the model exists."""
    rec = Recorder()
    spec = Speculation(rec)  # type: ignore[arg-type]
    out = _log(tmp_path / "out", _fit_data("m1", 0, split=0.1))
    spec._speculate(out)
    spec._speculate(out)  # the same log again: nothing new to send
    assert rec.sent == [("m1", "rows of fit 0: signatures/m1_fit0_x.npy", ("mnist", "fashion_mnist"), False)]
    # The fit ends: its model goes; the count is not sent again.
    _log(out, _fit_data("m1", 0, split=0.1), _fit("m1", 0))
    spec._speculate(out)
    assert [saved for _, saved, _, _ in rec.sent] == ["rows of fit 0: signatures/m1_fit0_x.npy", "models/m1_fit0.keras"]
    assert spec.requests == 2


def test_a_fit_already_ended_sends_its_model_only(tmp_path: Path) -> None:
    """Both events in one poll: the model's request counts the rows itself."""
    rec = Recorder()
    spec = Speculation(rec)  # type: ignore[arg-type]
    spec._speculate(_log(tmp_path / "out", _fit_data("m1", 0), _fit("m1", 0)))
    assert [saved for _, saved, _, _ in rec.sent] == ["models/m1_fit0.keras"]
