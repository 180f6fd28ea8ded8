"""Per-submission wall time of `grader run` against nbgrader's `autograde`, Otter's `otter run` and nbconvert.

The same notebooks (MNIST dense 784-300-10, sigmoid, SGD, batch 128; one per "student", differing
only in the number of epochs, plus one autograder test cell `assert acc > 0.3`) are graded by:

  nbconvert   jupyter nbconvert --to notebook --execute (no grading: the floor)
  nbgrader    nbgrader autograde <assignment> --student <id> --create --force, in a minimal course
              (source -> release with `nbgrader generate_assignment`, submitted/<id>/<assignment>/)
  otter       otter run -a autograder.zip (a hand-written otter_config.json + one OK-format test)
  grader      grader.api.run_submission(notebook, verifier=<one warm verifier>), as `grader grade`
              runs each submission of a class (one verifier per worker)

interleaved (every tool on every notebook, then the same in reverse order, ...) in one process.
nbgrader and Otter are installed each in its own virtual environment under bench/.venvs/ (or
$GRADER_BENCH_VENVS), which sees the project's environment (TensorFlow, nbconvert, ipykernel)
through a .pth file, so that every tool's kernel runs the same TensorFlow on the same notebook
bytes and the same data file.

Usage: python bench/bench_tools.py [--reps 4] [--epochs 2,6,12] [--train-rows 60000] [--quick]
                                   [--tools nbconvert,nbgrader,otter,grader] [--setup-only]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402

# What installs against the project's Python 3.11 / TensorFlow 2.21 stack (checked 2026-11-21).
TOOL_SPECS = {"nbgrader": "nbgrader==0.9.6", "otter": "otter-grader==7.0.0"}
TOOL_COMMANDS = {"nbgrader": "nbgrader", "otter": "otter"}
VENVS = Path(os.environ.get("GRADER_BENCH_VENVS") or C.REPO / "bench" / ".venvs")
TOOLS = ("nbconvert", "nbgrader", "otter", "grader")
ASSIGNMENT = "mnist"
NOTEBOOK = "mnist.ipynb"

# The autograder test, once per tool's own format. The notebook itself also carries it as its
# last cell (nbgrader's locked grade cell), so every tool executes the same cells.
TEST_CELL = "assert acc > 0.3, acc"
OTTER_TEST = {
    "name": "q1", "points": 1,
    "suites": [{"type": "doctest", "scored": True, "setup": "", "teardown": "",
                "cases": [{"code": ">>> bool(acc > 0.3)\nTrue", "hidden": False, "locked": False}]}],
}
# Writes the workload's time marks to a file where the tool keeps no executed notebook (Otter).
MARKS_CELL = '''\
if os.environ.get("BENCH_MARKS_FILE"):
    with open(os.environ["BENCH_MARKS_FILE"], "w") as _f:
        json.dump({"wall": BENCH_T, "test_accuracy": float(acc), "process_cpu_s": BENCH_P["end_cpu"],
                   "fit_only_cpu_s": BENCH_P["train_end_cpu"] - BENCH_P["fit_call_cpu"]}, _f)'''


# --------------------------------------------------------------------------------------------
# the tools' environments


def _site_packages(python: Path) -> str:
    return subprocess.check_output([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   text=True).strip()


def ensure_tool(tool: str, log: Callable[[str], None] = C.progress) -> dict[str, Any]:
    """The tool's virtual environment, created and installed on first use; records why when it cannot be."""
    spec = TOOL_SPECS[tool]
    venv = VENVS / tool
    marker = venv / ".bench-installed"
    info: dict[str, Any] = {"spec": spec, "venv": str(venv), "bin": str(venv / "bin")}
    if marker.is_file() and marker.read_text().strip() == spec:
        info["version"] = _version(venv, spec)
        return info
    log(f"  installing {spec} into {venv} (once)")
    try:
        if not (venv / "bin" / "python").exists():
            # Built from the project's interpreter; the project's site-packages come after the
            # tool's own (a .pth line is appended to sys.path), so the tool's pins win where they
            # differ and TensorFlow, numpy and ipykernel come from the project.
            C.run([sys.executable, "-m", "venv", str(venv)], dict(os.environ), C.REPO)
            own = Path(_site_packages(venv / "bin" / "python"))
            (own / "zz_project_site_packages.pth").write_text(_site_packages(Path(sys.executable)) + "\n")
        C.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", spec], dict(os.environ), C.REPO, timeout=1800)
        C.run([str(venv / "bin" / TOOL_COMMANDS[tool]), "--version"], dict(os.environ), C.REPO)
    except Exception as exc:  # recorded, and the other tools are still measured
        lines = [ln for ln in str(exc).splitlines() if ln.strip() and not ln.startswith("WARNING: Location")]
        info["error"] = "\n".join(lines[-15:])
        log(f"  {tool}: could not install: {info['error']}")
        return info
    marker.write_text(spec + "\n")
    info["version"] = _version(venv, spec)
    return info


