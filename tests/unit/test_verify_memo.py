"""The verifier worker's memo and the runner's fit hook: what lets a check verify a model while its run goes on.

The worker's memo (grader_verify.Memo) keys each costly step by the content it was computed from; the sandbox's
event tail tells the host when a fit has landed. NumPy and the standard library only, no TensorFlow.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "grader" / "runtime"))

import grader_verify  # noqa: E402

from grader.sandbox.runner import _EventTail  # noqa: E402


def test_the_memo_computes_once_per_key_and_names_what_it_reused() -> None:
    memo, calls, hits = grader_verify.Memo(2), [], []

    def compute(value: int):
        return lambda: calls.append(value) or value

    assert memo.get("a", compute(1), hits, "model") == 1
    assert memo.get("a", compute(99), hits, "model") == 1  # the stored answer, not a second computation
    assert calls == [1] and hits == ["model"]
    assert memo.get("b", compute(2), hits, "test") == 2
    assert hits == ["model"]


def test_the_memo_forgets_its_oldest_key_first() -> None:
    memo, hits = grader_verify.Memo(2), []
    for key in ("a", "b"):
        memo.get(key, lambda: key, hits, "x")
    memo.get("a", lambda: "again", hits, "x")  # a, used last, is now the newest
    memo.get("c", lambda: "c", hits, "x")  # so b goes
    assert memo.get("a", lambda: "recomputed", hits, "x") == "a"
    assert memo.get("b", lambda: "recomputed", hits, "x") == "recomputed"


def test_a_step_that_raises_is_not_remembered() -> None:
    memo, hits = grader_verify.Memo(2), []

    def broken() -> int:
        raise ValueError("cannot load")

    with pytest.raises(ValueError):
        memo.get("a", broken, hits, "model")
    assert memo.get("a", lambda: 5, hits, "model") == 5 and hits == []


def test_a_file_is_keyed_by_its_content_not_its_name(tmp_path: Path) -> None:
    first, second = tmp_path / "m.keras", tmp_path / "copy.keras"
    first.write_bytes(b"weights-1" * 1000)
    second.write_bytes(b"weights-1" * 1000)
    assert grader_verify.file_digest(str(first)) == grader_verify.file_digest(str(second))
    first.write_bytes(b"weights-2" * 1000)  # trained further: same name, new key
    assert grader_verify.file_digest(str(first)) != grader_verify.file_digest(str(second))


def _event(name: str, **data: object) -> str:
    # The probe's own encoding (grader_probe.events.emit): compact, the event's name first.
    return json.dumps({"event": name, "t": 1.0, "pid": 1, **data}, separators=(",", ":")) + "\n"


def test_the_event_tail_calls_the_fit_hook_once_per_poll_that_saw_a_fit(tmp_path: Path) -> None:
    log, fits, shown = tmp_path / "events.jsonl", [], []
    tail = _EventTail(log, shown.append, lambda: fits.append(1))
    log.write_text(_event("cell_start", cell=0) + _event("epoch", epoch=0))
    tail.poll()
    assert fits == [] and [e["event"] for e in shown] == ["cell_start", "epoch"]
    with log.open("a") as fh:
        fh.write(_event("fit", model={"id": "m"}) + _event("fit", model={"id": "n"}))
    tail.poll()
    assert fits == [1]
    tail.poll()  # nothing new
    assert fits == [1]


def test_a_fit_too_big_for_progress_still_reaches_the_fit_hook(tmp_path: Path) -> None:
    log, fits, shown = tmp_path / "events.jsonl", [], []
    tail = _EventTail(log, shown.append, lambda: fits.append(1))
    log.write_text(_event("fit", model={"id": "m"}, history={"loss": [0.5] * 20000}))
    assert log.stat().st_size > 65536
    tail.poll()
    assert fits == [1] and shown == []  # progress skips the big line; the hook does not


def test_a_broken_fit_hook_never_stops_the_tail(tmp_path: Path) -> None:
    log, shown = tmp_path / "events.jsonl", []

    def broken() -> None:
        raise RuntimeError("verifier gone")

    tail = _EventTail(log, shown.append, broken)
    log.write_text(_event("fit", model={"id": "m"}) + _event("run_end"))
    tail.poll()
    assert [e["event"] for e in shown] == ["fit", "run_end"]


def test_a_begun_fit_is_counted_before_its_model_exists_and_the_count_is_kept(tmp_path: Path, monkeypatch) -> None:
    """The trained-on-test count depends on the fit's rows alone: counted while the model trains (an overlap-only
    request, no model file), then found in the memo by the model's own request."""
    import numpy as np

    from grader_probe.fingerprint import fingerprint

    rng = np.random.default_rng(7)
    data = tmp_path / "data"
    data.mkdir()
    x_train, x_test = rng.integers(0, 256, (300, 8, 8), dtype=np.uint8), rng.integers(0, 256, (60, 8, 8), dtype=np.uint8)
    np.savez(data / "tiny.npz", x_train=x_train, y_train=np.zeros(300, np.uint8), x_test=x_test,
             y_test=np.zeros(60, np.uint8))
    monkeypatch.setattr(grader_verify, "DATA", str(data))
    monkeypatch.setattr(grader_verify, "_cache", {})
    monkeypatch.setattr(grader_verify, "_overlaps", grader_verify.Memo(8))
    out = tmp_path / "out"
    monkeypatch.setenv("GRADER_OUT", str(out))
    x = np.concatenate([x_train, x_test[:12], np.fliplr(x_test[12:15].transpose(1, 2, 0)).transpose(2, 0, 1)])
    fp = fingerprint(x.astype(np.float32) / 255.0, signatures="m_fit0_x")
    req = {"datasets": ["tiny"], "fit": {"x": fp, "validation_split": None}, "signatures": str(out / fp["signature_file"]),
           "hidden": None, "overlap_only": True}
    first = grader_verify.handle(req)
    assert first["ok"] and first["dataset"] == "tiny" and "model" not in first
    assert (first["test_overlap"], first["test_overlap_augmented"], first["reused"]) == (15, 3, [])
    again = grader_verify.handle(req)
    assert (again["test_overlap"], again["reused"]) == (15, ["overlap"])
    # Held out as a validation split, the tail of the rows was never trained on: a different count, not reused.
    split = grader_verify.handle({**req, "fit": {**req["fit"], "validation_split": 15 / len(x)}})
    assert (split["test_overlap"], split["reused"]) == (0, [])


def test_a_fit_beginning_reaches_the_fit_hook(tmp_path: Path) -> None:
    log, fits, shown = tmp_path / "events.jsonl", [], []
    tail = _EventTail(log, shown.append, lambda: fits.append(1))
    log.write_text(_event("fit_data", model="m", fit=0, x={"shape": [10, 4]}))
    tail.poll()
    assert fits == [1] and shown == []  # a hook event, not a progress one
    log.write_text(log.read_text() + _event("fit_data", model="m", fit=1, x={"samples": [[0.5] * 20000]}))
    tail.poll()
    assert fits == [1, 1]  # too big to parse for progress, told by its start
