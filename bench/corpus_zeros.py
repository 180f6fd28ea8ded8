"""The real-world corpus graded without and with adaptation: how many submissions score 0, and how many
criteria change.

"Before" is this grader with adaptation to the grading machine turned off (``--adapt none``): GPU lines,
drawing packages, Keras 3 relocations and data served from the grader's copy all run as written, so
whatever needed the student's machine fails as it would have on a grader that never adapted. "After" is
the default (adaptation on). Both use the same grader, rubric and data, so the difference is adaptation
alone (plus, in both, stored figures standing in at the rubric's reported_credit where the environment
explains a failure). Each file is graded against the rubric it targets: tests/corpus/realworld/
realworld-corpus.yaml, or the rubric that sits beside it in its own folder.

Data: the deterministic synthetic MNIST and Fashion-MNIST of the test suite (6,000/1,000 rows), two CPUs.
Run: .venv/bin/python bench/corpus_zeros.py [--only NAME ...] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "corpus" / "realworld"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def corpus_files() -> list[tuple[Path, Path]]:
    """(submission, the rubric it targets), in name order."""
    out = []
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix not in (".ipynb", ".py") or not path.is_file():
            continue
        own = sorted(path.parent.glob("*.yaml")) if path.parent != CORPUS else []
        out.append((path, own[0] if own else CORPUS / "realworld-corpus.yaml"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=None, help="file names to grade (default: the whole corpus)")
    ap.add_argument("--json", type=Path, default=None, help="write every row as JSON here")
    args = ap.parse_args()

    from grader.api import run_submission
    from grader.datasets.store import DatasetStore
    from grader.evidence.model import Limits
    from grader.grading.grade import grade
    from grader.rubric.loader import load_rubric
    from grader.verify import Verifier

    from grader.api import dataset_files

    tmp = Path(tempfile.mkdtemp(prefix="corpus-zeros-"))
    store = DatasetStore.synthetic(tmp / "store", size="small", names=("mnist", "fashion_mnist"))
    verifier = Verifier(dataset_files(store), cpus=2)
    limits = Limits(timeout_s=300, cell_timeout_s=180, cpus=2)
    rows = []
    try:
        for path, rubric_path in corpus_files():
            if args.only and path.name not in args.only:
                continue
            rubric = load_rubric(rubric_path)
            graded = {}
            for label, adapt in (("before", "none"), ("after", None)):
                t0 = time.monotonic()
                verified = run_submission(path, datasets=store, limits=limits, cpus=2, verifier=verifier, adapt=adapt)
                graded[label] = (grade(verified, rubric), time.monotonic() - t0)
            (b, tb), (a, ta) = graded["before"], graded["after"]
            changed = [c.id for c in a.criteria
                       if (bc := b.criterion(c.id)) is None or (bc.outcome, bc.points) != (c.outcome, c.points)]
            row = {"file": str(path.relative_to(CORPUS)), "rubric": rubric.id,
                   "before": b.score, "after": a.score, "max": a.max_score,
                   "before_run": b.run.status.value, "after_run": a.run.status.value,
                   "changed": changed, "before_review": [f.reason.value for f in b.review],
                   "after_review": [f.reason.value for f in a.review], "seconds": round(tb + ta, 1)}
            rows.append(row)
            print(f"{row['file']:<48} before {b.score:>4g}/{b.max_score:<4g} ({row['before_run']:<21}) "
                  f"after {a.score:>4g}/{a.max_score:<4g} ({row['after_run']:<21}) "
                  f"changed {len(changed):>2} {changed}  [{row['seconds']} s]", flush=True)
    finally:
        verifier.close()
    zeros_before = sum(1 for r in rows if r["before"] == 0)
    zeros_after = sum(1 for r in rows if r["after"] == 0)
    total = sum(len(r["changed"]) for r in rows)
    criteria = sum(len(list(load_rubric(rp).criteria())) for p, rp in corpus_files()
                   if not args.only or p.name in args.only)
    print(f"\n{len(rows)} submissions: {zeros_before} scored 0 before (--adapt none), {zeros_after} after "
          f"(default); {total} of {criteria} criteria changed (outcome or points)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
