"""Verification cost: the verifier worker's start-up and the time per model.

  start-up    grader.verify.Verifier's sandboxed worker, from launch to "ready" (bubblewrap
              where available, then `import keras` with TensorFlow): paid once per grading
              worker. Interleaved with a plain `python -c "import keras"` for comparison.
  per model   one request: copy the .keras into the worker's inbox, load it with
              safe_mode=True, count parameters, recognise the training data from its
              fingerprint and re-evaluate on the 10k test split (predict + evaluate).
              Dense 784-300-10 and the small CNN of the MNIST tutorial, interleaved.
  profile     the same steps timed one by one in a plain process (load, predict, evaluate).

Usage: python bench/bench_verify.py [--starts 4] [--requests 4] [--quick]
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

MAKE_MODELS = r'''
import json, os, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from grader_probe.fingerprint import fingerprint
import keras
out = sys.argv[3]
with np.load(sys.argv[2]) as d:
    x_train, y_train, x_test, y_test = d["x_train"], d["y_train"], d["x_test"], d["y_test"]
keras.utils.set_random_seed(0)
dense = keras.Sequential([keras.Input((784,)), keras.layers.Dense(300, activation="sigmoid"),
                          keras.layers.Dense(10, activation="softmax")])
cnn = keras.Sequential([
    keras.Input((28, 28, 1)),
    keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(2),
    keras.layers.Conv2D(64, 3, activation="relu"), keras.layers.MaxPooling2D(2),
    keras.layers.Flatten(), keras.layers.Dropout(0.5), keras.layers.Dense(10, activation="softmax"),
])
meta = {}
for name, model, shape in (("dense", dense, (-1, 784)), ("cnn", cnn, (-1, 28, 28, 1))):
    x = x_train.reshape(shape).astype("float32") / 255.0
    xt = x_test.reshape(shape).astype("float32") / 255.0
    model.compile(optimizer="sgd" if name == "dense" else "adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x[:1024], y_train[:1024], epochs=1, batch_size=128, verbose=0)  # a trained, compiled model
    path = os.path.join(out, name + ".keras")
    model.save(path)
    meta[name] = {"path": path, "params": int(model.count_params()),
                  "payload": {"datasets": ["mnist"], "eval_x": [fingerprint(xt)],
                              "fit": {"x": fingerprint(x), "y": fingerprint(y_train), "validation_split": None,
                                      "validation_x": None}}}
print(json.dumps(meta))
'''

PROFILE = r'''
import json, os, sys, time
import numpy as np
t0 = time.perf_counter()
import keras
import_s = time.perf_counter() - t0
sys.path.insert(0, sys.argv[1])
meta = json.loads(open(sys.argv[3]).read())
with np.load(sys.argv[2]) as d:
    x_test, y_test = d["x_test"], d["y_test"]
out = {"import_keras_s": import_s}
def med(fn, n):
    times = []
    for _ in range(n):
        t = time.perf_counter(); r = fn(); times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2], r
n = int(sys.argv[4])
for name, shape in (("dense", (-1, 784)), ("cnn", (-1, 28, 28, 1))):
    xt = x_test.reshape(shape).astype("float32") / 255.0
    path = meta[name]["path"]
    first_load = time.perf_counter(); keras.saving.load_model(path, safe_mode=True); first_load = time.perf_counter() - first_load
    load_s, model = med(lambda: keras.saving.load_model(path, safe_mode=True, compile=True), n)
    model.predict(xt[:512], batch_size=512, verbose=0)
    predict_s, _ = med(lambda: model.predict(xt, batch_size=512, verbose=0), n)
    model.evaluate(xt[:512], y_test[:512], batch_size=512, verbose=0)
    evaluate_s, _ = med(lambda: model.evaluate(xt, y_test, batch_size=512, verbose=0, return_dict=True), n)
    out[name] = {"first_load_s": first_load, "load_s": load_s, "predict_10k_s": predict_s, "evaluate_10k_s": evaluate_s}
print(json.dumps(out))
'''


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", type=int, default=None, help="verifier start-ups to time")
    ap.add_argument("--requests", type=int, default=None, help="requests per model per verifier")
    ap.add_argument("--datasets", default=None)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    starts = args.starts or (2 if args.quick else 4)
    requests = args.requests or (2 if args.quick else 4)
    datasets, origin = C.find_datasets(args.datasets)
    machine = C.machine()  # date and load at the start

    from grader.verify import Verifier

    work = Path(tempfile.mkdtemp(prefix="grader-bench-verify-"))
    C.progress(f"verification: {starts} verifier start-ups, {requests} requests per model each ({origin} MNIST)")
    try:
        proc = C.run([sys.executable, "-c", MAKE_MODELS, str(C.RUNTIME), str(datasets / "mnist.npz"), str(work)],
                     C.thread_env(work / "home-make"), work)
        meta = json.loads(proc.stdout.strip().splitlines()[-1])
        (work / "meta.json").write_text(json.dumps(meta))
        files = {"mnist.npz": datasets / "mnist.npz"}

        def verifier_session(rep: int) -> dict[str, Any]:
            """One worker: start it, then dense and CNN requests alternating."""
            per: dict[str, list[dict[str, float]]] = {"dense": [], "cnn": []}
            first: dict[str, Any] = {}
            t0 = time.perf_counter()
            with Verifier(files, cpus=C.THREADS) as verifier:
                for i in range(requests):
                    order = ("dense", "cnn") if i % 2 == 0 else ("cnn", "dense")
                    for name in order:
                        r0 = time.perf_counter()
                        resp = verifier.request(Path(meta[name]["path"]), meta[name]["payload"])
                        rt = time.perf_counter() - r0
                        if not resp.get("ok") or "test" not in resp.get("metrics", {}):
                            raise RuntimeError(f"verification failed: {resp}")
                        if not first:
                            first = {"model": name, "round_trip_s": rt - verifier.started_s,
                                     "worker_s": resp["seconds"]}
                        else:
                            per[name].append({"round_trip_s": rt, "worker_s": resp["seconds"]})
                started = verifier.started_s
            return {"wall_s": time.perf_counter() - t0, "start_s": started, "first": first, "per": per}

        def plain_import(rep: int) -> dict[str, Any]:
            t0 = time.perf_counter()
            C.run([sys.executable, "-c", "import keras"], C.thread_env(work / "home-import"), work)
            return {"wall_s": time.perf_counter() - t0, "start_s": time.perf_counter() - t0}

        samples = C.interleave({"verifier": verifier_session, "plain import keras": plain_import}, starts)
        prof = C.run([sys.executable, "-c", PROFILE, str(C.RUNTIME), str(datasets / "mnist.npz"), str(work / "meta.json"),
                      "3" if args.quick else "5"], C.thread_env(work / "home-profile"), work)
        profile = json.loads(prof.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)

    sessions = samples["verifier"]
    per_model = {}
    for name in ("dense", "cnn"):
        rt = [r["round_trip_s"] for s in sessions for r in s["per"][name]]
        ws = [r["worker_s"] for s in sessions for r in s["per"][name]]
        per_model[name] = {"params": meta[name]["params"], "round_trip": C.spread(rt), "worker": C.spread(ws)}
    result = {
        "benchmark": "verify", "machine": machine, "data": origin, "starts": starts, "requests": requests,
        "startup": {"verifier": C.spread([s["start_s"] for s in sessions]),
                    "plain_import_keras": C.spread([s["start_s"] for s in samples["plain import keras"]])},
        "first_request": [s["first"] for s in sessions],
        "per_model": per_model, "profile": profile,
        "samples": samples,
    }
    result["startup"]["ratio"] = C.ratio(result["startup"]["verifier"]["median"], result["startup"]["plain_import_keras"]["median"])
    C.save_result("verify", result)
    print(markdown(result))
    return result


def markdown(result: dict[str, Any]) -> str:
    st = result["startup"]
    rows = [["verifier start-up (sandbox + import keras)", C.fmt(st["verifier"]["median"], 2),
             f"{C.fmt(st['verifier']['min'], 2)}–{C.fmt(st['verifier']['max'], 2)}", str(st["verifier"]["n"])],
            ["plain `python -c 'import keras'` (for comparison)", C.fmt(st["plain_import_keras"]["median"], 2),
             f"{C.fmt(st['plain_import_keras']['min'], 2)}–{C.fmt(st['plain_import_keras']['max'], 2)}",
             str(st["plain_import_keras"]["n"])]]
    firsts = [f["round_trip_s"] for f in result["first_request"] if f]
    rows.append(["first request of a worker (also loads mnist.npz)", C.fmt(C.med(firsts), 2), "", str(len(firsts))])
    for name, item in result["per_model"].items():
        rows.append([f"per model, {name} ({item['params']:,} params): round trip", C.fmt(item["round_trip"]["median"], 3),
                     f"{C.fmt(item['round_trip']['min'], 3)}–{C.fmt(item['round_trip']['max'], 3)}", str(item["round_trip"]["n"])])
        rows.append([f"per model, {name}: inside the worker", C.fmt(item["worker"]["median"], 3),
                     f"{C.fmt(item['worker']['min'], 3)}–{C.fmt(item['worker']['max'], 3)}", str(item["worker"]["n"])])
    out = (f"### Verification cost ({result['starts']} worker start-ups interleaved with plain imports, "
           f"{result['requests']} requests per model per worker, {result['data']} MNIST)\n\n")
    out += C.table(["what", "median s", "range s", "n"], rows)
    prof = result["profile"]
    prow = [[name, C.fmt(p["first_load_s"], 3), C.fmt(p["load_s"], 3), C.fmt(p["predict_10k_s"], 3), C.fmt(p["evaluate_10k_s"], 3)]
            for name, p in prof.items() if isinstance(p, dict)]
    out += "\n\nSteps in a plain process (median seconds):\n\n" + C.table(
        ["model", "first load", "load (safe_mode)", "predict 10k", "evaluate 10k"], prow)
    return out


if __name__ == "__main__":
    main()
