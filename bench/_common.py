"""Shared pieces of the benchmarks: the training workload, data, environments and statistics.

Every benchmark measures its variants side by side in one process, interleaved
(A B, B A, A B, ...), and reports medians and ratios of medians: on a small, noisy machine
figures taken in separate runs are not comparable.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterable

REPO = Path(__file__).resolve().parent.parent
RUNTIME = REPO / "grader" / "runtime"
RESULTS = REPO / "bench" / "results"
MARK = "BENCH_MARKS "
THREADS = 2

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


# --------------------------------------------------------------------------------------------
# data


def find_datasets(explicit: str | None = None) -> tuple[Path, str]:
    """A folder holding mnist.npz, and where it came from ('real' or 'synthetic')."""
    candidates = [explicit, os.environ.get("GRADER_BENCH_DATASETS"), str(REPO.parent / "shared" / "datasets")]
    for cand in candidates:
        if cand and (Path(cand) / "mnist.npz").is_file():
            return Path(cand).resolve(), "real"
    if explicit:
        raise SystemExit(f"no mnist.npz in {explicit}")
    return synthetic_mnist(), "synthetic"


def synthetic_mnist() -> Path:
    """MNIST-shaped, learnable stand-in (60000/10000 x 28x28 uint8), generated once per machine."""
    import numpy as np

    folder = Path(tempfile.gettempdir()) / "grader-bench-synthetic"
    path = folder / "mnist.npz"
    if path.is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    protos = rng.integers(0, 256, size=(10, 28, 28)).astype(np.float32)

    def split(n: int) -> tuple[Any, Any]:
        y = rng.integers(0, 10, size=n).astype(np.uint8)
        noise = rng.normal(0, 60, size=(n, 28, 28)).astype(np.float32)
        x = np.clip(protos[y] * 0.7 + noise + 40, 0, 255).astype(np.uint8)
        return x, y

    x_train, y_train = split(60000)
    x_test, y_test = split(10000)
    tmp = folder / f"mnist.{os.getpid()}.npz"
    np.savez(tmp, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    os.replace(tmp, path)
    return folder


def data_folder(datasets: Path, parent: Path) -> Path:
    """A folder that holds only a link to mnist.npz (what GRADER_DATA points at in the sandbox)."""
    folder = parent / "data"
    folder.mkdir(exist_ok=True)
    link = folder / "mnist.npz"
    if not link.exists():
        link.symlink_to(datasets / "mnist.npz")
    return folder


# --------------------------------------------------------------------------------------------
# the workload: MNIST dense 784-300-10, sigmoid, SGD, batch 128


WORKLOAD_CELLS = [
    '''\
import json, os, time
BENCH_T = {"start": time.time()}
BENCH_P = {}
import numpy as np
import tensorflow as tf
from tensorflow import keras
BENCH_T["imported"] = time.time()
EPOCHS, TRAIN_ROWS = {epochs}, {train_rows}''',
    '''\
# Outside the grader the benchmark points BENCH_MNIST at the file; inside the sandbox the
# grader serves keras.datasets.mnist.load_data() itself.
if os.environ.get("BENCH_MNIST"):
    with np.load(os.environ["BENCH_MNIST"]) as d:
        x_train, y_train, x_test, y_test = d["x_train"], d["y_train"], d["x_test"], d["y_test"]
else:
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train[:TRAIN_ROWS].reshape(-1, 784).astype("float32") / 255.0
y_train = y_train[:TRAIN_ROWS]
x_test = x_test.reshape(-1, 784).astype("float32") / 255.0
BENCH_T["loaded"] = time.time()''',
    '''\
keras.utils.set_random_seed(0)
model = keras.Sequential([
    keras.Input(shape=(784,)),
    keras.layers.Dense(300, activation="sigmoid"),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])


class BenchMarks(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        BENCH_P["train_begin"] = time.perf_counter()
        BENCH_T["train_begin"] = time.time()
        BENCH_P["epochs"] = []

    def on_epoch_end(self, epoch, logs=None):
        BENCH_P["epochs"].append(time.perf_counter())

    def on_train_end(self, logs=None):
        BENCH_P["train_end"] = time.perf_counter()
        BENCH_P["train_end_cpu"] = time.process_time()
        BENCH_T["train_end"] = time.time()''',
    '''\
BENCH_P["fit_call_cpu"] = time.process_time()
BENCH_P["fit_call"] = time.perf_counter()
history = model.fit(x_train, y_train, epochs=EPOCHS, batch_size=128, verbose=0, callbacks=[BenchMarks()])
BENCH_P["fit_return"] = time.perf_counter()
BENCH_P["fit_return_cpu"] = time.process_time()
BENCH_T["fit_return"] = time.time()
if os.environ.get("BENCH_SELF_SAVE"):
    model.save(os.environ["BENCH_SELF_SAVE"])
    BENCH_P["self_saved"] = time.perf_counter()''',
    '''\
loss, acc = model.evaluate(x_test, y_test, batch_size=512, verbose=0)
BENCH_T["end"] = time.time()
BENCH_P["end_cpu"] = time.process_time()
P = BENCH_P
epochs = [b - a for a, b in zip([P["train_begin"]] + P["epochs"][:-1], P["epochs"])]
print("BENCH_MARKS " + json.dumps({
    "wall": BENCH_T,
    "fit_only_s": P["train_end"] - P["fit_call"],
    "fit_call_s": P["fit_return"] - P["fit_call"],
    "fit_only_cpu_s": P["train_end_cpu"] - P["fit_call_cpu"],
    "fit_call_cpu_s": P["fit_return_cpu"] - P["fit_call_cpu"],
    "process_cpu_s": P["end_cpu"],
    "before_train_s": P["train_begin"] - P["fit_call"],
    "after_train_s": P["fit_return"] - P["train_end"],
    "self_save_s": (P["self_saved"] - P["fit_return"]) if "self_saved" in P else None,
    "epoch_s": epochs,
    "test_accuracy": float(acc),
}))''',
]


def workload_source(epochs: int, train_rows: int) -> list[str]:
    return [cell.replace("{epochs}", str(epochs)).replace("{train_rows}", str(train_rows)) for cell in WORKLOAD_CELLS]


def write_script(path: Path, epochs: int, train_rows: int) -> Path:
    path.write_text("\n\n".join(workload_source(epochs, train_rows)) + "\n")
    return path


def write_notebook(path: Path, epochs: int, train_rows: int) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# MNIST, dense 784-300-10")]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in workload_source(epochs, train_rows)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def parse_marks(text: str) -> dict[str, Any] | None:
    for line in reversed(text.splitlines()):
        idx = line.find(MARK)
        if idx >= 0:
            try:
                return json.loads(line[idx + len(MARK):].strip().rstrip('\\n"'))
            except json.JSONDecodeError:
                continue
    return None


def notebook_marks(path: Path) -> dict[str, Any] | None:
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    for cell in reversed(nb.cells):
        for out in cell.get("outputs", []):
            marks = parse_marks(out.get("text", "") or "")
            if marks:
                return marks
    return None


# --------------------------------------------------------------------------------------------
# environments


def thread_env(home: Path | None = None) -> dict[str, str]:
    """The environment a plain (unsandboxed) run gets: the sandbox's thread settings, its own HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADER_", "BENCH_", "TF_", "PYTHONPATH"))}
    n = str(THREADS)
    env.update({
        "TF_NUM_INTRAOP_THREADS": n, "TF_NUM_INTEROP_THREADS": n, "OMP_NUM_THREADS": n,
        "OPENBLAS_NUM_THREADS": n, "MKL_NUM_THREADS": n, "TF_CPP_MIN_LOG_LEVEL": "1", "CUDA_VISIBLE_DEVICES": "",
        "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg",
    })
    if home is not None:
        env.update({"HOME": str(home), "KERAS_HOME": str(home / ".keras"), "MPLCONFIGDIR": str(home / ".mpl"),
                    "IPYTHONDIR": str(home / ".ipython"), "JUPYTER_RUNTIME_DIR": str(home / "jupyter-runtime"),
                    "JUPYTER_PLATFORM_DIRS": "1"})
    return env


