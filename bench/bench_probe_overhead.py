"""Probe overhead on fit time: the same training script with and without the probe.

Both variants are plain subprocesses (no sandbox) with the same thread settings; the probe
is active when `grader/runtime` is on PYTHONPATH and GRADER_OUT names a folder, exactly as
inside the sandbox. The script times `model.fit` itself:

  fit-only   from just before the `fit` call to Keras's `on_train_end` (includes the probe's
             work before training: argument binding, fingerprints of the arrays)
  fit call   the whole `fit` call; with the probe this includes its save of a .keras file
             and the model snapshot after training
  fit+save   the fit call with the probe, against the plain fit call plus the script's own
             `model.save(...)`: the cost of getting a saved model either way

Usage: python bench/bench_probe_overhead.py [--reps 8] [--epochs 4] [--quick]
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


def profile_probe(datasets: Path, train_rows: int) -> dict[str, Any]:
    """Times the probe's own steps on the benchmark's arrays, in a fresh interpreter."""
    code = r'''
import json, os, sys, time, tempfile
import numpy as np
sys.path.insert(0, sys.argv[1])
from grader_probe.fingerprint import fingerprint
with np.load(sys.argv[2]) as d:
    x, y = d["x_train"][:int(sys.argv[3])], d["y_train"][:int(sys.argv[3])]
x = x.reshape(-1, 784).astype("float32") / 255.0
def best(fn, n=7):
    times = []
    for _ in range(n):
        t0 = time.perf_counter(); fn(); times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]
out = {"fingerprint_x_s": best(lambda: fingerprint(x)), "fingerprint_y_s": best(lambda: fingerprint(y))}
import keras
from grader_probe.modelinfo import snapshot
from grader_probe import events
m = keras.Sequential([keras.Input((784,)), keras.layers.Dense(300, activation="sigmoid"),
                      keras.layers.Dense(10, activation="softmax")])
m.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
m.fit(x[:256], y[:256], epochs=1, verbose=0)
out["snapshot_s"] = best(lambda: snapshot(m, "m1", "keras"))
folder = tempfile.mkdtemp()
os.environ["GRADER_OUT"] = folder
out["save_keras_s"] = best(lambda: m.save(os.path.join(folder, "m.keras")))
out["saved_bytes"] = os.path.getsize(os.path.join(folder, "m.keras"))
rec = {"history": {"loss": [0.1] * 20}, "x": fingerprint(x), "y": fingerprint(y)}
out["emit_fit_event_s"] = best(lambda: events.emit("fit", model=snapshot(m, "m1", "keras"), fit=rec))
print(json.dumps(out))
'''
    proc = C.run([sys.executable, "-c", code, str(C.RUNTIME), str(datasets / "mnist.npz"), str(train_rows)],
                 C.thread_env(), Path(tempfile.gettempdir()))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--train-rows", type=int, default=60000)
    ap.add_argument("--datasets", default=None)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions and epochs")
    args = ap.parse_args(argv)
    reps = args.reps or (2 if args.quick else 8)
    epochs = args.epochs or (2 if args.quick else 4)
    datasets, origin = C.find_datasets(args.datasets)
    machine = C.machine()  # date and load at the start
    work = Path(tempfile.mkdtemp(prefix="grader-bench-probe-"))
    C.progress(f"probe overhead: {reps} reps x 2 variants, {epochs} epochs on {args.train_rows} rows ({origin} MNIST)")
    try:
        script = C.write_script(work / "train.py", epochs, args.train_rows)
        data = C.data_folder(datasets, work)

        def plain(rep: int) -> dict[str, Any]:
            env = C.thread_env(work / f"home-plain-{rep}")
            env["BENCH_MNIST"] = str(data / "mnist.npz")
            env["BENCH_SELF_SAVE"] = str(work / f"plain-{rep}.keras")
            t0 = time.perf_counter()
            proc = C.run([sys.executable, str(script)], env, work)
            wall = time.perf_counter() - t0
            marks = C.parse_marks(proc.stdout)
            assert marks, proc.stdout[-2000:]
            return {**marks, "wall_s": wall, "fit_save_s": marks["fit_call_s"] + marks["self_save_s"]}

        def probed(rep: int) -> dict[str, Any]:
            out = work / f"out-{rep}"
            out.mkdir()
            env = C.thread_env(work / f"home-probe-{rep}")
            env.update({"BENCH_MNIST": str(data / "mnist.npz"), "PYTHONPATH": str(C.RUNTIME), "GRADER_OUT": str(out),
                        "GRADER_DATA": str(data), "GRADER_CPUS": str(C.THREADS)})
            t0 = time.perf_counter()
            proc = C.run([sys.executable, str(script)], env, work)
            wall = time.perf_counter() - t0
            marks = C.parse_marks(proc.stdout)
            assert marks, proc.stdout[-2000:]
            events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
            fits = [e for e in events if e["event"] == "fit"]
            assert fits and fits[-1]["fit"].get("saved_model"), "the probe did not record and save the fit"
            return {**marks, "wall_s": wall, "fit_save_s": marks["fit_call_s"], "events": len(events)}

        samples = C.interleave({"plain": plain, "probe": probed}, reps, warmup=True)
        profile = profile_probe(datasets, args.train_rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def col(name: str, key: str) -> list[float | None]:
        return [s.get(key) for s in samples[name]]

    def per_epoch(name: str) -> list[float | None]:
        # median epoch time without the first (tracing) epoch
        return [C.med(s["epoch_s"][1:] or s["epoch_s"]) for s in samples[name]]

    metrics = {
        "fit_only_s": ("fit-only (fit call to on_train_end)", col("plain", "fit_only_s"), col("probe", "fit_only_s")),
        "fit_only_cpu_s": ("fit-only, CPU seconds (all threads)", col("plain", "fit_only_cpu_s"), col("probe", "fit_only_cpu_s")),
        "epoch_s": ("median epoch after the first", per_epoch("plain"), per_epoch("probe")),
        "fit_call_s": ("whole fit call (probe: incl. its save)", col("plain", "fit_call_s"), col("probe", "fit_call_s")),
        "fit_save_s": ("fit + save (plain: fit + own model.save)", col("plain", "fit_save_s"), col("probe", "fit_save_s")),
        "before_train_s": ("fit call to on_train_begin", col("plain", "before_train_s"), col("probe", "before_train_s")),
        "after_train_s": ("on_train_end to fit return", col("plain", "after_train_s"), col("probe", "after_train_s")),
        "process_wall_s": ("whole process (TF import, load, fit, evaluate)", col("plain", "wall_s"), col("probe", "wall_s")),
        "process_cpu_s": ("whole process, CPU seconds", col("plain", "children_cpu_s"), col("probe", "children_cpu_s")),
    }
    summary = {}
    for key, (label, a, b) in metrics.items():
        summary[key] = {"label": label, "plain": C.spread(a), "probe": C.spread(b),
                        "ratio": C.ratio(C.med(b), C.med(a)), "paired_ratio": C.paired_ratio(b, a),
                        "min_ratio": C.min_ratio(b, a)}
    result = {
        "benchmark": "probe_overhead", "machine": machine, "data": origin, "reps": reps, "epochs": epochs,
        "train_rows": args.train_rows, "goal": {"fit_only_ratio_max": 1.02},
        "summary": summary, "probe_steps": profile,
        "plain_self_save_s": C.spread(col("plain", "self_save_s")),
        "samples": {k: [{kk: vv for kk, vv in s.items() if kk != "wall"} for s in v] for k, v in samples.items()},
    }
    fit_only = summary["fit_only_s"]
    result["goal_met"] = C.verdict(1.02, fit_only["ratio"], fit_only["paired_ratio"], fit_only["min_ratio"])
    C.save_result("probe_overhead", result)
    print(markdown(result))
    return result


def markdown(result: dict[str, Any]) -> str:
    rows = []
    for key, item in result["summary"].items():
        rows.append([item["label"], C.fmt(item["plain"]["median"], 3), C.fmt(item["probe"]["median"], 3),
                     C.fmt(item["ratio"], 3), C.fmt(item["paired_ratio"], 3), C.fmt(item.get("min_ratio"), 3)])
    verdict = result["goal_met"]
    head = (f"### Probe overhead ({result['reps']} interleaved reps, {result['epochs']} epochs x "
            f"{result['train_rows']} rows, {result['data']} MNIST; goal fit-only <= 1.02: {verdict})\n\n")
    steps = result["probe_steps"]
    tail = ("\n\nProbe steps, timed alone (median of 7): " + ", ".join(
        f"{k} {v * 1000:.1f} ms" if k.endswith("_s") else f"{k} {v}" for k, v in steps.items()))
    return head + C.table(["median seconds", "plain", "probe", "ratio of medians", "paired ratio", "ratio of minimums"], rows) + tail


if __name__ == "__main__":
    main()
