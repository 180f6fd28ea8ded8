"""Median time to grade realistic evidence against each bundled rubric (no TensorFlow, no sandbox).

    python bench/bench_rubric_eval.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "unit")]

import evidence_factory as f  # noqa: E402

from grader.grading.grade import grade  # noqa: E402
from grader.rubric.loader import load_rubric  # noqa: E402
from grader.verify.verified import VerifiedEvidence  # noqa: E402


def evidence_for(rubric_id: str) -> VerifiedEvidence:
    if rubric_id.startswith("nn-basics"):
        return f.nn_basics_evidence()
    cnns = [f.tutorial_cnn(f"m{i}", dense_units=32 * (i + 1)) for i in range(1, 5)]
    return f.verify(f.evidence(cnns, figures=[f.curves(m, i) for i, m in enumerate(cnns)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    print(f"{'rubric':28} {'criteria':>8} {'median ms':>10} {'p95 ms':>8}")
    for path in sorted((ROOT / "rubrics").glob("*.yaml")):
        rubric = load_rubric(path)
        verified = evidence_for(rubric.id)
        grade(verified, rubric)  # warm-up: imports and caches
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = grade(verified, rubric)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        print(f"{rubric.id:28} {len(result.criteria):>8} {statistics.median(times):>10.2f} "
              f"{times[int(0.95 * (len(times) - 1))]:>8.2f}")


if __name__ == "__main__":
    main()
