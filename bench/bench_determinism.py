"""Deterministic runs: wall time of a seeded run with TensorFlow's op determinism on, against today's unseeded
default, on the dense and the CNN workloads (goal: at most 1.05).

Both variants run the same unseeded student script through the probe (a plain subprocess, the sandbox's thread
settings, `grader/runtime` on PYTHONPATH and GRADER_OUT set, as inside the sandbox); the deterministic one also
gets GRADER_SEED, which is all `--seed` changes in a run. Interleaved (A B, B A, ...). Each run prints its own
fit time; the process wall time (TensorFlow import, data, fit, evaluate) is taken from outside. Each run also
reports its test accuracy, so the table shows that the seeded runs agree to the bit and the unseeded ones not.

Usage: python bench/bench_determinism.py [--reps 4] [--quick] [--datasets DIR] [--only dense,cnn]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402

GOAL = 1.05
# An unseeded student script: the grader's seed (or none) is the only difference between the variants.
SCRIPT = '''
import json, os, time
import numpy as np
import keras
with np.load(os.environ["BENCH_MNIST"]) as d:
    x, y, xt, yt = d["x_train"][:{rows}], d["y_train"][:{rows}], d["x_test"], d["y_test"]
{model}
model.compile(optimizer={optimizer}, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
t0 = time.perf_counter()
model.fit(x, y, epochs={epochs}, batch_size={batch}, verbose=0)
fit_s = time.perf_counter() - t0
loss, acc = model.evaluate(xt, yt, batch_size=512, verbose=0)
print("BENCH_MARKS " + json.dumps({{"fit_s": fit_s, "test_accuracy": float(acc), "test_loss": float(loss)}}))
'''
WORKLOADS = {
    "dense": {"model": '''x, xt = x.reshape(-1, 784) / 255.0, xt.reshape(-1, 784) / 255.0
model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(300, activation="sigmoid"),
                          keras.layers.Dense(10, activation="softmax")])''',
              "optimizer": 'keras.optimizers.SGD(learning_rate=0.1)', "batch": 128, "rows": 60000, "epochs": 4,
              "quick": {"rows": 60000, "epochs": 2}},
    "cnn": {"model": '''x, xt = x[..., None] / 255.0, xt[..., None] / 255.0
model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(32, 3, activation="relu"),
                          keras.layers.MaxPooling2D(), keras.layers.Conv2D(64, 3, activation="relu"),
                          keras.layers.MaxPooling2D(), keras.layers.Flatten(), keras.layers.Dropout(0.5),
                          keras.layers.Dense(10, activation="softmax")])''',
            "optimizer": '"adam"', "batch": 64, "rows": 20000, "epochs": 1, "quick": {"rows": 6000, "epochs": 1}},
}


def script(workload: str, quick: bool) -> str:
    spec = {**WORKLOADS[workload], **(WORKLOADS[workload]["quick"] if quick else {})}
    return SCRIPT.format(model=spec["model"], optimizer=spec["optimizer"], batch=spec["batch"], rows=spec["rows"],
                         epochs=spec["epochs"])


# The same comparison inside one process: op determinism switched on and off between fits (alternating order),
# so process start-up, TensorFlow's import and a busy machine's slow drifts cancel out of each pair.
IN_PROCESS = r'''
import json, os, sys, time
import numpy as np
import keras
from tensorflow.python.framework import config
import tensorflow as tf
from grader_probe import cpu_xent
cpu_xent.install(tf)  # what a seeded run gets on CPU (the op with determinism off is the same either way)
workload, reps, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with np.load(os.environ["BENCH_MNIST"]) as d:
    x, y = d["x_train"][:rows], d["y_train"][:rows]
if workload == "dense":
    x = x.reshape(-1, 784) / 255.0
    def build():
        return keras.Sequential([keras.Input((784,)), keras.layers.Dense(300, activation="sigmoid"),
                                 keras.layers.Dense(10, activation="softmax")]), keras.optimizers.SGD(0.1), 128
else:
    x = x[..., None] / 255.0
    def build():
        return keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(32, 3, activation="relu"),
                                 keras.layers.MaxPooling2D(), keras.layers.Conv2D(64, 3, activation="relu"),
                                 keras.layers.MaxPooling2D(), keras.layers.Flatten(), keras.layers.Dropout(0.5),
                                 keras.layers.Dense(10, activation="softmax")]), "adam", 64
def fit(deterministic):
    (config.enable_op_determinism if deterministic else config.disable_op_determinism)()
    keras.utils.set_random_seed(1)
    model, opt, batch = build()
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
    t0 = time.perf_counter()
    model.fit(x, y, epochs=1, batch_size=batch, verbose=0)
    return time.perf_counter() - t0
fit(False); fit(True)  # warm-up: first traces, allocator
out = {"default": [], "deterministic": []}
for rep in range(reps):
    for det in ((False, True) if rep % 2 == 0 else (True, False)):
        out["deterministic" if det else "default"].append(fit(det))
print(json.dumps(out))
'''


def in_process(workload: str, data: Path, reps: int, rows: int, work: Path) -> dict[str, Any]:
    env = C.thread_env(work / f"home-inproc-{workload}")
    env["BENCH_MNIST"] = str(data / "mnist.npz")
    env["PYTHONPATH"] = str(C.RUNTIME)
    proc = C.run([sys.executable, "-c", IN_PROCESS, workload, str(reps), str(rows)], env, work)
    times = json.loads(proc.stdout.strip().splitlines()[-1])
    a, b = times["default"], times["deterministic"]
    return {"default": C.spread(a), "deterministic": C.spread(b), "ratio": C.ratio(C.med(b), C.med(a)),
            "paired_ratio": C.paired_ratio(b, a), "min_ratio": C.min_ratio(b, a), "samples": times}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--datasets", default=None)
    ap.add_argument("--only", default="dense,cnn")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, less data")
    args = ap.parse_args(argv)
    reps = args.reps or (2 if args.quick else 4)
    datasets, origin = C.find_datasets(args.datasets)
    machine = C.machine()
    work = Path(tempfile.mkdtemp(prefix="grader-bench-determinism-"))
    results: dict[str, Any] = {}
    try:
        data = C.data_folder(datasets, work)
        for workload in [w.strip() for w in args.only.split(",") if w.strip()]:
            path = work / f"{workload}.py"
            path.write_text(script(workload, args.quick))
            C.progress(f"determinism: {workload}, {reps} reps x 2 variants ({origin} MNIST)")

            def variant(seed: str | None, name: str) -> Any:
                def go(rep: int) -> dict[str, Any]:
                    out = work / f"out-{workload}-{name}-{rep}"
                    out.mkdir()
                    env = C.thread_env(work / f"home-{workload}-{name}-{rep}")
                    env.update({"BENCH_MNIST": str(data / "mnist.npz"), "PYTHONPATH": str(C.RUNTIME),
                                "GRADER_OUT": str(out), "GRADER_DATA": str(data), "GRADER_CPUS": str(C.THREADS)})
                    if seed is not None:
                        env.update({"GRADER_SEED": seed, "PYTHONHASHSEED": seed})
                    t0 = time.perf_counter()
                    proc = C.run([sys.executable, str(path)], env, work)
                    wall = time.perf_counter() - t0
                    marks = C.parse_marks(proc.stdout)
                    assert marks, proc.stdout[-2000:] + proc.stderr[-2000:]
                    seeded = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()
                              if '"seeding"' in line]
                    assert bool(seeded) == (seed is not None), "the probe did not seed as asked"
                    return {**marks, "wall_s": wall}
                return go

            samples = C.interleave({"default": variant(None, "default"), "deterministic": variant("1", "det")},
                                   reps, warmup=False)
            summary = {}
            for key, label in (("fit_s", "model.fit"), ("wall_s", "whole process"),
                               ("children_cpu_s", "whole process, CPU seconds")):
                a = [s[key] for s in samples["default"]]
                b = [s[key] for s in samples["deterministic"]]
                summary[key] = {"label": label, "default": C.spread(a), "deterministic": C.spread(b),
                                "ratio": C.ratio(C.med(b), C.med(a)), "paired_ratio": C.paired_ratio(b, a),
                                "min_ratio": C.min_ratio(b, a)}
            fit = summary["fit_s"]
            results[workload] = {
                "summary": summary, "goal_met": C.verdict(GOAL, fit["ratio"], fit["paired_ratio"], fit["min_ratio"]),
                "accuracies": {k: sorted({s["test_accuracy"] for s in v}) for k, v in samples.items()},
                "losses": {k: sorted({s["test_loss"] for s in v}) for k, v in samples.items()},
                "samples": samples}
            rows = {"dense": 60000, "cnn": 6000 if args.quick else 12000}[workload]
            C.progress(f"determinism: {workload}, in one process, {2 * reps} fits x 2 modes on {rows} rows")
            inproc = in_process(workload, data, 2 * reps, rows, work)
            results[workload]["in_process"] = inproc
            results[workload]["goal_met_in_process"] = C.verdict(GOAL, inproc["ratio"], inproc["paired_ratio"],
                                                                 inproc["min_ratio"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {"benchmark": "determinism", "machine": machine, "data": origin, "reps": reps, "quick": args.quick,
              "goal": {"fit_ratio_max": GOAL}, "workloads": results}
    C.save_result("determinism", result)
    print(markdown(result))
    return result


def markdown(result: dict[str, Any]) -> str:
    rows = []
    for workload, item in result["workloads"].items():
        for key, s in item["summary"].items():
            rows.append([f"{workload}: {s['label']}", C.fmt(s["default"]["median"], 2),
                         C.fmt(s["deterministic"]["median"], 2), C.fmt(s["ratio"], 3), C.fmt(s["paired_ratio"], 3),
                         C.fmt(s["min_ratio"], 3), item["goal_met"] if key == "fit_s" else ""])
    for workload, item in result["workloads"].items():
        s = item.get("in_process")
        if s:
            rows.append([f"{workload}: model.fit, one process, determinism toggled ({s['default']['n']} pairs)",
                         C.fmt(s["default"]["median"], 2), C.fmt(s["deterministic"]["median"], 2),
                         C.fmt(s["ratio"], 3), C.fmt(s["paired_ratio"], 3), C.fmt(s["min_ratio"], 3),
                         item["goal_met_in_process"]])
    head = (f"### Deterministic runs ({result['reps']} interleaved reps, {result['data']} MNIST; "
            f"goal model.fit deterministic/default <= {GOAL})\n\n")
    distinct = "\n".join(
        f"- {w}: distinct test losses, default {len(i['losses']['default'])} of {len(i['samples']['default'])} runs, "
        f"deterministic {len(i['losses']['deterministic'])} of {len(i['samples']['deterministic'])}"
        for w, i in result["workloads"].items())
    return head + C.table(["median seconds", "default (unseeded)", "deterministic (seed 1)", "ratio of medians",
                           "paired ratio", "ratio of minimums", "goal"], rows) + "\n\n" + distinct


if __name__ == "__main__":
    main()
