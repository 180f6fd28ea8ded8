"""The hand-written-loop probe's bookkeeping, on stand-in variables (no TensorFlow)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "grader" / "runtime"))
from grader_probe import tfloop  # noqa: E402


class Var:
    """Duck-types what the probe reads of a variable: shape, dtype, name, assign_sub, numpy."""

    def __init__(self, name: str, *shape: int) -> None:
        self.name, self.shape, self.dtype, self.trainable = name, shape, "float32", True
        self.updates = 0

    def assign_sub(self, value: float) -> None:
        self.updates += 1

    def numpy(self):
        import numpy as np

        return np.zeros(self.shape, dtype="float32")


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("GRADER_OUT", str(tmp_path))
    for name, value in (("_trainings", {}), ("_by_var", {}), ("_last", [None, -1, None, None, None]),
                        ("_state", {"dirty": False, "last_flush": 0.0, "ipython": True})):
        monkeypatch.setattr(tfloop, name, value)
    monkeypatch.setattr(tfloop.events, "_fd", None)
    return tmp_path


def snapshots(out: Path) -> dict[str, dict]:
    lines = [json.loads(x) for x in (out / "events.jsonl").read_text().splitlines()]
    return {e["training"]["id"]: e["training"] for e in lines if e["event"] == "custom_training"}


def test_gradient_calls_on_variables_make_one_training_per_variable_set(fresh: Path) -> None:
    gradient = tfloop._wrap_gradient(lambda self, target, sources: [0.0] * len(sources))
    update = tfloop._wrap_update(Var.assign_sub, "assign_sub")
    a, b, c = Var("W", 4, 3), Var("b", 3), Var("V", 3, 2)
    params = [a, b]
    for step in range(10):
        gradient(None, 2.0 - step / 10, params)
        for v in params:
            update(v, 0.1)
    gradient(None, 1.0, [c])
    gradient(None, 1.0, ["a watched tensor"])  # not a variable: no training
    tfloop.flush()
    loops = snapshots(fresh)
    assert list(loops) == ["t1", "t2"]
    t1 = loops["t1"]
    assert (t1["steps"], t1["steps_source"], t1["update"], t1["manual_updates"]) == (10, "gradient calls", "assign", 20)
    assert [v["shape"] for v in t1["variables"]] == [[4, 3], [3]]
    assert t1["losses"][0] == {"step": 0, "value": 2.0} and len(t1["losses"]) == 10
    assert t1["weights_file"] == "custom/t1.npz" and (fresh / "custom" / "t1.npz").is_file()
    assert a.updates == 10  # the student's update still ran


def test_losses_are_capped_by_doubling_the_stride(fresh: Path) -> None:
    gradient = tfloop._wrap_gradient(lambda self, target, sources: None)
    params = [Var("W", 2, 2)]
    for step in range(5000):
        gradient(None, float(step), params)
    [t] = tfloop._trainings.values()
    assert t.gradient_calls == 5000 and len(t.losses) <= tfloop.LOSS_CAP
    assert t.stride > 1 and all(s % t.stride == 0 for s, _ in t.losses)
    assert t.losses[0] == (0, 0.0) and t.losses[-1][0] >= 5000 - t.stride


def test_a_refilled_list_is_a_new_training(fresh: Path) -> None:
    gradient = tfloop._wrap_gradient(lambda self, target, sources: None)
    params = [Var("W1", 2, 2), Var("b1", 2)]
    gradient(None, 1.0, params)
    params[:] = [Var("W2", 2, 2), Var("b2", 2)]
    gradient(None, 1.0, params)
    assert [t.gradient_calls for t in tfloop._trainings.values()] == [1, 1]


def test_updates_inside_an_optimizer_step_are_not_hand_written(fresh: Path) -> None:
    update = tfloop._wrap_update(Var.assign_sub, "assign_sub")

    class Opt:
        def apply(self, grads, variables):
            for v in variables:
                update(v, 0.1)

    apply = tfloop._wrap_apply(Opt.apply, "apply")
    params = [Var("W", 2, 2)]
    for _ in range(3):
        apply(Opt(), [0.0], params)
    [t] = tfloop._trainings.values()
    assert t.manual_updates == 0 and t.optimizer["class_name"] == "Opt"
