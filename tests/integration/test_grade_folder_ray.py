"""The Ray executor on a local two-CPU Ray cluster gives the local executor's results, to the byte
(volatile fields such as durations removed). Skips where Ray is not installed (`pip install grader[ray]`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_grade_folder import RUBRIC, SCRIPT, normalised

pytestmark = pytest.mark.tf


def _differences(a: object, b: object, path: str = "") -> list[str]:
    """Leaf paths where two JSON trees differ, so a failure says what differs, not just that it does."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in _differences(a.get(k), b.get(k), f"{path}/{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"[:300]]


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_and_local_executors_agree(tmp_path: Path, dataset_store, ray_cluster) -> None:
    from grader.pipeline.classgrade import grade_folder
    from grader.pipeline.executors.ray import RayExecutor
    from grader.rubric.loader import parse_rubric

    folder = tmp_path / "class"
    folder.mkdir()
    for name, units, act, opt in (("ann", 16, "sigmoid", "sgd"), ("bob", 8, "relu", "adam"), ("cy", 12, "sigmoid", "sgd")):
        (folder / f"{name}.py").write_text(SCRIPT.format(units=units, act=act, opt=opt))
    (folder / "dee").mkdir()  # a folder student: two files and a data file travel in the task
    (folder / "dee" / "n.txt").write_text("10\n")
    (folder / "dee" / "a.py").write_text(SCRIPT.format(units="int(open('n.txt').read())", act="sigmoid", opt="sgd"))
    (folder / "dee" / "b.py").write_text(SCRIPT.format(units=6, act="sigmoid", opt="sgd"))
    rubric = parse_rubric(RUBRIC)

    local = grade_folder(folder, rubric=rubric, jobs=2, datasets=dataset_store, out=tmp_path / "local",
                         formats=("json",), gpus=[], cores=2)
    remote = RayExecutor(2, datasets=str(dataset_store.root), cpus_per_job=1)
    events: list[dict] = []
    on_ray = grade_folder(folder, rubric=rubric, jobs=2, executor=remote, datasets=dataset_store,
                          out=tmp_path / "ray", formats=("json",), gpus=[], cores=2, progress=events.append)
    remote.close()
    assert local.exit_code == 0 and on_ray.exit_code == 0
    assert [r.how for r in on_ray.results] == ["ran"] * 4 and {r.result.status for r in local.results} != set()
    a = {p.name: normalised(json.loads(p.read_text())) for p in (tmp_path / "local" / "results").glob("*.json")}
    b = {p.name: normalised(json.loads(p.read_text())) for p in (tmp_path / "ray" / "results").glob("*.json")}
    assert len(a) == 4 and a == b, _differences(a, b)
    # Epochs stream back from the Ray tasks while they run, each before that student's result.
    for student in ("ann", "bob", "cy", "dee"):
        kinds = [e["event"] for e in events if e.get("student") == student]
        assert "epoch" in kinds and "done" in kinds and kinds.index("epoch") < kinds.index("done"), (student, kinds)
        assert {e["worker"] for e in events if e.get("student") == student and e["event"] == "epoch"} <= {"ray1", "ray2"}
    dee = next(r for r in on_ray.results if r.student.name == "dee")
    assert [m.layers[1].units for m in dee.result.evidence.evidence.models] == [10, 6]
    assert dee.figures_dir is not None and any(dee.figures_dir.rglob("*.keras"))  # kept files came back
