"""The Keras 2 corpus (tests/corpus/keras2/): each file fails on Keras 3 where Keras 2 code does,
with the idiom diagnosed, and runs to the end under ``compat="keras2"`` with every shim that fired
listed at its line (and cell), the models and fits recorded as intended, and the grade it deserves.

Each file runs once per mode (cached for the module), all through one shared verifier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from grader.evidence.diagnoses import RULES
from grader.evidence.model import RunStatus
from grader.verify.verified import VerificationStatus, VerifiedEvidence

pytestmark = pytest.mark.tf

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "keras2"
Place = tuple[str, "int | None", int]  # (idiom, cell index or None for a script, line)


@dataclass(frozen=True)
class Case:
    caused: list[Place]  # diagnoses whose idiom is what failed in default mode
    diagnosed: list[Place]  # every diagnosis (default and compat mode alike)
    shims: list[tuple[str, int | None, int, int]]  # (idiom, cell, line, count), in order of first use
    fits: dict[str, list[int]]  # model id -> epochs run per fit, under compat
    learning_rates: dict[str, float]
    lost: set[str] = field(default_factory=set)  # corpus-rubric criteria the file deserves to fail


CASES = {
    "mlp_np_utils.py": Case(
        caused=[("np-utils", None, 8)],
        diagnosed=[("np-utils", None, 8), ("optimizer-lr", None, 20), ("nb-epoch", None, 21),
                   ("history-acc", None, 27), ("history-acc", None, 28), ("predict-classes", None, 34)],
        shims=[("np-utils", None, 8, 1), ("optimizer-lr", None, 20, 1), ("nb-epoch", None, 21, 1),
               ("pipeline-args", None, 23, 1), ("history-acc", None, 27, 1), ("history-acc", None, 28, 1),
               ("predict-classes", None, 34, 1)],
        fits={"m1": [2]}, learning_rates={"m1": 0.1}),
    "cnn_generators.py": Case(
        caused=[("np-utils", None, 11)],
        diagnosed=[("np-utils", None, 11), ("compile-positional", None, 27), ("optimizer-lr", None, 27),
                   ("fit-generator", None, 28), ("fit-generator", None, 30), ("fit-generator", None, 33)],
        shims=[("np-utils", None, 11, 1), ("layer-init", None, 22, 1), ("optimizer-lr", None, 27, 1),
               ("optimizer-decay", None, 27, 1), ("compile-positional", None, 27, 1), ("fit-generator", None, 28, 1),
               ("fit-generator", None, 30, 1), ("predict-proba", None, 32, 1), ("fit-generator", None, 33, 1)],
        fits={"m1": [2]}, learning_rates={"m1": 0.005}, lost={"curves"}),
    "homework_notebook.ipynb": Case(
        caused=[("np-utils", 2, 1), ("optimizer-lr", 4, 4), ("predict-classes", 10, 1)],
        diagnosed=[("np-utils", 2, 1), ("optimizer-lr", 4, 4), ("nb-epoch", 5, 1), ("history-acc", 6, 2),
                   ("history-acc", 6, 3), ("history-acc", 8, 1), ("predict-classes", 10, 1)],
        # history['acc'] on lines 2-3 of cell 6 runs when cell 7 calls plot_history: placed where written.
        shims=[("np-utils", 2, 1, 1), ("optimizer-lr", 4, 4, 1), ("nb-epoch", 5, 1, 1), ("history-acc", 6, 2, 1),
               ("history-acc", 6, 3, 1), ("history-acc", 8, 1, 1), ("predict-classes", 10, 1, 1),
               ("layers-module", 12, 1, 1), ("optimizer-lr-attr", 12, 2, 1)],
        fits={"m1": [2]}, learning_rates={"m1": 0.5}),
    "generators_lab.ipynb": Case(
        caused=[("history-acc", 3, 1), ("compile-positional", 4, 7), ("fit-generator", 5, 1), ("nb-epoch", 7, 1)],
        diagnosed=[("history-acc", 3, 1), ("compile-positional", 4, 7), ("fit-generator", 5, 1), ("nb-epoch", 7, 1)],
        shims=[("history-acc", 3, 1, 1), ("compile-positional", 4, 7, 1), ("fit-generator", 5, 1, 1),
               ("nb-epoch", 7, 1, 1)],
        # fit_generator shows up as m2's first fit, with its two epochs of history.
        fits={"m1": [2], "m2": [2, 1, 1]}, learning_rates={"m1": 0.001, "m2": 0.001},
        lost={"learning_rate", "curves"}),
}
_runs: dict[tuple[str, str | None], VerifiedEvidence] = {}


@pytest.fixture(scope="module")
def run(grade) -> Callable[[str, str | None], VerifiedEvidence]:
    """run(name, compat): the corpus file's verified evidence, run once per mode for the module."""
    from grader.evidence.model import Limits

    def get(name: str, compat: str | None) -> VerifiedEvidence:
        if (name, compat) not in _runs:
            _runs[(name, compat)] = grade(CORPUS / name, limits=Limits(timeout_s=300), compat=compat)
        return _runs[(name, compat)]

    return get


