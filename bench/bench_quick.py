"""Quick mode's wall time as a fraction of the full run, on the nn-basics-keras reference.

Both variants are the whole `grader check` path through the API (sandbox, probe, verification,
grading), interleaved in one process with one verifier kept warm for both, so that neither pays
TensorFlow's import in the verifier. Goal: quick / full <= 0.15.

    python bench/bench_quick.py [--reps 2] [--datasets DIR]
"""

from __future__ import annotations

import argparse
import time

from _common import REPO, find_datasets, interleave, machine, med, min_ratio, paired_ratio, ratio, save_result, table, verdict


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--datasets")
    args = parser.parse_args()
    datasets, origin = find_datasets(args.datasets)

    from grader.api import dataset_files, run_submission
    from grader.evidence.model import Limits
    from grader.grading import grade
    from grader.rubric import load_rubric, resolve_rubric
    from grader.verify import Verifier

    rubric = load_rubric(resolve_rubric("nn-basics-keras"))
    notebook = REPO / "reference" / "nn-basics-keras" / "nn_basics_keras.ipynb"
    files = dataset_files(str(datasets))
    limits = rubric.limits.to_limits(Limits(cpus=2))
    with Verifier(files, cpus=2) as verifier:
        def variant(quick: bool):
            def go(_rep: int) -> dict:
                t0 = time.perf_counter()
                verified = run_submission(notebook, datasets=str(datasets), limits=limits, quick=quick,
                                          verifier=verifier, continue_on_error=True)
                result = grade(verified, rubric, quick=quick)
                return {"wall_s": time.perf_counter() - t0, "score": result.score, "max": result.max_score,
                        "skipped": result.outcome_counts.get("skipped", 0)}
            return go

        samples = interleave({"full": variant(False), "quick": variant(True)}, args.reps, warmup=False)
    full = [s["wall_s"] for s in samples["full"]]
    quick = [s["wall_s"] for s in samples["quick"]]
    estimates = [ratio(med(quick), med(full)), paired_ratio(quick, full), min_ratio(quick, full)]
    rows = [["quick / full", f"{med(full):.1f}", f"{med(quick):.1f}", *(f"{e:.3f}" for e in estimates), "<= 0.15",
             verdict(0.15, *estimates)]]
    print(table(["measure", "full s", "quick s", "ratio of medians", "paired", "ratio of minimums", "goal", "verdict"], rows))
    print(f"\ndata: {origin}; quick mode skipped {samples['quick'][0]['skipped']} criteria "
          f"({samples['quick'][0]['score']:.0f}/{samples['quick'][0]['max']:.0f} of what it checked)")
    save_result("quick", {"machine": machine(), "datasets": origin, "samples": samples, "estimates": estimates})


if __name__ == "__main__":
    main()