def _version(venv: Path, spec: str) -> str | None:
    name = spec.split("=")[0]
    out = subprocess.run([str(venv / "bin" / "python"), "-c", f"from importlib.metadata import version; print(version({name!r}))"],
                         capture_output=True, text=True)
    return out.stdout.strip() or None


# --------------------------------------------------------------------------------------------
# the notebooks, the nbgrader course and the Otter autograder


def source_notebook(path: Path, train_rows: int) -> None:
    """nbgrader's source notebook: the workload, a locked grade cell, then the marks cell."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# MNIST, dense 784-300-10\n\nTrain, then evaluate on the test split.")]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in C.workload_source(0, train_rows)]
    test = nbformat.v4.new_code_cell(TEST_CELL)
    test.metadata["nbgrader"] = {"grade": True, "grade_id": "test_accuracy", "locked": True, "points": 1,
                                 "schema_version": 3, "solution": False, "task": False}
    nb.cells.append(test)
    nb.cells.append(nbformat.v4.new_code_cell(MARKS_CELL))
    nbformat.write(nb, str(path))


def student_notebook(release: Path, dest: Path, epochs: int, train_rows: int, rows: int | None = None) -> None:
    """A submission: the released notebook with the student's choice of epochs (and `rows` rows)."""
    import nbformat

    nb = nbformat.read(str(release), as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    old = f"EPOCHS, TRAIN_ROWS = 0, {train_rows}"
    assert old in first.source, first.source
    first.source = first.source.replace(old, f"EPOCHS, TRAIN_ROWS = {epochs}, {rows or train_rows}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(dest))


def build_course(course: Path, nbgrader_bin: Path, env: dict[str, str], train_rows: int) -> Path:
    """A minimal nbgrader course with one assignment; returns the released notebook."""
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        'c.CourseDirectory.course_id = "bench"\n'
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.Execute.timeout = 1800\n"
    )
    source_notebook(course / "source" / ASSIGNMENT / NOTEBOOK, train_rows)
    C.run([str(nbgrader_bin / "nbgrader"), "generate_assignment", ASSIGNMENT, "--force"], env, course)
    release = course / "release" / ASSIGNMENT / NOTEBOOK
    if not release.is_file():
        raise RuntimeError(f"nbgrader generate_assignment made no {release}")
    return release


def build_otter_autograder(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("otter_config.json", json.dumps({"print_summary": False}))
        zf.writestr("tests/q1.py", "OK_FORMAT = True\n\ntest = " + repr(OTTER_TEST) + "\n")
    return path


# --------------------------------------------------------------------------------------------
# the run


def _wall_marks(marks: dict[str, Any] | None, launch: float, finish: float) -> dict[str, float | None]:
    """Phases of one run from the workload's marks: what the tool adds is everything but `code_s`."""
    if not marks:
        return {}
    w = marks["wall"]
    return {
        "startup_s": w["start"] - launch,  # tool start, kernel (and sandbox) start, to the first line
        "code_s": w["end"] - w["start"],  # the notebook's own work: import TF, load, train, evaluate
        "training_s": w["train_end"] - w["train_begin"],
        "after_code_s": finish - w["end"],  # test cells, kernel shutdown, the tool's own wrap-up
        "training_cpu_s": marks.get("fit_only_cpu_s"),
    }


def _notebook_failed(path: Path) -> str | None:
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"{out.get('ename')}: {out.get('evalue')}"
    return None


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--epochs", default=None, help="comma-separated epochs, one notebook each (default 2,6,12)")
    ap.add_argument("--train-rows", type=int, default=60000)
    ap.add_argument("--datasets", default=None)
    ap.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of: " + ", ".join(TOOLS))
    ap.add_argument("--quick", action="store_true", help="one repetition of short runs")
    ap.add_argument("--setup-only", action="store_true", help="install the tools' environments and stop")
    ap.add_argument("--render", metavar="JSON", help="recompute and print the tables of a saved result (bench/results/tools.json)")
    args = ap.parse_args(argv)
    if args.render:
        old = json.loads(Path(args.render).read_text())
        result = summarize(old["samples"], old["tools"], old["notebooks"], old["reps"], old["data"], old["train_rows"],
                           old["machine"], old["installs"])
        print(markdown(result))
        return result
    reps = args.reps or (1 if args.quick else 4)
    epochs_list = [int(e) for e in (args.epochs or ("1,2" if args.quick else "2,6,12")).split(",")]
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    for t in tools:
        if t not in TOOLS:
            ap.error(f"unknown tool {t!r}")

    installs = {t: ensure_tool(t) for t in tools if t in TOOL_SPECS}
    if args.setup_only:
        print(json.dumps(installs, indent=2))
        return {"installs": installs}
    tools = [t for t in tools if t not in installs or "error" not in installs[t]]

    datasets, origin = C.find_datasets(args.datasets)
    machine = C.machine()
    machine["load_avg_start"] = os.getloadavg()
    machine.update({t: installs[t].get("version") for t in installs})
    if importlib.util.find_spec("nbconvert") is None:
        raise SystemExit("bench_tools needs nbconvert: pip install -e '.[bench]'")

    work = Path(tempfile.mkdtemp(prefix="grader-bench-tools-"))
    bindir = Path(sys.executable).parent
    C.progress(f"tools: {reps} reps x {len(tools)} tools x {len(epochs_list)} notebooks (epochs {epochs_list}, "
               f"{args.train_rows} rows, {origin} MNIST); work in {work}")
    verifier = None
    try:
        data = C.data_folder(datasets, work)
        mnist = str(data / "mnist.npz")

        def env_for(tool_bin: Path, home: Path) -> dict[str, str]:
            env = C.thread_env(home)
            env["BENCH_MNIST"] = mnist
            env["PATH"] = str(tool_bin) + os.pathsep + env.get("PATH", "/usr/bin:/bin")
            return env

        nbg_bin = Path(installs["nbgrader"]["bin"]) if "nbgrader" in tools else None
        otter_bin = Path(installs["otter"]["bin"]) if "otter" in tools else None

        # The submissions: nbgrader's released notebook with each student's epochs. Without
        # nbgrader the same cells are written directly (the release is the source here: no
        # solution regions to strip).
        release_dir = work / "release"
        release_dir.mkdir()
        (work / "out").mkdir()
        if nbg_bin is not None:
            course = work / "course"
            release = build_course(course, nbg_bin, env_for(nbg_bin, work / "home-setup"), args.train_rows)
        else:
            course, release = None, release_dir / NOTEBOOK
            source_notebook(release, args.train_rows)
        autograder = build_otter_autograder(work / "autograder.zip") if otter_bin is not None else None

        def submission(student: str, epochs: int, rows: int) -> Path:
            path = work / "submissions" / student / NOTEBOOK
            student_notebook(release, path, epochs, args.train_rows, rows)
            if course is not None:
                dest = course / "submitted" / student / ASSIGNMENT / NOTEBOOK
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
            return path

        stages = None
        if "grader" in tools:
            import bench_run_overhead as R

            from grader.api import dataset_files, run_submission
            from grader.evidence.model import Limits

            stages = R._Stages()
            # One verifier for every grader run, as `grader grade` keeps one per worker; the
            # warm-up round starts it (uncounted).
            verifier = stages.api.Verifier(dataset_files(str(data)), cpus=C.THREADS)

        counter = iter(range(10**9))

        def runner(tool: str, student: str, nb: Path) -> Callable[[int], dict[str, Any]]:
            def nbconvert(rep: int) -> dict[str, Any]:
                n = next(counter)
                env = env_for(bindir, work / f"home-{n}")
                out = work / "out" / f"nbconvert-{n}.ipynb"
                env["BENCH_MARKS_FILE"] = str(work / f"marks-{n}.json")
                launch = time.time()
                t0 = time.perf_counter()
                C.run([str(bindir / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                       "--ExecutePreprocessor.timeout=1800", "--output", str(out), str(nb)], env, work)
                return finish(t0, launch, env, _notebook_failed(out))

            def nbgrader(rep: int) -> dict[str, Any]:
                n = next(counter)
                env = env_for(nbg_bin, work / f"home-{n}")
                env["BENCH_MARKS_FILE"] = str(work / f"marks-{n}.json")
                launch = time.time()
                t0 = time.perf_counter()
                C.run([str(nbg_bin / "nbgrader"), "autograde", ASSIGNMENT, "--student", student, "--create", "--force"],
                      env, course)
                graded = course / "autograded" / student / ASSIGNMENT / NOTEBOOK
                problem = _notebook_failed(graded) if graded.is_file() else f"no {graded}"
                return finish(t0, launch, env, problem)

            def otter(rep: int) -> dict[str, Any]:
                n = next(counter)
                env = env_for(otter_bin, work / f"home-{n}")
                env["BENCH_MARKS_FILE"] = str(work / f"marks-{n}.json")
                out = work / "out" / f"otter-{n}"
                out.mkdir(parents=True)
                launch = time.time()
                t0 = time.perf_counter()
                C.run([str(otter_bin / "otter"), "run", "-a", str(autograder), "-o", str(out), "--no-logo", str(nb)],
                      env, work)
                results = json.loads((out / "results.json").read_text())
                scored = [t for t in results.get("tests", []) if "max_score" in t]
                ok = scored and all(t.get("score") == t["max_score"] for t in scored)
                problem = None if ok else f"otter: not every test passed: {json.dumps(results)[:800]}"
                return finish(t0, launch, env, problem)

            def grader(rep: int) -> dict[str, Any]:
                launch = time.time()
                t0 = time.perf_counter()
                verified = run_submission(nb, datasets=str(data), limits=Limits(cpus=C.THREADS), verifier=verifier)
                total = time.perf_counter() - t0
                st = stages.take()
                ev = verified.evidence
                if ev.run.status.value != "completed" or not verified.verifications:
                    raise RuntimeError(f"grader run failed: {ev.run.status} {ev.run.message}\n{ev.run.log_tail[-2000:]}")
                ver = verified.verifications[0]
                return {"wall_s": total - st.get("bookkeeping_s", 0.0),
                        **_wall_marks(st.get("marks"), launch, st["sandbox_return"]),
                        "sandbox_s": st.get("sandbox_s"), "assemble_s": st.get("assemble_s"),
                        "verify_s": st.get("verify_s"), "verification": ver.status.value,
                        "isolation": st.get("isolation"), "test_accuracy": (st.get("marks") or {}).get("test_accuracy")}

            def finish(t0: float, launch: float, env: dict[str, str], problem: str | None) -> dict[str, Any]:
                wall = time.perf_counter() - t0
                if problem:
                    raise RuntimeError(f"{tool} on {student}: {problem}")
                marks_file = Path(env["BENCH_MARKS_FILE"])
                marks = json.loads(marks_file.read_text()) if marks_file.is_file() else None
                return {"wall_s": wall, **_wall_marks(marks, launch, launch + wall),
                        "test_accuracy": (marks or {}).get("test_accuracy")}

            return {"nbconvert": nbconvert, "nbgrader": nbgrader, "otter": otter, "grader": grader}[tool]

        # Warm-up: every tool once on a tiny notebook (page cache, first-use costs, the verifier's start).
        warm = submission("warmup", 2, 10000)
        for tool in tools:
            t0 = time.perf_counter()
            runner(tool, "warmup", warm)(-1)
            C.progress(f"  warm-up {tool:<10} {time.perf_counter() - t0:7.2f} s (not counted)")

        students = {f"e{e:02d}": e for e in epochs_list}
        variants: dict[str, Callable[[int], dict[str, Any]]] = {}
        for student, e in students.items():
            nb = submission(student, e, args.train_rows)
            for tool in tools:
                variants[f"{tool} {student}"] = runner(tool, student, nb)
        samples = C.interleave(variants, reps)
    finally:
        if verifier is not None:
            verifier.close()
        shutil.rmtree(work, ignore_errors=True)

    machine["load_avg_end"] = os.getloadavg()
    result = summarize(samples, tools, students, reps, origin, args.train_rows, machine, installs)
    # A --quick run checks that everything works; it keeps the last real figures.
    C.save_result("tools-quick" if args.quick else "tools", result)
    print(markdown(result))
    return result


# --------------------------------------------------------------------------------------------
# results


def summarize(samples: dict[str, list[dict[str, Any]]], tools: list[str], students: dict[str, int], reps: int,
              origin: str, train_rows: int, machine: dict[str, Any], installs: dict[str, Any]) -> dict[str, Any]:
    def col(tool: str, student: str | None, key: str = "wall_s") -> list[float | None]:
        if student is not None:
            return [s.get(key) for s in samples[f"{tool} {student}"]]
        # A whole class: per repetition, the mean per submission over every notebook.
        per = [col(tool, st, key) for st in students]
        return [None if any(v is None for v in vals) else sum(vals) / len(vals) for vals in zip(*per)]

    for runs in samples.values():
        for sample in runs:
            # What the tool itself costs: everything but the notebook's own code (whose wall time
            # swings with the machine's load and is the same work under every tool).
            if sample.get("code_s") is not None:
                sample["overhead_s"] = sample["wall_s"] - sample["code_s"]
    rows: dict[str, Any] = {}
    for student in [*students, None]:
        label = student or "mean per submission"
        entry: dict[str, Any] = {"epochs": students.get(student) if student else None,
                                 "wall_s": {t: C.spread(col(t, student)) for t in tools},
                                 "overhead_s": {t: C.spread(col(t, student, "overhead_s")) for t in tools},
                                 "phases": {t: {k: C.med(col(t, student, k)) for k in PHASE_KEYS} for t in tools}}
        if "grader" in tools:
            g = col("grader", student)
            entry["grader_over"] = {
                base: {"ratio": C.ratio(C.med(g), C.med(col(base, student))),
                       "paired_ratio": C.paired_ratio(g, col(base, student)),
                       "min_ratio": C.min_ratio(g, col(base, student))}
                for base in tools if base != "grader"}
        rows[label] = entry
    return {"benchmark": "tools", "machine": machine, "data": origin, "reps": reps, "train_rows": train_rows,
            "notebooks": students, "tools": tools, "installs": installs, "results": rows, "samples": samples}


PHASE_KEYS = ["startup_s", "code_s", "training_s", "after_code_s", "training_cpu_s", "verify_s", "overhead_s", "wall_s"]
PHASE_LABELS = {"startup_s": "start to the notebook's first line", "code_s": "the notebook's code (import, load, train, evaluate)",
                "training_s": "  of which training", "after_code_s": "after the code (tests, shutdown, wrap-up)",
                "training_cpu_s": "CPU seconds of training", "verify_s": "verification (warm verifier)",
                "overhead_s": "the tool's own cost (wall minus the code)", "wall_s": "wall, per submission"}


def markdown(result: dict[str, Any]) -> str:
    tools = result["tools"]
    m = result["machine"]
    lines = [f"### Per-submission wall time against other graders ({result['reps']} interleaved reps, "
             f"{result['train_rows']} rows, {result['data']} MNIST; load average {m['load_avg_start'][0]:.1f} "
             f"at start, {m['load_avg_end'][0]:.1f} at end)\n"]
    versions = ", ".join(f"{t} {m.get(t)}" for t in ("nbgrader", "otter") if t in tools)
    failed = {t: i["error"] for t, i in result["installs"].items() if "error" in i}
    if versions:
        lines.append(f"Versions: {versions}.\n")
    for t, err in failed.items():
        lines.append(f"**{t} not measured**: it did not install:\n\n```\n{err}\n```\n")
    head = ["notebook", *[f"{t} median (min) s" for t in tools]]
    body = []
    for label, entry in result["results"].items():
        name = f"{label} ({entry['epochs']} epochs)" if entry["epochs"] else label
        body.append([name, *[f"{C.fmt(entry['wall_s'][t]['median'], 1)} ({C.fmt(entry['wall_s'][t]['min'], 1)})" for t in tools]])
    lines.append(C.table(head, body))
    if "grader" in tools:
        body = []
        for label, entry in result["results"].items():
            for base, r in entry["grader_over"].items():
                body.append([label, f"grader / {base}", C.fmt(r["ratio"], 3), C.fmt(r["paired_ratio"], 3), C.fmt(r["min_ratio"], 3)])
        lines.append("\nRatios (grader over each tool):\n")
        lines.append(C.table(["notebook", "ratio", "of medians", "paired", "of minimums"], body))
    body = []
    for label, entry in result["results"].items():
        over = entry.get("overhead_s", {})
        body.append([label, *[f"{C.fmt(over[t]['median'], 2)} ({C.fmt(over[t]['min'], 2)})" if t in over else "–" for t in tools]])
    lines.append("\nThe tool's own cost per submission: wall time minus the notebook's code (first line to last), "
                 "median (minimum) seconds:\n")
    lines.append(C.table(["notebook", *tools], body))
    whole = result["results"]["mean per submission"]["phases"]
    body = [[label, *[C.fmt(whole[t].get(k), 2) for t in tools]] for k, label in PHASE_LABELS.items()]
    lines.append("\nBreakdown, mean per submission (median seconds, from the notebook's own time marks):\n")
    lines.append(C.table(["phase", *tools], body))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