def run(cmd: list[str], env: dict[str, str], cwd: Path, timeout: float = 1800) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, env=env, cwd=str(cwd), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


# --------------------------------------------------------------------------------------------
# interleaving and statistics


def interleave(variants: dict[str, Callable[[int], dict[str, Any]]], reps: int,
               log: Callable[[str], None] | None = None, warmup: bool = False) -> dict[str, list[dict[str, Any]]]:
    """Run every variant `reps` times, alternating their order each repetition (A B, B A, ...).

    With `warmup`, each variant first runs once uncounted (page cache, first-use costs).
    """
    log = log or progress
    names = list(variants)
    if warmup:
        for name in names:
            t0 = time.perf_counter()
            variants[name](-1)
            log(f"  warm-up {name:<28} {time.perf_counter() - t0:8.2f} s (not counted)")
    out: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    for rep in range(reps):
        order = names if rep % 2 == 0 else names[::-1]
        for name in order:
            load = os.getloadavg()[0]
            cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            sample = variants[name](rep)
            sample.setdefault("wall_s", time.perf_counter() - t0)
            cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            sample.setdefault("children_cpu_s", (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime))
            sample["load_before"] = load
            out[name].append(sample)
            # CPU of sandboxed runs is not seen here (their process tree is not reaped by us).
            cpu = f"{sample['children_cpu_s']:8.2f} s cpu" if sample["children_cpu_s"] > 0.1 else "     n/a cpu"
            log(f"  rep {rep + 1}/{reps} {name:<32} {sample['wall_s']:8.2f} s wall {cpu}  (load {load:.1f})")
    return out


