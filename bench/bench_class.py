"""Grading a class: N submissions with --jobs J against one by one, and the cost of a cached re-grade.

    python bench/bench_class.py [--n 8] [--jobs 2] [--samples 3000] [--epochs 3] [--datasets DIR]

1. One by one: each submission graded alone (one job, every core). Its CPU time is everything
   the grader's processes used (workers, sandboxes, verifiers), sampled from /proc every 0.1 s
   (getrusage(RUSAGE_CHILDREN) misses what runs inside the sandbox's PID namespace).
2. The class at once with --jobs J (each run gets cores // J threads).
   Goal: wall <= 1.15 x (summed single-run CPU time / cores).
3. The same class again with the same store: every result is a cache hit.
   Goal: < 0.2 s per submission.

Writes bench/results/class.json and prints a Markdown table. Load on the machine skews every
figure: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SCRIPT = """
import keras
from keras import layers
keras.utils.set_random_seed({seed})
(x, y), (xt, yt) = keras.datasets.mnist.load_data()
x, y, xt, yt = x[:{samples}] / 255.0, y[:{samples}], xt[:1000] / 255.0, yt[:1000]
model = keras.Sequential([keras.Input((28, 28)), layers.Flatten(),
                          layers.Dense({units}, activation="sigmoid"), layers.Dense(10, activation="softmax")])
model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs={epochs}, batch_size=64, validation_split=0.1, verbose=0)
print(model.evaluate(xt, yt, verbose=0))
"""
RUBRIC = """
id: bench-class
title: Bench class
version: "1"
requirements:
  - {id: sgd, title: SGD, optimizer: sgd, points: 2}
  - {id: sigmoid, title: Sigmoid hidden layers, hidden_activation: sigmoid, points: 1}
"""


def datasets(explicit: str | None) -> tuple[str, str]:
    for cand in (explicit, str(REPO.parent / "shared" / "datasets")):
        if cand and (Path(cand) / "mnist.npz").is_file():
            return str(Path(cand).resolve()), "real"
    if explicit:
        raise SystemExit(f"no mnist.npz in {explicit}")
    from grader.datasets.store import DatasetStore

    folder = Path(tempfile.gettempdir()) / "grader-bench-class-data"
    return str(DatasetStore.synthetic(folder, size="small", names=("mnist",)).root), "synthetic"


class CpuMeter:
    """CPU seconds used by this process's descendants while running, sampled from /proc/<pid>/stat."""

    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self.seen: dict[tuple[int, int], float] = {}  # (pid, start time) -> latest CPU seconds
        self._stop = threading.Event()
        self._tick = os.sysconf("SC_CLK_TCK")

    def _sample(self) -> None:
        parents: dict[int, list[int]] = {}
        stats: dict[int, list[str]] = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    with open(f"/proc/{entry.name}/stat") as fh:
                        fields = fh.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                pid = int(entry.name)
                stats[pid] = fields
                parents.setdefault(int(fields[1]), []).append(pid)
        todo = [os.getpid()]
        while todo:
            for child in parents.get(todo.pop(), []):
                todo.append(child)
                f = stats[child]
                self.seen[(child, int(f[19]))] = (int(f[11]) + int(f[12])) / self._tick

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> CpuMeter:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())


def own_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--samples", type=int, default=3000)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--datasets")
    args = ap.parse_args()

    from grader.pipeline.classgrade import grade_folder
    from grader.pipeline.executors.base import default_cores
    from grader.rubric.loader import parse_rubric

    data, origin = datasets(args.datasets)
    rubric = parse_rubric(RUBRIC)
    cores = default_cores()
    work = Path(tempfile.mkdtemp(prefix="grader-bench-class-"))
    try:
        klass = work / "class"
        klass.mkdir()
        for i in range(args.n):
            (klass / f"student{i:02d}.py").write_text(
                SCRIPT.format(seed=i, samples=args.samples, epochs=args.epochs, units=16 + 8 * i))
        load0 = os.getloadavg()

        singles = []
        for i, path in enumerate(sorted(klass.iterdir())):
            alone = work / f"alone{i}"
            alone.mkdir()
            shutil.copy2(path, alone / path.name)
            cpu0, t0 = own_cpu(), time.perf_counter()
            with CpuMeter() as meter:
                graded = grade_folder(alone, rubric=rubric, jobs=1, datasets=data, store=":memory:", gpus=[])
            singles.append({"wall_s": time.perf_counter() - t0, "cpu_s": meter.seconds + own_cpu() - cpu0,
                            "status": graded.results[0].result.run.status.value})
            print(f"single {path.name}: {singles[-1]}", file=sys.stderr)

        store = work / "results.sqlite"
        cpu0, t0 = own_cpu(), time.perf_counter()
        with CpuMeter() as meter:
            graded = grade_folder(klass, rubric=rubric, jobs=args.jobs, datasets=data, store=store, gpus=[])
        class_wall, class_cpu = time.perf_counter() - t0, meter.seconds + own_cpu() - cpu0
        assert graded.count("ran") == args.n and not graded.ungraded, [r.result.run.message for r in graded.results]

        t0 = time.perf_counter()
        cached = grade_folder(klass, rubric=rubric, jobs=args.jobs, datasets=data, store=store, gpus=[])
        cached_wall = time.perf_counter() - t0
        assert cached.count("cached") == args.n
        lookups = sorted(r.seconds for r in cached.results)

        summed_cpu = sum(s["cpu_s"] for s in singles)
        ideal = summed_cpu / cores
        result = {
            "n": args.n, "jobs": args.jobs, "cores": cores, "samples": args.samples, "epochs": args.epochs,
            "datasets": origin, "loadavg_before": load0, "loadavg_after": os.getloadavg(),
            "singles": singles, "single_wall_sum_s": round(sum(s["wall_s"] for s in singles), 2),
            "single_cpu_sum_s": round(summed_cpu, 2), "ideal_wall_s": round(ideal, 2),
            "class_wall_s": round(class_wall, 2), "class_cpu_s": round(class_cpu, 2),
            "class_vs_ideal": round(class_wall / ideal, 3) if ideal else None,
            "cached_total_s": round(cached_wall, 3), "cached_per_submission_s": round(cached_wall / args.n, 4),
            "cached_lookup_median_s": round(lookups[len(lookups) // 2], 4),
        }
        out = REPO / "bench" / "results" / "class.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n")
        print(f"| measure | value | goal |\n|---|---|---|\n"
              f"| {args.n} one by one: wall, summed | {result['single_wall_sum_s']} s | |\n"
              f"| {args.n} one by one: CPU, summed | {result['single_cpu_sum_s']} s | |\n"
              f"| ideal wall (CPU / {cores} cores) | {result['ideal_wall_s']} s | |\n"
              f"| class with --jobs {args.jobs}: wall | {result['class_wall_s']} s | <= 1.15 x ideal |\n"
              f"| class wall / ideal | {result['class_vs_ideal']} | <= 1.15 |\n"
              f"| cached re-grade, per submission (reports excluded) | {result['cached_per_submission_s']} s | < 0.2 s |\n"
              f"| cached lookup + grade, median | {result['cached_lookup_median_s']} s | |\n"
              f"load average before {load0[0]:.2f}, after {result['loadavg_after'][0]:.2f}; data: {origin}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
