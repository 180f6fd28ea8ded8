"""Same submission, same grade: an unseeded script gives bit-identical verified figures from run to run, with
--jobs 1 and 2 and on the local and Ray executors; the student's own seed wins; `seed: none` is the old,
unseeded behaviour; an op with no deterministic implementation falls back instead of failing the run.

What holds across thread counts is measured, not assumed: a small dense network (this file's) trains to the same
bits with 1 and 2 intra-op threads; a convolutional one does not (docs/determinism.md), so the comparison across
--jobs is made on the dense one and the executors are compared at equal CPUs per job.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.tf

SCRIPT = """
import keras
from keras import layers
{seed}
(x, y), (xt, yt) = keras.datasets.mnist.load_data()
x, y, xt, yt = x[:600] / 255.0, y[:600], xt[:300] / 255.0, yt[:300]
model = keras.Sequential([keras.Input((28, 28)), layers.Flatten(), layers.Dense(24, activation="relu"),
                          layers.Dropout(0.2), layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=2, batch_size=64, validation_split=0.1, verbose=0)
print(model.evaluate(xt, yt, verbose=0))
"""
RUBRIC = """
id: determinism
title: Determinism
version: "1"
requirements:
  - {id: adam, title: Adam, optimizer: adam, points: 1}
"""


def figures(verified) -> dict[tuple[str, str, str | None], float | None]:
    """Every verified figure of a run (metrics on each split, parameter counts), by model, name and split."""
    out = {(v.model_id, f.name, f.split): f.verified for v in verified.verifications for f in v.figures}
    assert any(name == "accuracy" and value is not None for (_, name, _), value in out.items()), out
    return out


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("determinism") / "class"
    folder.mkdir()
    (folder / "ann.py").write_text(SCRIPT.format(seed=""))  # unseeded, as most students hand it in
    (folder / "own.py").write_text(SCRIPT.format(seed="keras.utils.set_random_seed(7)"))
    return folder


@pytest.fixture(scope="module")
def by_jobs(klass: Path, dataset_store) -> dict[int, dict[str, object]]:
    """The class graded with --jobs 1 (2 CPU threads per run) and --jobs 2 (1 thread each), on 2 cores."""
    from grader.pipeline.classgrade import grade_folder
    from grader.rubric.loader import parse_rubric

    out = {}
    for jobs in (1, 2):
        graded = grade_folder(klass, rubric=parse_rubric(RUBRIC), jobs=jobs, cores=2, datasets=dataset_store,
                              gpus=[])
        assert graded.exit_code == 0 and [r.how for r in graded.results] == ["ran", "ran"]
        out[jobs] = {r.student.name: r.result.evidence for r in graded.results}
    return out


def test_an_unseeded_script_gives_the_same_figures_every_run(by_jobs, klass: Path, grade) -> None:
    first = by_jobs[1]["ann"]
    run = first.evidence.run
    assert run.limits.seed == 1 and run.limits.cpus == 2
    assert run.seeding is not None and run.seeding.op_determinism and run.seeding.student_seeds == []
    again = grade(klass / "ann.py")  # the same seed and thread count, another process, another verifier
    assert figures(again) == figures(first)


def test_jobs_1_and_2_give_the_same_figures(by_jobs) -> None:
    assert by_jobs[2]["ann"].evidence.run.limits.cpus == 1
    for name in ("ann", "own"):
        assert figures(by_jobs[1][name]) == figures(by_jobs[2][name]), name


def test_ray_and_local_executors_give_the_same_figures(by_jobs, klass: Path, dataset_store) -> None:
    ray = pytest.importorskip("ray")
    from grader.pipeline.classgrade import grade_folder
    from grader.pipeline.executors.ray import RayExecutor
    from grader.rubric.loader import parse_rubric

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = RayExecutor(2, datasets=str(dataset_store.root), cpus_per_job=1)
        graded = grade_folder(klass, rubric=parse_rubric(RUBRIC), jobs=2, executor=remote, cores=2,
                              datasets=dataset_store, gpus=[])
        remote.close()
    finally:
        ray.shutdown()
    on_ray = {r.student.name: r.result.evidence for r in graded.results}
    for name in ("ann", "own"):
        assert figures(on_ray[name]) == figures(by_jobs[2][name]) == figures(by_jobs[1][name]), name


def test_the_students_own_seed_wins(by_jobs, klass: Path, grade) -> None:
    own = by_jobs[1]["own"]
    seeding = own.evidence.run.seeding
    assert seeding is not None and seeding.student_seeds == ["keras.utils.set_random_seed(7) at line 4"]
    other = grade(klass / "own.py", seed=12345)  # another grader seed: the student's 7 still decides
    assert other.evidence.run.limits.seed == 12345
    assert figures(other) == figures(own)
    assert figures(own) != figures(by_jobs[1]["ann"])  # and 7 is not the grader's 1


def test_seed_none_is_the_old_unseeded_run(klass: Path, grade) -> None:
    runs = [grade(klass / "ann.py", seed="none") for _ in range(2)]
    for run in runs:
        assert run.evidence.run.limits.seed is None and run.evidence.run.seeding is None
    # Two unseeded trainings differ (float losses equal to every bit by chance: practically never).
    assert figures(runs[0]) != figures(runs[1])


FALLBACK = """
import tensorflow as tf
generator = tf.random.get_global_generator()  # refused while op determinism is on
print("drew", float(generator.normal([1])[0]))
"""


@pytest.mark.parametrize("kind", ["script", "notebook"])
def test_an_op_without_a_deterministic_implementation_falls_back(kind: str, submission, grade) -> None:
    path = submission("fallback.py", FALLBACK) if kind == "script" else submission(
        "fallback.ipynb", [FALLBACK, "print('after')"])
    run = grade(path).evidence.run
    assert run.status.value == "completed", run.message
    assert run.seeding is not None and run.seeding.seed == 1 and not run.seeding.op_determinism
    assert run.seeding.fallback is not None and "determinism is enabled" in run.seeding.fallback


XENT_OPS = """
import tensorflow as tf
@tf.function
def loss(logits, labels):
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
graph = loss.get_concrete_function(tf.TensorSpec([None, 10]), tf.TensorSpec([None], tf.int32)).graph
print("XENT_OPS", sorted({op.type for op in graph.get_operations()}))
from tensorflow.python.framework import config
print("DETERMINISM", config.is_op_determinism_enabled())
"""


@pytest.mark.parametrize("seed", [1, "none"])
def test_a_seeded_cpu_run_keeps_the_fused_sparse_cross_entropy_kernel(seed, submission, grade) -> None:
    """Op determinism stays on, but on a run with no GPU the sparse cross-entropy is TensorFlow's fused kernel
    (deterministic on CPU), not the slower log-softmax + gather detour op determinism takes for GPUs."""
    evidence = grade(submission("xent.py", XENT_OPS), seed=seed).evidence
    assert evidence.run.status.value == "completed", evidence.run.message
    ops = next(line for line in evidence.printed.splitlines() if line.startswith("XENT_OPS"))
    assert "SparseSoftmaxCrossEntropyWithLogits" in ops and "GatherV2" not in ops, ops
    assert f"DETERMINISM {seed == 1}" in evidence.printed


def test_repeat_re_decides_a_borderline_figure_on_the_median_and_caches_the_repeats(tmp_path: Path, dataset_store
                                                                                     ) -> None:
    import sqlite3

    from grader.pipeline.classgrade import grade_folder
    from grader.rubric.loader import parse_rubric

    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ann.py").write_text(SCRIPT.format(seed=""))
    store = tmp_path / "results.sqlite"
    common = {"jobs": 1, "cores": 2, "datasets": dataset_store, "gpus": [], "store": store}
    first = grade_folder(folder, rubric=parse_rubric(RUBRIC), **common).results[0].result.evidence
    accuracy = figures(first)[("m1", "accuracy", "test")]
    # A bar at the measured figure itself: within noise of it, whatever the figure turned out to be.
    rubric = parse_rubric(RUBRIC + (
        "slots:\n  - id: one\n    title: One hidden layer\n    match: {hidden_layers: '==1'}\n    metrics:\n"
        f"      - {{id: acc, metric: accuracy, split: test, expect: '>={accuracy!r}'}}\n"))

    def runs() -> int:
        with sqlite3.connect(store) as db:
            return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]

    assert runs() == 1
    graded = grade_folder(folder, rubric=rubric, repeat=2, **common)
    acc = graded.results[0].result.criterion("acc")
    assert acc.borderline is not None and runs() == 3  # the first run was found stored; two repeats ran
    repeated = graded.results[0].result.evidence.verification(acc.model_id).repeated("accuracy", "test")
    assert repeated is not None and repeated.seeds == (1, 2, 3) and repeated.values[0] == accuracy
    assert f"median {repeated.median:.4f} of 3 runs with seeds 1, 2, 3" in acc.message
    # The median decides: the first figure meets its own bar, so the verdict follows the median's side of it.
    assert (acc.outcome.value == "passed") == (repeated.median >= accuracy)
    again = grade_folder(folder, rubric=rubric, repeat=2, **common)  # the repeats are stored like any run
    assert runs() == 3 and again.results[0].result.criterion("acc").message == acc.message
