"""An answer edit re-graded from the stored run, against grading the same class with a full re-run.

A class of notebooks (the MNIST dense 784-300-10 workload of bench_run_overhead, a few epochs, with a
markdown cell answering "how many trainable parameters?") is graded two ways, interleaved in one process:

  full re-run    grade_folder with an empty results store: every notebook runs (sandbox, probe, kernel,
                 verification with one verifier per worker), is graded and stored
  answer edit    every notebook's markdown answer edited (wrong and right in turn), then grade_folder
                 against the store the warm-up filled: the runs are found by run key, the answers
                 re-read from the new files and graded; nothing runs

Per submission: grade_folder's wall time divided by the class size (plan, lookup, grading, storing,
the JSON reports), and for the answer edit also the lookup stage alone (store read, notebook text
swap, grading). Goal: an answer edit costs under 1 s per submission.

Usage: python bench/bench_answer_edit.py [--reps 3] [--students 2] [--epochs 3] [--train-rows 20000] [--quick]
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

GOAL_S = 1.0
PARAMS = 784 * 300 + 300 + 300 * 10 + 10  # 238,510
RUBRIC = """
id: answer-edit-bench
title: Answer edit
version: "1"
slots:
  - id: net
    title: The network
    match: {hidden_layers: "==1"}
questions:
  - {id: q.params, slot: net, answer: trainable_params, near: [param], points: 2}