def _places(items: list[Any]) -> list[Place]:
    return [(d.idiom, d.cell_index, d.line) for d in items]


def test_the_corpus_covers_every_idiom() -> None:
    from grader.evidence.shims import EXTRA_TITLES

    fired = {s[0] for case in CASES.values() for s in case.shims}
    assert fired == set(RULES) | set(EXTRA_TITLES)
    assert {p[0] for case in CASES.values() for p in case.caused} == set(RULES)
    assert sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".py", ".ipynb")) == sorted(CASES)
    assert any(n.endswith(".py") for n in CASES) and any(n.endswith(".ipynb") for n in CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_default_mode_fails_where_keras_3_fails(run, name: str) -> None:
    case = CASES[name]
    verified = run(name, None)
    ev = verified.evidence
    expected = RunStatus.CRASHED if name.endswith(".py") else RunStatus.COMPLETED_WITH_ERRORS
    assert ev.run.status is expected, ev.run.message
    assert ev.run.compat is None and ev.shims == []
    assert _places(ev.diagnoses) == case.diagnosed
    assert _places([d for d in ev.diagnoses if d.caused_error]) == case.caused, ev.run.message


@pytest.mark.parametrize("name", list(CASES))
def test_compat_mode_runs_and_lists_each_shim(run, name: str) -> None:
    case = CASES[name]
    verified = run(name, "keras2")
    ev = verified.evidence
    assert ev.run.status is RunStatus.COMPLETED, (ev.run.message, ev.run.log_tail[-2000:])
    assert ev.run.compat == "keras2"
    assert [(s.idiom, s.cell_index, s.line, s.count) for s in ev.shims] == case.shims
    assert all(s.title and s.detail and s.file is None for s in ev.shims)
    # The diagnoses stay: the instructor still sees what the student should change.
    assert _places(ev.diagnoses) == case.diagnosed and not any(d.caused_error for d in ev.diagnoses)
    assert {m.id: [f.epochs_run for f in m.fits] for m in ev.models} == case.fits
    for m in ev.models:
        assert m.optimizer is not None and m.optimizer.learning_rate == pytest.approx(case.learning_rates[m.id])
        assert m.metrics == ["accuracy"], m.id  # positional compile metrics reach the probe
        for f in m.fits:
            assert f.finished and f.epochs_requested == f.epochs_run
            assert len(f.history["accuracy"]) == f.epochs_run and "acc" not in f.history
    assert [v.status for v in verified.verifications] == [VerificationStatus.VERIFIED] * len(ev.models)


@pytest.mark.parametrize("name", list(CASES))
def test_compat_grade_is_what_the_file_deserves(run, name: str) -> None:
    from grader.checks.base import Outcome
    from grader.grading.grade import grade as grade_result
    from grader.rubric.loader import load_rubric

    rubric = load_rubric(CORPUS / "keras2-corpus.yaml")
    assert rubric.limits.compat == "keras2"
    result = grade_result(run(name, "keras2"), rubric)
    failed = {c.id for c in result.criteria if c.outcome is not Outcome.PASSED}
    assert failed == CASES[name].lost, [(c.id, c.message) for c in result.criteria if c.id in failed]
    assert result.score == result.max_score - sum(c.max_points for c in result.criteria if c.id in failed)


def test_rubric_opts_in_and_the_store_keeps_modes_apart(tmp_path: Path, dataset_store) -> None:
    import shutil

    from grader.pipeline.classgrade import grade_folder
    from grader.pipeline.store import ResultsStore

    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(CORPUS / "mlp_np_utils.py", folder / "ann.py")
    store = tmp_path / "results.sqlite"
    kw: dict[str, Any] = dict(rubric=CORPUS / "keras2-corpus.yaml", store=store, datasets=dataset_store, formats=(),
                              cores=2)
    first = grade_folder(folder, **kw)  # the rubric's limits.compat: keras2
    assert [r.how for r in first.results] == ["ran"]
    ev = first.results[0].result.evidence.evidence
    assert ev.run.compat == "keras2" and ev.run.status is RunStatus.COMPLETED and len(ev.shims) == 7
    assert first.results[0].result.score == first.results[0].result.max_score
    assert [r.how for r in grade_folder(folder, **kw).results] == ["cached"]
    plain = grade_folder(folder, compat="none", **kw)  # the option overrides the rubric: another result
    assert [r.how for r in plain.results] == ["ran"]
    ev = plain.results[0].result.evidence.evidence
    assert ev.run.compat is None and ev.run.status is RunStatus.CRASHED and ev.shims == []
    with ResultsStore(store) as db:
        assert db.counts()["evidence"] == 2 and db.run_count() == 2