def progress(text: str) -> None:
    """Progress goes to stderr; stdout carries only the Markdown results."""
    print(text, file=sys.stderr, flush=True)


def med(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def spread(values: Iterable[float | None]) -> dict[str, float | None]:
    vals = [v for v in values if v is not None]
    if not vals:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b not in (None, 0) else None


def min_ratio(a: list[float | None], b: list[float | None]) -> float | None:
    """Ratio of the fastest runs: the least disturbed estimate on a shared machine."""
    a2, b2 = [x for x in a if x is not None], [y for y in b if y is not None]
    return min(a2) / min(b2) if a2 and b2 and min(b2) > 0 else None


def paired_ratio(a: list[float | None], b: list[float | None]) -> float | None:
    """Median of per-repetition ratios (each pair ran back to back)."""
    return med([x / y for x, y in zip(a, b) if x is not None and y])


def verdict(goal: float, *estimates: float | None) -> str:
    """'met' when every estimate (ratio of medians, paired ratio, ratio of minimums) is within the goal."""
    ok = [r is not None and r <= goal for r in estimates]
    if all(ok):
        return "met"
    if not any(ok):
        return "missed"
    return "unclear (estimates disagree)"


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"), "python": platform.python_version(),
        "platform": platform.platform(), "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "threads": THREADS,
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        info["load_avg_at_start"] = os.getloadavg()[0]
    except OSError:
        pass
    for mod in ("tensorflow", "keras", "nbclient", "nbconvert"):
        try:
            from importlib.metadata import version

            info[mod] = version(mod if mod != "tensorflow" else "tensorflow-cpu")
        except Exception:
            try:
                info[mod] = version(mod)  # type: ignore[possibly-undefined]
            except Exception:
                info[mod] = None
    return info


def save_result(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path


def fmt(value: float | None, digits: int = 2, unit: str = "") -> str:
    return "–" if value is None else f"{value:.{digits}f}{unit}"


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)
