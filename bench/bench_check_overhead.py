"""One `grader check` against `jupyter nbconvert --execute` on the same ~20 s notebook.

Three variants, interleaved in one process, each a fresh process per submission (as a student runs them):

  check                   grader.api.check(notebook), as `grader check` runs it: the verifier worker (one
                          TensorFlow import) starts at low priority as the sandboxed run starts, and each model
                          is sent to it as soon as its fit has saved it, while the run goes on
                          (grader.verify.speculation); the request after the run reuses that work
  check, no early request the same with speculate=False: the worker is ready when the run ends, and verifies
                          everything after it
  nbconvert               jupyter nbconvert --to notebook --execute (no sandbox, no grading)

(``check(early_verifier=False)``, a worker started only after the run, cost 1.19-1.21 x nbconvert.)

The workload is bench_run_overhead's MNIST dense 784-300-10 notebook (12 epochs on all 60 000 rows: about
20 s here). The check variants run `python -c "from grader.api import check; ..."`: Python's start, the
grader's import, the sandboxed run, verification and grading, without the CLI's terminal rendering.
Goal: check / nbconvert <= 1.05.

Usage: python bench/bench_check_overhead.py [--reps 3] [--epochs 12] [--train-rows 60000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402

GOAL = 1.05
RUBRIC = """
id: check-bench
title: Check
version: "1"
slots:
  - id: net
    title: The network
    match: {hidden_layers: "==1"}
    metrics:
      - {id: net.test, metric: accuracy, split: test, expect: ">0.5", points: 1}
"""
CHECK = """
import json, sys, time
t0 = time.perf_counter()
from grader.api import check
result = check(sys.argv[1], rubric=sys.argv[2], datasets=sys.argv[3], speculate=sys.argv[4] == "1")
ver = result.evidence.verifications
print("CHECK_RESULT " + json.dumps({"status": result.run.status.value, "score": result.score,
      "verified": [v.status.value for v in ver], "run_s": result.run.duration_s,
      "in_process_s": time.perf_counter() - t0}))
"""


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--train-rows", type=int, default=60000)
    ap.add_argument("--datasets", default=None)
    ap.add_argument("--quick", action="store_true", help="one repetition of a short run")
    args = ap.parse_args(argv)
    reps = args.reps or (1 if args.quick else 3)
    epochs = args.epochs or (2 if args.quick else 12)
    datasets, origin = C.find_datasets(args.datasets)
    machine = C.machine()
    try:
        import nbconvert  # noqa: F401
    except ImportError:
        raise SystemExit("bench_check_overhead needs nbconvert for its baseline: pip install -e '.[bench]'") from None

    work = Path(tempfile.mkdtemp(prefix="grader-bench-check-"))
    bindir = str(Path(sys.executable).parent)
    C.progress(f"check overhead: {reps} reps x 3 variants, {epochs} epochs on {args.train_rows} rows ({origin} MNIST)")
    try:
        data = C.data_folder(datasets, work)
        rubric = work / "rubric.yaml"
        rubric.write_text(RUBRIC)
        grader_home = work / "home-grader"
        grader_home.mkdir()

        def check(notebook: Path, speculate: bool) -> dict[str, Any]:
            env = C.thread_env(grader_home)
            t0 = time.perf_counter()
            proc = C.run([sys.executable, "-c", CHECK, str(notebook), str(rubric), str(data), "1" if speculate else "0"],
                         env, work)
            wall = time.perf_counter() - t0
            line = next(x for x in reversed(proc.stdout.splitlines()) if x.startswith("CHECK_RESULT "))
            info = json.loads(line[len("CHECK_RESULT "):])
            if info["status"] != "completed" or info["verified"] != ["verified"]:
                raise RuntimeError(f"check did not complete and verify: {info}\n{proc.stderr[-2000:]}")
            return {"wall_s": wall, **info}

        def nbconvert_run(notebook: Path) -> dict[str, Any]:
            home = work / f"home-nb-{time.monotonic_ns()}"
            env = C.thread_env(home)
            env["BENCH_MNIST"] = str(data / "mnist.npz")
            env["PATH"] = bindir + os.pathsep + env.get("PATH", "/usr/bin:/bin")
            out = work / f"executed-{time.monotonic_ns()}.ipynb"
            t0 = time.perf_counter()
            C.run([str(Path(bindir) / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                   "--ExecutePreprocessor.timeout=1800", "--output", str(out), str(notebook)], env, work)
            return {"wall_s": time.perf_counter() - t0, "test_accuracy": (C.notebook_marks(out) or {}).get("test_accuracy")}

        def variants(notebook: Path) -> dict[str, Any]:
            return {"check": lambda rep: check(notebook, True),
                    "check, no early request": lambda rep: check(notebook, False),
                    "nbconvert": lambda rep: nbconvert_run(notebook)}

        C.progress("  warm-up (one short run of each variant, not counted)")
        for name, fn in variants(C.write_notebook(work / "warm.ipynb", 1, 2000)).items():
            t0 = time.perf_counter()
            fn(-1)
            C.progress(f"  warm-up {name:<28} {time.perf_counter() - t0:8.2f} s (not counted)")
        samples = C.interleave(variants(C.write_notebook(work / "mnist_dense.ipynb", epochs, args.train_rows)), reps)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = [s["wall_s"] for s in samples["nbconvert"]]
    comparisons = {}
    for name in ("check", "check, no early request"):
        wall = [s["wall_s"] for s in samples[name]]
        comparisons[name] = {"grader": C.spread(wall), "baseline": C.spread(base),
                             "ratio": C.ratio(C.med(wall), C.med(base)), "paired_ratio": C.paired_ratio(wall, base),
                             "min_ratio": C.min_ratio(wall, base)}
    result = {"machine": machine, "load_avg_at_end": os.getloadavg()[0], "datasets": origin, "reps": reps,
              "epochs": epochs, "train_rows": args.train_rows, "goal": {"ratio_max": GOAL},
              "comparisons": comparisons, "samples": samples}
    C.save_result("check_overhead", result)
    print(render(result))
    return result


def render(result: dict[str, Any]) -> str:
    rows = []
    for name, item in result["comparisons"].items():
        rows.append([f"{name} vs nbconvert", C.fmt(item["grader"]["median"], 1), C.fmt(item["baseline"]["median"], 1),
                     C.fmt(item["ratio"], 3), C.fmt(item["paired_ratio"], 3), C.fmt(item["min_ratio"], 3),
                     f"<= {GOAL}", C.verdict(GOAL, item["ratio"], item["paired_ratio"], item["min_ratio"])])
    m = result["machine"]
    head = (f"### One `grader check` against nbconvert ({result['reps']} interleaved reps, {result['epochs']} epochs x "
            f"{result['train_rows']} rows, {result['datasets']} MNIST; load average {m.get('load_avg_at_start', 0):.1f} "
            f"at the start, {result['load_avg_at_end']:.1f} at the end)\n\n")
    return head + C.table(["comparison", "grader s", "nbconvert s", "ratio of medians", "paired ratio",
                           "ratio of minimums", "goal", "verdict"], rows)


if __name__ == "__main__":
    main()
