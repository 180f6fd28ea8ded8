"""``grader rubric test``: prove a rubric on known submissions.

Layout, next to the rubric's repository (``reference/<rubric-id>/``)::

    reference/<rubric-id>/solution.ipynb          # the reference: must earn full marks
    reference/<rubric-id>/variants/<name>/x.py    # a known-bad variant ...
    reference/<rubric-id>/variants/<name>/expect.yaml   # ... declaring {breaks: [criterion ids]}

A variant may also be a single file ``variants/<name>.py`` with ``variants/<name>.expect.yaml``.
Each variant must lose exactly the criteria it declares: no more (a rubric too strict), no fewer
(a rubric too lenient).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml import YAML

from grader.errors import RubricError
from grader.rubric.model import Rubric

SUBMISSION_SUFFIXES = (".ipynb", ".py", ".zip")


class Expectation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    breaks: list[str] = Field(default_factory=list, description="Criterion ids this variant must fail.")
    note: str = Field("", description="Why the variant exists.")


@dataclass
class Case:
    name: str
    submission: Path
    expected: set[str]
    actual: set[str] = field(default_factory=set)
    score: float = 0.0
    max_score: float = 0.0
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem and self.expected == self.actual


def reference_dir(rubric: Rubric, override: Path | None = None) -> Path:
    if override is not None:
        if not override.is_dir():
            raise RubricError(f"no reference folder {override}")
        return override
    candidates = [Path.cwd() / "reference" / rubric.id]
    if rubric.path is not None:
        candidates.insert(0, rubric.path.resolve().parent.parent / "reference" / rubric.id)
    for c in candidates:
        if c.is_dir():
            return c
    raise RubricError(f"no reference submission folder for rubric {rubric.id!r}",
                      hint=f"create reference/{rubric.id}/ with the reference solution, or pass --reference")


def _single_submission(folder: Path) -> Path:
    found = [p for p in sorted(folder.iterdir()) if p.is_file() and p.suffix in SUBMISSION_SUFFIXES]
    if len(found) != 1:
        raise RubricError(f"{folder} should hold exactly one submission file (.ipynb, .py or .zip), "
                          f"found {len(found)}")
    return found[0]


def _expectation(path: Path) -> Expectation:
    try:
        data = YAML(typ="safe").load(path.read_text()) or {}
        return Expectation.model_validate(data)
    except (OSError, ValidationError, Exception) as exc:  # any unreadable expectation is a rubric-suite error
        raise RubricError(f"cannot read {path}: {exc}", file=str(path)) from None


def cases(folder: Path) -> list[Case]:
    out = [Case("reference", _single_submission(folder), set())]
    variants = folder / "variants"
    if not variants.is_dir():
        return out
    for entry in sorted(variants.iterdir()):
        if entry.is_dir():
            out.append(Case(entry.name, _single_submission(entry), set(_expectation(entry / "expect.yaml").breaks)))
        elif entry.suffix in SUBMISSION_SUFFIXES:
            expect = entry.with_name(entry.stem + ".expect.yaml")
            out.append(Case(entry.stem, entry, set(_expectation(expect).breaks)))
    return out


def run_cases(rubric: Rubric, found: list[Case], run: Callable[[Path], Any], *, quick: bool = False) -> list[Case]:
    """Grade every case; ``run`` turns a submission path into VerifiedEvidence."""
    from grader.grading.grade import grade

    known = {item.id for item, _ in rubric.criteria()}
    for case in found:
        unknown = case.expected - known
        if unknown:
            case.problem = f"expect.yaml names unknown criteria: {', '.join(sorted(unknown))}"
            continue
        result = grade(run(case.submission), rubric, quick=quick)
        lost = {c.id for c in result.criteria if c.outcome.value in ("failed", "error")}
        skipped = {c.id for c in result.criteria if c.outcome.value == "skipped"}
        case.expected -= skipped  # a break that quick mode does not check cannot be seen
        case.actual, case.score, case.max_score = lost, result.score, result.max_score
        errors = [c.id for c in result.criteria if c.outcome.value == "error"]
        if errors:
            case.problem = f"could not be graded fully (errors: {', '.join(errors)}): {result.run.message}"
    return found


def table(found: list[Case]) -> str:
    rows = [("case", "score", "expected to lose", "lost", "result")]
    for c in found:
        rows.append((c.name, f"{c.score:g}/{c.max_score:g}", ", ".join(sorted(c.expected)) or "-",
                     ", ".join(sorted(c.actual)) or "-", "ok" if c.ok else f"MISMATCH {c.problem}".strip()))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4] for r in rows)