"""


def answer(rep: int) -> str:
    """Right on odd repetitions, wrong on even ones: each edit is a new file, and the grade must follow it."""
    return f"Edit {rep}: the network has {PARAMS:,} trainable parameters." if rep % 2 else \
        f"Edit {rep}: the network has {rep + 12} trainable parameters."


def set_answer(path: Path, text: str) -> None:
    nb = json.loads(path.read_text())
    nb["cells"][-1]["source"] = text
    path.write_text(json.dumps(nb))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--students", type=int, default=None)
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--train-rows", type=int, default=None)
    ap.add_argument("--datasets", default=None)
    ap.add_argument("--quick", action="store_true", help="one repetition, one student, a short run")
    args = ap.parse_args(argv)
    reps = args.reps or (1 if args.quick else 3)
    students = args.students or (1 if args.quick else 2)
    epochs = args.epochs or (1 if args.quick else 3)
    rows = args.train_rows or (5000 if args.quick else 20000)
    datasets, origin = C.find_datasets(args.datasets)
    machine = C.machine()

    import nbformat

    from grader.pipeline.classgrade import grade_folder
    from grader.pipeline.store import ResultsStore
    from grader.rubric.loader import parse_rubric

    rubric = parse_rubric(RUBRIC)
    work = Path(tempfile.mkdtemp(prefix="grader-bench-edit-"))
    C.progress(f"answer edit: {reps} reps x 2 variants, {students} notebook(s) of {epochs} epochs on {rows} rows "
               f"({origin} MNIST)")
    try:
        data = C.data_folder(datasets, work)
        folder = work / "class"
        folder.mkdir()
        for i in range(students):
            path = C.write_notebook(folder / f"student{i}.ipynb", epochs, rows)
            nb = nbformat.read(str(path), as_version=4)
            nb.cells.append(nbformat.v4.new_markdown_cell(answer(0)))
            nbformat.write(nb, str(path))
        kept = work / "kept.sqlite"

        def grade(store: Path, out: Path) -> tuple[Any, float]:
            t0 = time.perf_counter()
            graded = grade_folder(folder, rubric=rubric, store=store, datasets=str(data), out=out, formats=("json",),
                                  gpus=[], cores=C.THREADS, similarity=False)
            return graded, time.perf_counter() - t0

        def outcomes(graded: Any) -> list[str]:
            return [r.result.criterion("q.params").outcome.value for r in graded.results]

        C.progress("  warm-up: the first full run fills the store the edits use (not counted)")
        graded, wall = grade(kept, work / "out-warm")
        assert {r.how for r in graded.results} == {"ran"}, [r.how for r in graded.results]
        C.progress(f"  warm-up full run {wall:8.2f} s")

        def full(rep: int) -> dict[str, Any]:
            store = work / f"fresh-{rep}-{time.monotonic_ns()}.sqlite"
            graded, wall = grade(store, work / f"out-full-{rep}")
            hows = [r.how for r in graded.results]
            if set(hows) != {"ran"} or any(r.result.run.status.value != "completed" for r in graded.results):
                raise RuntimeError(f"full run did not run everything: {hows}")
            store.unlink(missing_ok=True)
            return {"wall_s": wall, "per_submission_s": wall / students, "how": hows, "outcomes": outcomes(graded)}

        def edit(rep: int) -> dict[str, Any]:
            for path in sorted(folder.glob("*.ipynb")):
                set_answer(path, answer(rep))
            with ResultsStore(kept) as db:
                runs_before = db.run_count()
            graded, wall = grade(kept, work / f"out-edit-{rep}")
            with ResultsStore(kept) as db:
                runs_after = db.run_count()
            hows = [r.how for r in graded.results]
            want = "passed" if rep % 2 else "failed"
            if set(hows) != {"regraded"} or runs_after != runs_before or set(outcomes(graded)) != {want}:
                raise RuntimeError(f"the edit was not re-read from the stored run: {hows}, runs {runs_before} -> "
                                   f"{runs_after}, outcomes {outcomes(graded)} (expected {want})")
            return {"wall_s": wall, "per_submission_s": wall / students, "how": hows, "outcomes": outcomes(graded),
                    "lookup_per_submission_s": C.med(r.seconds for r in graded.results)}

        # Repetitions count from 1 so that the first edit (rep 1, odd) differs from the warm-up's answer.
        samples = C.interleave({"full re-run": lambda rep: full(rep + 1), "answer edit": lambda rep: edit(rep + 1)},
                               reps)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    full_s = [s["per_submission_s"] for s in samples["full re-run"]]
    edit_s = [s["per_submission_s"] for s in samples["answer edit"]]
    lookup_s = [s["lookup_per_submission_s"] for s in samples["answer edit"]]
    result = {
        "machine": machine, "load_avg_at_end": C.machine().get("load_avg_at_start"), "datasets": origin,
        "reps": reps, "students": students, "epochs": epochs, "train_rows": rows, "goal": {"per_submission_s": GOAL_S},
        "full": C.spread(full_s), "edit": C.spread(edit_s), "lookup": C.spread(lookup_s),
        "ratio": C.ratio(C.med(edit_s), C.med(full_s)), "paired_ratio": C.paired_ratio(edit_s, full_s),
        "min_ratio": C.min_ratio(edit_s, full_s), "samples": samples,
    }
    C.save_result("answer_edit", result)
    print(render(result))
    return result


def render(result: dict[str, Any]) -> str:
    met = "met" if (result["edit"]["max"] or 0) < GOAL_S else "missed"
    rows = [
        ["full re-run (grade_folder, empty store), per submission", C.fmt(result["full"]["median"], 2),
         C.fmt(result["full"]["min"], 2), ""],
        ["answer edit (grade_folder, stored run), per submission", C.fmt(result["edit"]["median"], 3),
         C.fmt(result["edit"]["min"], 3), f"< {GOAL_S:g} s: {met}"],
        ["answer edit: lookup, text swap and grading alone", C.fmt(result["lookup"]["median"], 4),
         C.fmt(result["lookup"]["min"], 4), ""],
    ]
    m = result["machine"]
    head = (f"### Answer edit against a full re-run ({result['reps']} interleaved reps, {result['students']} notebook(s), "
            f"{result['epochs']} epochs x {result['train_rows']} rows, {result['datasets']} MNIST; load average "
            f"{m.get('load_avg_at_start', 0):.1f} at the start, {result['load_avg_at_end'] or 0:.1f} at the end)\n\n")
    out = head + C.table(["measure", "median s", "min s", "goal"], rows)
    out += (f"\n\nanswer edit / full re-run: ratio of medians {C.fmt(result['ratio'], 4)}, paired "
            f"{C.fmt(result['paired_ratio'], 4)}, ratio of minimums {C.fmt(result['min_ratio'], 4)}")
    return out


if __name__ == "__main__":
    main()
