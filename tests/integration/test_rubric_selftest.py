"""Every bundled rubric that has a reference suite proves itself, as `grader rubric test` does.

A suite lives in ``reference/<rubric-id>/``: a reference submission that must earn full marks and
known-bad variants that must each lose exactly the criteria their ``expect.yaml`` names. The
self-test runs on the deterministic synthetic datasets (``tf``) and, when the real datasets sit
beside the checkout, on those too (``slow``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "reference"
REAL_DATASETS = REPO.parent / "shared" / "datasets"
CPUS = 2

# Rubrics whose reference suite is complete; each runs in a few minutes on synthetic data.
SUITES = ["nn-basics-keras", "cnn-fashion-mnist", "cnn-mnist-tutorial", "cnn-notebook-exercises",
          "nn-basics-tensorflow"]


def _rubric(rubric_id: str) -> Any:
    from grader.rubric.loader import load_rubric
    from grader.rubric.resolve import resolve_rubric

    return load_rubric(resolve_rubric(rubric_id))


def _datasets_needed() -> tuple[str, ...]:
    """The store datasets the suites need (the primitives image folder is generated, not stored)."""
    from grader.datasets.catalog import CATALOG

    names = {name for rubric_id in SUITES for name in _rubric(rubric_id).datasets if name in CATALOG}
    return tuple(sorted(names))


def _selftest(rubric_id: str, datasets: object, verifier: Any) -> list[Any]:
    """Grade the reference and every variant; the cases come back with what each lost."""
    from grader.api import run_submission
    from grader.evidence.model import Limits
    from grader.pipeline.selftest import cases, reference_dir, run_cases

    rubric = _rubric(rubric_id)
    found = cases(reference_dir(rubric, REFERENCE / rubric.id))
    limits = rubric.limits.to_limits(Limits(cpus=CPUS))

    def run(path: Path) -> Any:
        return run_submission(path, datasets=datasets, limits=limits, continue_on_error=rubric.continue_on_error,
                              cpus=CPUS, verifier=verifier)

    return run_cases(rubric, found, run)


def _assert_proved(found: list[Any]) -> None:
    from grader.pipeline.selftest import table

    assert found[0].name == "reference" and len(found) > 1, "a suite needs a reference and at least one variant"
    reference = found[0]
    # Bonus points may lift the reference above the maximum; anything less than full marks is a failure.
    assert reference.ok and reference.score >= reference.max_score, "\n" + table(found)
    assert all(case.ok for case in found), "\n" + table(found)


@pytest.mark.parametrize("rubric_id", SUITES)
def test_suite_is_well_formed(rubric_id: str) -> None:
    """Cheap: one submission per case, and every expected break names a criterion of the rubric."""
    from grader.pipeline.selftest import cases, reference_dir

    rubric = _rubric(rubric_id)
    known = {item.id for item, _ in rubric.criteria()}
    found = cases(reference_dir(rubric, REFERENCE / rubric.id))
    assert len(found) > 1
    for case in found[1:]:
        assert case.expected, f"variant {case.name} declares no broken criterion"
        assert case.expected <= known, f"variant {case.name}: unknown criteria {sorted(case.expected - known)}"
    assert len({c.name for c in found}) == len(found)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, Any]]:
    """Synthetic stand-ins for the suites' datasets and one verifier (one TensorFlow import) for them all."""
    from grader.api import dataset_files
    from grader.datasets.store import DatasetStore
    from grader.verify import Verifier

    store = DatasetStore.synthetic(tmp_path_factory.mktemp("selftest-data"), size="small",
                                   names=_datasets_needed())
    with Verifier(dataset_files(store), cpus=CPUS) as verifier:
        yield store, verifier


@pytest.fixture(scope="module")
def real() -> Iterator[tuple[object, Any]]:
    from grader.api import SANDBOX_FILES, dataset_files
    from grader.verify import Verifier

    if not REAL_DATASETS.is_dir():
        pytest.skip(f"no real datasets at {REAL_DATASETS}")
    files = dataset_files(REAL_DATASETS)
    missing = [name for name in _datasets_needed() if name in SANDBOX_FILES and SANDBOX_FILES[name] not in files]
    if "usa_housing" in _datasets_needed() and "USA_Housing.csv" not in files:
        missing.append("usa_housing")
    if missing:
        pytest.skip(f"{REAL_DATASETS} lacks {', '.join(missing)}")
    with Verifier(files, cpus=CPUS) as verifier:
        yield str(REAL_DATASETS), verifier


@pytest.mark.tf
@pytest.mark.timeout(900)
@pytest.mark.parametrize("rubric_id", SUITES)
def test_rubric_proves_itself_on_synthetic_data(rubric_id: str, synthetic: tuple[object, Any]) -> None:
    store, verifier = synthetic
    _assert_proved(_selftest(rubric_id, store, verifier))


@pytest.mark.tf
@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("rubric_id", SUITES)
def test_rubric_proves_itself_on_real_data(rubric_id: str, real: tuple[object, Any]) -> None:
    datasets, verifier = real
    _assert_proved(_selftest(rubric_id, datasets, verifier))
