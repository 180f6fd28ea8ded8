"""`grader grade --repeat K`: borderline verdicts re-decided on the median of K more seeded runs (pure parts:
which results repeat, with which seeds and store keys, and how the repeated figures decide)."""

from __future__ import annotations

import evidence_factory as f
from test_borderline import measured_evidence

from grader.checks.base import Outcome
from grader.evidence.model import Limits
from grader.grading.grade import grade
from grader.intake.discovery import Student
from grader.pipeline.plan import ClassPlan, PlanEntry
from grader.pipeline.repeats import combine, is_borderline, repeat_seeds, seeded_plan
from grader.pipeline.store import environment
from grader.rubric.loader import parse_rubric

RUBRIC = parse_rubric(
    "id: t\ntitle: T\nversion: '1'\nslots:\n  - id: one\n    title: One\n    match: {hidden_layers: '==1'}\n"
    "    metrics:\n      - {id: acc, metric: accuracy, split: test, expect: '>0.92'}\n")


def plan(seed: int | None = 1) -> ClassPlan:
    entries = tuple(PlanEntry(Student(name=n, label=f"{n}.py", root=f.__file__, entries=(f"{n}.py",)), n * 8)
                    for n in ("ann", "bob"))
    return ClassPlan(rubric=RUBRIC, entries=entries, limits=Limits(seed=seed),
                     environment=tuple(sorted(environment(seed=seed).items())))


def test_only_a_figure_within_noise_of_its_bar_repeats() -> None:
    assert is_borderline(grade(measured_evidence(0.9187), RUBRIC))
    assert not is_borderline(grade(measured_evidence(0.95), RUBRIC))
    assert not is_borderline(grade(measured_evidence(0.80), RUBRIC))


def test_repeat_seeds_follow_the_first_run_s() -> None:
    assert repeat_seeds(1, 3) == [2, 3, 4]
    assert repeat_seeds(None, 2) == [2, 3]  # an unseeded first run: after the default seed
    assert repeat_seeds(2**32 - 1, 2) == [0, 1]


def test_each_repeat_is_its_own_store_key_over_only_the_borderline_submissions() -> None:
    base = plan()
    keyed = {seeded_plan(base, s, {"ann" * 8}).env_key for s in (2, 3)}
    assert len(keyed) == 2 and base.env_key not in keyed
    again = seeded_plan(base, 2, {"ann" * 8})
    assert [e.student.name for e in again.entries] == ["ann"] and again.limits.seed == 2 and again.out is None
    assert again.env_key == seeded_plan(base, 2, {"ann" * 8}).env_key  # so a second --repeat finds them stored


def _repeats(*values: float | None) -> list[tuple[int, object]]:
    out = []
    for seed, value in enumerate(values, start=2):
        ev = measured_evidence(value) if value is not None else measured_evidence(0.5).model_copy(
            update={"verifications": []})
        out.append((seed, grade(ev, RUBRIC)))
    return out


def test_the_median_decides_and_the_report_shows_median_and_spread() -> None:
    first = grade(measured_evidence(0.9187), RUBRIC)
    assert first.criterion("acc").outcome == Outcome.FAILED
    passed = combine(first, _repeats(0.93, 0.925, 0.915), plan())
    acc = passed.criterion("acc")
    assert acc.outcome == Outcome.PASSED  # median of 0.915, 0.9187, 0.925, 0.93 is 0.92185
    assert "median 0.9219 of 4 runs with seeds 1, 2, 3, 4 (0.9150-0.9300)" in acc.message
    repeated = passed.evidence.verification("m1").repeated("accuracy", "test")
    assert repeated is not None and repeated.values == (0.9187, 0.93, 0.925, 0.915)
    failed = combine(first, _repeats(0.91, 0.925), plan()).criterion("acc")
    assert failed.outcome == Outcome.FAILED and "median 0.9187 of 3 runs" in failed.message


def test_a_repeat_without_the_figure_adds_nothing_and_no_repeats_change_nothing() -> None:
    first = grade(measured_evidence(0.9187), RUBRIC)
    acc = combine(first, _repeats(None, 0.93), plan()).criterion("acc")
    assert "of 2 runs with seeds 1, 3 " in acc.message
    assert combine(first, _repeats(None), plan()) == first
