"""Probe overhead on hand-written TensorFlow loops: the same loops with and without the probe.

The workload is the worst case for a per-step probe: a small network (784-64-10, batch 64)
whose steps take a few hundred microseconds, so fixed Python costs per step show. Three loops
of ``--steps`` steps each, timed by the script itself around each loop:

  eager+optimizer   GradientTape + keras.optimizers.SGD.apply_gradients, eager
  eager+assign_sub  GradientTape + w.assign_sub(lr * g), no optimizer object
  tf.function       the step inside tf.function with Adam (the probe only sees the trace)

Both variants are plain subprocesses (no sandbox) with the same thread settings; the probe is
active when `grader/runtime` is on PYTHONPATH and GRADER_OUT names a folder, exactly as inside the
sandbox. The probe's snapshot at the end (one event and an .npz per loop) is timed separately.

Usage: python bench/bench_tfloop.py [--reps 6] [--steps 3000] [--quick]
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

WORKLOAD = r'''
import json, os, sys, time
import numpy as np
import tensorflow as tf

steps = int(sys.argv[1])
rng = np.random.default_rng(0)
x = tf.constant(rng.normal(size=(64, 784)).astype("float32"))
y = tf.one_hot(rng.integers(0, 10, 64), 10)

def net(name):
    return [tf.Variable(tf.random.normal([784, 64], stddev=0.05), name=name + "W1"), tf.Variable(tf.zeros([64])),
            tf.Variable(tf.random.normal([64, 10], stddev=0.05)), tf.Variable(tf.zeros([10]))]

def forward(p, xb):
    return tf.sigmoid(xb @ p[0] + p[1]) @ p[2] + p[3]

def loss_of(p, xb, yb):
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(yb, forward(p, xb)))

marks = {}
p, opt = net("a"), tf.keras.optimizers.SGD(0.1)
t0 = time.perf_counter()
for _ in range(steps):
    with tf.GradientTape() as tape:
        loss = loss_of(p, x, y)
    opt.apply_gradients(zip(tape.gradient(loss, p), p))
marks["eager_optimizer_s"] = time.perf_counter() - t0

q = net("b")
t0 = time.perf_counter()
for _ in range(steps):
    with tf.GradientTape() as tape:
        loss = loss_of(q, x, y)
    for v, g in zip(q, tape.gradient(loss, q)):
        v.assign_sub(0.1 * g)
marks["eager_assign_s"] = time.perf_counter() - t0

r, adam = net("c"), tf.keras.optimizers.Adam(1e-3)

@tf.function
def step(xb, yb):
    with tf.GradientTape() as tape:
        loss = loss_of(r, xb, yb)
    adam.apply_gradients(zip(tape.gradient(loss, r), r))
    return loss

step(x, y)  # the trace, outside the timing (both variants pay it)
t0 = time.perf_counter()
for _ in range(steps):
    step(x, y)
float(r[1][0])  # wait for the last step
marks["graph_s"] = time.perf_counter() - t0

if os.environ.get("GRADER_OUT"):
    from grader_probe import tfloop
    t0 = time.perf_counter()
    tfloop.flush()
    marks["snapshot_s"] = time.perf_counter() - t0
    # The wrappers' own cost per call, around a no-op: independent of how busy the machine is.
    loss = loss_of(p, x, y)
    noop = lambda *a, **k: None  # noqa: E731
    for key, fn, args in (("probe_gradient_us", tfloop._wrap_gradient(noop), (None, loss, p)),
                          ("probe_update_us", tfloop._wrap_update(noop, "assign_sub"), (q[0], 0.0)),
                          ("bare_call_us", noop, (None, loss, p))):
        t0 = time.perf_counter()
        for _ in range(20000):
            fn(*args)
        marks[key] = (time.perf_counter() - t0) / 20000 * 1e6
    marks["probe_gradient_us"] -= marks["bare_call_us"]
print("BENCH_MARKS " + json.dumps(marks))
'''


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions and steps")
    args = ap.parse_args(argv)
    reps = args.reps or (2 if args.quick else 6)
    steps = args.steps or (500 if args.quick else 3000)
    machine = C.machine()
    work = Path(tempfile.mkdtemp(prefix="grader-bench-tfloop-"))
    script = work / "loops.py"
    script.write_text(WORKLOAD)
    C.progress(f"hand-written loop overhead: {reps} reps x 2 variants, 3 loops x {steps} steps")
    try:
        def run(rep: int, probe: bool) -> dict[str, Any]:
            env = C.thread_env(work / f"home-{'probe' if probe else 'plain'}-{rep}")
            if probe:
                out = work / f"out-{rep}"
                out.mkdir()
                env.update({"PYTHONPATH": str(C.RUNTIME), "GRADER_OUT": str(out), "GRADER_CPUS": str(C.THREADS)})
            t0 = time.perf_counter()
            proc = C.run([sys.executable, str(script), str(steps)], env, work)
            wall = time.perf_counter() - t0
            line = [x for x in proc.stdout.splitlines() if x.startswith("BENCH_MARKS ")]
            assert line, proc.stdout[-2000:] + proc.stderr[-2000:]
            marks = json.loads(line[-1][len("BENCH_MARKS "):])
            if probe:
                events = [json.loads(x) for x in (out / "events.jsonl").read_text().splitlines()]
                loops = {e["training"]["id"]: e["training"] for e in events if e["event"] == "custom_training"}
                counted = [t["steps"] for t in loops.values()]
                assert counted == [steps, steps, steps + 1], counted  # +1: the untimed tracing call
            return {**marks, "wall_s": wall}

        samples = C.interleave({"plain": lambda rep: run(rep, False), "probe": lambda rep: run(rep, True)},
                               reps, warmup=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def col(name: str, key: str) -> list[float | None]:
        return [s.get(key) for s in samples[name]]

    labels = {"eager_optimizer_s": "eager loop, optimizer.apply_gradients",
              "eager_assign_s": "eager loop, hand-written assign_sub",
              "graph_s": "tf.function step with Adam",
              "wall_s": "whole process"}
    summary = {}
    for key, label in labels.items():
        a, b = col("plain", key), col("probe", key)
        summary[key] = {"label": label, "plain": C.spread(a), "probe": C.spread(b),
                        "ratio": C.ratio(C.med(b), C.med(a)), "paired_ratio": C.paired_ratio(b, a),
                        "min_ratio": C.min_ratio(b, a)}
    result = {"benchmark": "tfloop_overhead", "machine": machine, "reps": reps, "steps": steps,
              "goal": {"loop_ratio_max": GOAL}, "summary": summary,
              "snapshot_s": C.spread(col("probe", "snapshot_s")), "samples": samples,
              "per_call_us": {"gradient": C.med(col("probe", "probe_gradient_us")),
                              "update": C.med(col("probe", "probe_update_us"))},
              "eager_step_ms": (C.med(col("plain", "eager_optimizer_s")) or 0) / steps * 1000}
    verdicts = {k: C.verdict(GOAL, s["ratio"], s["paired_ratio"], s["min_ratio"])
                for k, s in summary.items() if k != "wall_s"}
    result["goal_met"] = verdicts
    C.save_result("tfloop_overhead", result)
    print(markdown(result))
    return result


def markdown(result: dict[str, Any]) -> str:
    rows = [[item["label"], C.fmt(item["plain"]["median"], 3), C.fmt(item["probe"]["median"], 3),
             C.fmt(item["ratio"], 3), C.fmt(item["paired_ratio"], 3), C.fmt(item["min_ratio"], 3)]
            for item in result["summary"].values()]
    head = (f"### Hand-written loop overhead ({result['reps']} interleaved reps, {result['steps']} steps per loop; "
            f"goal <= {GOAL}: " + ", ".join(f"{k} {v}" for k, v in result["goal_met"].items()) + ")\n\n")
    snap = result["snapshot_s"]["median"]
    per_call = result["per_call_us"]
    tail = (f"\n\nThe probe's snapshot at the end (3 events, 3 .npz files): {C.fmt(snap * 1000 if snap else None, 1)} ms. "
            f"Its wrappers alone, per call (median): GradientTape.gradient {C.fmt(per_call['gradient'], 1)} us "
            f"(with the loss read only on sampled steps), assign_sub {C.fmt(per_call['update'], 2)} us; a plain eager step "
            f"here took {C.fmt(result['eager_step_ms'], 2)} ms.")
    return head + C.table(["median seconds", "plain", "probe", "ratio of medians", "paired ratio",
                           "ratio of minimums"], rows) + tail


if __name__ == "__main__":
    main()
