"""Folding the probe's custom_training events: latest snapshot wins, schema checked, paths confined."""

from __future__ import annotations

from pathlib import Path

from grader.evidence.loops import fold_custom_training


def event(tid: str, steps: int, weights: str | None = None, **extra) -> dict:
    variables = [{"key": "v0", "name": "W1:0", "shape": [4, 3], "dtype": "float32", "count": 12, "trainable": True},
                 {"key": "v1", "name": "b1:0", "shape": [3], "dtype": "float32", "count": 3, "trainable": True}]
    return {"event": "custom_training", "training": {"id": tid, "variables": variables, "steps": steps,
                                                     "steps_source": "gradient calls", "gradient_calls": steps,
                                                     "weights_file": weights, **extra}}


def test_the_latest_snapshot_of_each_loop_wins_and_its_network_is_inferred(tmp_path: Path) -> None:
    (tmp_path / "custom").mkdir()
    (tmp_path / "custom" / "t1.npz").write_bytes(b"x")
    warnings: list[str] = []
    loops = fold_custom_training([event("t1", 10), event("t2", 5), event("t1", 30, "custom/t1.npz")],
                                 tmp_path, warnings)
    assert [(t.id, t.steps) for t in loops] == [("t1", 30), ("t2", 5)]
    assert loops[0].weights_file == "custom/t1.npz" and loops[0].network.describe() == "4 -> 3"
    assert warnings == []


def test_a_weights_file_outside_the_output_folder_is_dropped(tmp_path: Path) -> None:
    loops = fold_custom_training([event("t1", 3, "../../etc/passwd"), event("t2", 3, "custom/missing.npz")],
                                 tmp_path, [])
    assert all(t.weights_file is None and "not in the output folder" in t.save_error for t in loops)


def test_malformed_events_become_warnings(tmp_path: Path) -> None:
    warnings: list[str] = []
    loops = fold_custom_training([event("t1", 3, unknown_field=1), {"event": "custom_training", "training": 7},
                                  event("t2", 2)], tmp_path, warnings)
    assert [t.id for t in loops] == ["t2"]
    assert len(warnings) == 1 and "t1" in warnings[0]


def test_a_network_field_from_the_probe_is_replaced_by_the_graders_inference(tmp_path: Path) -> None:
    [t] = fold_custom_training([event("t1", 3, network={"layers": [], "complete": True})], tmp_path, [])
    assert t.network is not None and t.network.describe() == "4 -> 3"
