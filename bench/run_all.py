"""Runs the three benchmarks in turn and prints their results as Markdown.

    python bench/run_all.py [--quick] [--datasets DIR] [--only probe,run,verify]

Each benchmark writes bench/results/<name>.json; this writes bench/results/summary.json and
prints every table, then a one-table summary, to stdout (progress goes to stderr).
`--quick` takes a few minutes and is for checking that everything runs, not for figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402
import bench_probe_overhead  # noqa: E402
import bench_run_overhead  # noqa: E402
import bench_verify  # noqa: E402

BENCHES = {"probe": bench_probe_overhead, "run": bench_run_overhead, "verify": bench_verify}
RESULT_FILES = {"probe": "probe_overhead", "run": "run_overhead", "verify": "verify"}


def summary(results: dict[str, dict[str, Any]]) -> str:
    rows: list[list[str]] = []
    if "probe" in results:
        s = results["probe"]["summary"]
        for key in ("fit_only_s", "fit_only_cpu_s", "fit_save_s"):
            if key in s:
                goal = key == "fit_only_s"
                rows.append([f"probe: {s[key]['label']}", C.fmt(s[key]["plain"]["median"], 2),
                             C.fmt(s[key]["probe"]["median"], 2), C.fmt(s[key]["ratio"], 3),
                             C.fmt(s[key]["paired_ratio"], 3), C.fmt(s[key].get("min_ratio"), 3), "<= 1.02" if goal else "",
                             C.verdict(1.02, s[key]["ratio"], s[key]["paired_ratio"], s[key].get("min_ratio")) if goal else ""])
    if "run" in results:
        for name, item in results["run"]["comparisons"].items():
            for key, label in bench_run_overhead.LABELS.items():
                if key in item:
                    if key == "wall_s" and "early" in name:
                        label = "with verification (verifier started with the run)"
                    r, pr = item[key]["ratio"], item[key]["paired_ratio"]
                    rows.append([f"{name} vs {item['baseline']}: {label}", C.fmt(item[key]["baseline"]["median"], 1),
                                 C.fmt(item[key]["grader"]["median"], 1), C.fmt(r, 3), C.fmt(pr, 3), C.fmt(item[key].get("min_ratio"), 3), "<= 1.10",
                                 C.verdict(bench_run_overhead.GOAL, r, pr, item[key].get("min_ratio"))])
    if "verify" in results:
        v = results["verify"]
        st = v["startup"]
        rows.append(["verifier start-up vs plain `import keras`", C.fmt(st["plain_import_keras"]["median"], 2),
                     C.fmt(st["verifier"]["median"], 2), C.fmt(st["ratio"], 3), "", "", "", ""])
        for name, item in v["per_model"].items():
            rows.append([f"verify one {name} model (round trip)", "", C.fmt(item["round_trip"]["median"], 3), "", "", "", "", ""])
    return "### Summary\n\n" + C.table(["measure", "baseline s", "grader s", "ratio of medians", "paired ratio", "ratio of minimums", "goal", ""], rows)


def render(only: str) -> int:
    import json

    results = {}
    for name in [n.strip() for n in only.split(",") if n.strip()]:
        path = C.RESULTS / f"{RESULT_FILES[name]}.json"
        if path.is_file():
            results[name] = json.loads(path.read_text())
            m = results[name]["machine"]
            print(f"<!-- {name}: {m['date']}, {m['cpus']} CPUs, load {m.get('load_avg_at_start', 0):.1f} at start -->")
            print(BENCHES[name].markdown(results[name]) + "\n")
    print(summary(results))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions and shorter runs")
    ap.add_argument("--datasets", default=None, help="folder with mnist.npz (default: ../shared/datasets, else synthetic)")
    ap.add_argument("--only", default=",".join(BENCHES), help="comma-separated subset of: " + ", ".join(BENCHES))
    ap.add_argument("--render", action="store_true", help="only print the tables of the last results in bench/results")
    args = ap.parse_args(argv)
    if args.render:
        return render(args.only)
    common = (["--quick"] if args.quick else []) + (["--datasets", args.datasets] if args.datasets else [])
    results: dict[str, dict[str, Any]] = {}
    started = time.time()
    machine = C.machine()
    print(f"## grader benchmarks, {machine['date']}, {machine['cpus']} CPUs ({machine.get('cpu', '?')}), "
          f"TensorFlow {machine.get('tensorflow')}, Keras {machine.get('keras')}{' (quick)' if args.quick else ''}\n")
    for name in [n.strip() for n in args.only.split(",") if n.strip()]:
        if name not in BENCHES:
            ap.error(f"unknown benchmark {name!r}")
        C.progress(f"== {name}")
        results[name] = BENCHES[name].main(common)
        print(flush=True)
    print(summary(results))
    C.save_result("summary", {"machine": machine, "quick": args.quick, "minutes": (time.time() - started) / 60,
                              "markdown": summary(results),
                              "goals_met": {"probe": results.get("probe", {}).get("goal_met"),
                                            "run": results.get("run", {}).get("goal_met")}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
