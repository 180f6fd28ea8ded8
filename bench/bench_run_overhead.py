"""Whole-run overhead of `grader run` against running the same work without the grader.

Four variants, interleaved in one process, on a notebook and a script that train MNIST
dense 784-300-10 (sigmoid, SGD, batch 128) for about 30 s on this kind of machine:

  grader notebook   grader.api.run_submission(notebook): sandbox, probe, kernel, verification
  nbconvert         jupyter nbconvert --to notebook --execute (same notebook, no sandbox)
  grader script     grader.api.run_submission(script)
  python            python script.py (no sandbox)

Each grader run is also reported without verification (the same run, minus the time spent
in verify_evidence and closing the verifier), and with a warm verifier (minus the verifier's
start-up, as when one verifier serves a whole class). The breakdown comes from the probe's
event log, marks the workload prints, and timers around the stages of run_submission.

Usage: python bench/bench_run_overhead.py [--reps 4] [--epochs 25] [--train-rows 60000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402

GOAL = 1.10


class _Stages:
    """Timers around run_submission's stages (installed on grader.api for this process only)."""

    def __init__(self) -> None:
        import grader.api as api

        self.api = api
        self.current: dict[str, Any] = {}
        orig_run, orig_assemble, orig_verify, orig_verifier = api.run_sandboxed, api.assemble, api.verify_evidence, api.Verifier
        stages = self

        def run_sandboxed(req):
            launch = time.time()
            t0 = time.perf_counter()
            result = orig_run(req)
            stages.current["sandbox_s"] = time.perf_counter() - t0
            stages.current["sandbox_return"] = time.time()
            t1 = time.perf_counter()
            stages.current["launch"] = launch
            stages.current["events"] = _read_events(result.out_dir / "events.jsonl")
            printed = result.out_dir / "printed.txt"
            text = printed.read_text(errors="replace") if printed.is_file() else result.stdout_head
            stages.current["marks"] = C.parse_marks(text)
            stages.current["isolation"] = result.isolation.value
            stages.current["returncode"] = result.returncode
            stages.current["bookkeeping_s"] = time.perf_counter() - t1
            return result

        def assemble(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return orig_assemble(*args, **kwargs)
            finally:
                stages.current["assemble_s"] = time.perf_counter() - t0

        def verify_evidence(evidence, out_dir, verifier, **kwargs):
            t0 = time.perf_counter()
            prestart = stages.current.pop("prestart", None)
            if prestart is not None:  # a verifier started alongside the run: wait for it to be ready
                prestart.wait()
                stages.current["prestart_wait_s"] = time.perf_counter() - t0
            try:
                return orig_verify(evidence, out_dir, verifier, **kwargs)
            finally:
                stages.current["verify_s"] = time.perf_counter() - t0
                stages.current["verifier_start_s"] = verifier.started_s

        class TimedVerifier(orig_verifier):  # type: ignore[misc, valid-type]
            def close(self) -> None:
                t0 = time.perf_counter()
                super().close()
                stages.current["verifier_close_s"] = stages.current.get("verifier_close_s", 0.0) + time.perf_counter() - t0

        api.run_sandboxed, api.assemble, api.verify_evidence, api.Verifier = run_sandboxed, assemble, verify_evidence, TimedVerifier

    def take(self) -> dict[str, Any]:
        out, self.current = self.current, {}
        return out


def _read_events(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(errors="replace").splitlines() if line.strip()]


def _first(events: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((e for e in events if e.get("event") == name), None)


def _last(events: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((e for e in reversed(events) if e.get("event") == name), None)


def breakdown(marks: dict[str, Any] | None, launch: float, finish: float) -> dict[str, float | None]:
    """Wall-clock phases of one run from the workload's own marks (same for every variant)."""
    if not marks:
        return {}
    w = marks["wall"]
    return {
        # CPU seconds of the process running the submission's code (script or kernel): less
        # disturbed by other load on the machine than wall time.
        "training_cpu_s": marks.get("fit_only_cpu_s"),
        "code_cpu_s": marks.get("process_cpu_s"),
        "startup_s": w["start"] - launch,  # to the first line of the submission's code
        "import_load_build_s": w["train_begin"] - w["start"],  # import TF, load data, build model, enter fit
        "training_s": w["train_end"] - w["train_begin"],
        "after_fit_s": w["fit_return"] - w["train_end"],  # the probe's save + snapshot (plain: Keras only)
        "evaluate_s": w["end"] - w["fit_return"],
        "shutdown_s": finish - w["end"],  # interpreter/kernel exit, sandbox teardown
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--train-rows", type=int, default=60000)
    ap.add_argument("--datasets", default=None)
    ap.add_argument("--quick", action="store_true", help="one repetition of a short run")
    ap.add_argument("--no-warmup", action="store_true")
    ap.add_argument("--no-what-if", action="store_true",
                    help="skip the variant that starts the verifier alongside the sandbox run")
    args = ap.parse_args(argv)
    reps = args.reps or (1 if args.quick else 4)
    epochs = args.epochs or (5 if args.quick else 25)
    datasets, origin = C.find_datasets(args.datasets)
    machine = C.machine()  # date and load at the start
    what_if = not args.no_what_if
    try:
        import nbconvert  # noqa: F401  (the baseline for notebooks)
    except ImportError:
        raise SystemExit("bench_run_overhead needs nbconvert for its baseline: pip install -e '.[bench]'") from None

    from grader.api import run_submission
    from grader.evidence.model import Limits
    from grader.sandbox import isolation

    stages = _Stages()
    work = Path(tempfile.mkdtemp(prefix="grader-bench-run-"))
    bindir = str(Path(sys.executable).parent)
    C.progress(f"run overhead: {reps} reps x {5 if what_if else 4} variants, {epochs} epochs on {args.train_rows} rows ({origin} MNIST)")
    try:
        data = C.data_folder(datasets, work)

        def variants(script: Path, notebook: Path) -> dict[str, Any]:
            def grader_run(path: Path, prestart: bool = False) -> dict[str, Any]:
                t0 = time.perf_counter()
                if prestart:
                    # What-if: the verifier worker imports TensorFlow while the sandbox runs.
                    # The starting thread must outlive the worker: bubblewrap's --die-with-parent
                    # (PR_SET_PDEATHSIG) kills the worker when the thread that spawned it exits.
                    verifier = stages.api.Verifier(stages.api.dataset_files(str(data)), cpus=C.THREADS)
                    ready, done = threading.Event(), threading.Event()

                    def start() -> None:
                        try:
                            verifier._start()
                        finally:
                            ready.set()
                            done.wait()

                    threading.Thread(target=start, daemon=True).start()
                    stages.current["prestart"] = ready
                    try:
                        verified = run_submission(path, datasets=str(data), limits=Limits(cpus=C.THREADS),
                                                  verifier=verifier)
                    finally:
                        verifier.close()
                        done.set()
                else:
                    verified = run_submission(path, datasets=str(data), limits=Limits(cpus=C.THREADS))
                total = time.perf_counter() - t0
                finish = time.time()
                st = stages.take()
                ev = verified.evidence
                if ev.run.status.value != "completed" or not verified.verifications:
                    raise RuntimeError(f"grader run failed: {ev.run.status} {ev.run.message}\n{ev.run.log_tail[-2000:]}")
                ver = verified.verifications[0]
                events = st["events"]
                bd = breakdown(st["marks"], st["launch"], st["sandbox_return"])
                run_start = _first(events, "run_start")
                cell = _first(events, "cell_start")
                fit_start, fit_end = _first(events, "fit_start"), _last(events, "fit")
                epochs_ev = [e for e in events if e.get("event") == "epoch"]
                verify_total = st.get("verify_s", 0.0) + st.get("verifier_close_s", 0.0)
                sample = {
                    "wall_s": total - st.get("bookkeeping_s", 0.0),
                    "wall_no_verify_s": total - st.get("bookkeeping_s", 0.0) - verify_total,
                    "wall_warm_verifier_s": None if prestart else total - st.get("bookkeeping_s", 0.0) - st.get("verifier_start_s", 0.0),
                    "prestart_wait_s": st.get("prestart_wait_s"),
                    **bd,
                    "sandbox_start_s": run_start["t"] - st["launch"] if run_start else None,
                    "kernel_start_s": (cell["t"] - run_start["t"]) if cell and run_start else None,
                    "probe_save_s": (fit_end["t"] - epochs_ev[-1]["t"]) if fit_end and epochs_ev else None,
                    "training_events_s": (epochs_ev[-1]["t"] - fit_start["t"]) if fit_start and epochs_ev else None,
                    "sandbox_s": st["sandbox_s"], "assemble_s": st.get("assemble_s"),
                    "verifier_start_s": st.get("verifier_start_s"),
                    "verify_model_s": ver.seconds,
                    "verify_total_s": verify_total,
                    "verification": ver.status.value, "isolation": st["isolation"],
                    "test_accuracy": (st["marks"] or {}).get("test_accuracy"),
                }
                sample["verify_other_s"] = verify_total - (0 if prestart else sample["verifier_start_s"] or 0) - (ver.seconds or 0)
                if prestart:
                    sample["verifier_start_s"] = None  # overlapped with the run; see prestart_wait_s
                return sample

            def nbconvert(rep: int) -> dict[str, Any]:
                home = work / f"home-nb-{rep}-{time.monotonic_ns()}"
                env = C.thread_env(home)
                env["BENCH_MNIST"] = str(data / "mnist.npz")
                env["PATH"] = bindir + os.pathsep + env.get("PATH", "/usr/bin:/bin")
                out = work / f"executed-{rep}-{time.monotonic_ns()}.ipynb"
                launch = time.time()
                t0 = time.perf_counter()
                C.run([str(Path(bindir) / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                       "--ExecutePreprocessor.timeout=1800", "--output", str(out), str(notebook)], env, work)
                wall = time.perf_counter() - t0
                marks = C.notebook_marks(out)
                return {"wall_s": wall, **breakdown(marks, launch, time.time()),
                        "test_accuracy": (marks or {}).get("test_accuracy")}

            def python(rep: int) -> dict[str, Any]:
                env = C.thread_env(work / f"home-py-{rep}-{time.monotonic_ns()}")
                env["BENCH_MNIST"] = str(data / "mnist.npz")
                launch = time.time()
                t0 = time.perf_counter()
                proc = C.run([sys.executable, str(script)], env, work)
                wall = time.perf_counter() - t0
                marks = C.parse_marks(proc.stdout)
                return {"wall_s": wall, **breakdown(marks, launch, time.time()),
                        "test_accuracy": (marks or {}).get("test_accuracy")}

            out = {"grader notebook": lambda rep: grader_run(notebook), "nbconvert": nbconvert,
                   "grader script": lambda rep: grader_run(script), "python": python}
            if what_if:
                out["grader notebook, early verifier"] = lambda rep: grader_run(notebook, prestart=True)
            return out

        if not args.no_warmup:
            C.progress("  warm-up (one short run of each variant, not counted)")
            tiny = variants(C.write_script(work / "warm.py", 1, 2000), C.write_notebook(work / "warm.ipynb", 1, 2000))
            for name, fn in tiny.items():
                fn(0)
        main_variants = variants(C.write_script(work / "mnist_dense.py", epochs, args.train_rows),
                                 C.write_notebook(work / "mnist_dense.ipynb", epochs, args.train_rows))
        samples = C.interleave(main_variants, reps)
        detect_times = []
        for _ in range(3):
            t0 = time.perf_counter()
            isolation.detect.__wrapped__()
            detect_times.append(time.perf_counter() - t0)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def col(name: str, key: str) -> list[float | None]:
        return [s.get(key) for s in samples[name]]

    comparisons = {}
    pairs = [("grader notebook", "nbconvert"), ("grader script", "python")]
    if what_if:
        pairs.append(("grader notebook, early verifier", "nbconvert"))
    for grader_name, base in pairs:
        base_wall = col(base, "wall_s")
        comparisons[grader_name] = {
            "baseline": base,
            **{key: {"grader": C.spread(col(grader_name, key)), "baseline": C.spread(base_wall),
                     "ratio": C.ratio(C.med(col(grader_name, key)), C.med(base_wall)),
                     "paired_ratio": C.paired_ratio(col(grader_name, key), base_wall),
                     "min_ratio": C.min_ratio(col(grader_name, key), base_wall)}
               for key in ("wall_s", "wall_warm_verifier_s", "wall_no_verify_s")
               if any(v is not None for v in col(grader_name, key))},
        }
    phase_keys = ["training_cpu_s", "code_cpu_s", "startup_s", "sandbox_start_s", "kernel_start_s", "import_load_build_s", "training_s", "after_fit_s",
                  "probe_save_s", "evaluate_s", "shutdown_s", "assemble_s", "verifier_start_s", "prestart_wait_s",
                  "verify_model_s", "verify_other_s", "wall_no_verify_s", "wall_s"]
    phases = {name: {k: C.med(col(name, k)) for k in phase_keys} for name in samples}
    result = {
        "benchmark": "run_overhead", "machine": machine, "data": origin, "reps": reps, "epochs": epochs,
        "train_rows": args.train_rows, "goal": {"ratio_max": GOAL}, "comparisons": comparisons, "phases": phases,
        "isolation_detect_s": C.med(detect_times), "samples": samples,
    }
    result["goal_met"] = {
        f"{name} {key}": C.verdict(GOAL, item[key]["ratio"], item[key]["paired_ratio"], item[key].get("min_ratio"))
        for name, item in comparisons.items() for key in ("wall_s", "wall_warm_verifier_s", "wall_no_verify_s")
        if key in item
    }
    C.save_result("run_overhead", result)
    print(markdown(result))
    return result


LABELS = {"wall_s": "with verification (fresh verifier)", "wall_warm_verifier_s": "with a warm verifier",
          "wall_no_verify_s": "without verification"}
PHASES = {
    "training_cpu_s": "CPU: training (all threads of the code's process)",
    "code_cpu_s": "CPU: the code's process, start to end",
    "startup_s": "start-up to first line of code", "sandbox_start_s": "  of which sandbox start (to driver)",
    "kernel_start_s": "  of which kernel start", "import_load_build_s": "import TF, load data, build model",
    "training_s": "training (on_train_begin..on_train_end)", "after_fit_s": "after training, in fit (probe: save)",
    "probe_save_s": "  probe's save + snapshot (event log)", "evaluate_s": "evaluate", "shutdown_s": "shutdown / sandbox teardown", "assemble_s": "assemble evidence",
    "verifier_start_s": "verifier start (TF import)", "prestart_wait_s": "waiting for the verifier started alongside", "verify_model_s": "verify the model (load + 10k test)",
    "verify_other_s": "verification other (copy, IPC, close)", "wall_no_verify_s": "total without verification",
    "wall_s": "total",
}


def markdown(result: dict[str, Any]) -> str:
    rows = []
    for name, item in result["comparisons"].items():
        for key, label in LABELS.items():
            if key not in item:
                continue
            if key == "wall_s" and "early" in name:
                label = "with verification (verifier started with the run)"
            rows.append([f"{name} vs {item['baseline']}", label, C.fmt(item[key]["grader"]["median"], 1),
                         C.fmt(item[key]["baseline"]["median"], 1), C.fmt(item[key]["ratio"], 3),
                         C.fmt(item[key]["paired_ratio"], 3), C.fmt(item[key].get("min_ratio"), 3),
                         C.verdict(GOAL, item[key]["ratio"], item[key]["paired_ratio"], item[key].get("min_ratio"))])
    head = (f"### Whole-run overhead ({result['reps']} interleaved reps, {result['epochs']} epochs x {result['train_rows']} rows, "
            f"{result['data']} MNIST; goal <= {GOAL})\n\n")
    out = head + C.table(["comparison", "grader run", "grader s", "baseline s", "ratio of medians", "paired ratio", "ratio of minimums", "goal"], rows)
    names = list(result["phases"])
    prow = [[label] + [C.fmt(result["phases"][n].get(key), 2) for n in names] for key, label in PHASES.items()]
    out += "\n\nBreakdown (median seconds):\n\n" + C.table(["phase", *names], prow)
    out += f"\n\nIsolation detection (once per grader process, cached): {C.fmt(result['isolation_detect_s'], 3)} s"
    return out


if __name__ == "__main__":
    main()
