"""Shared fixtures: a synthetic dataset store, one verifier for the whole session, and helpers
that write submissions and run them through the real pipeline."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from submission_files import write_submission  # noqa: F401  (tests/ is on sys.path via this conftest)

TRUTH_TAG = "KERAS_TRUTH "
# Small on purpose: every test shares two cores, so each sandbox gets both and nothing more.
CPUS = 2


def keras_truth(printed: str) -> dict[str, Any]:
    """What Keras itself reported inside the run: the JSON a submission printed after TRUTH_TAG."""
    lines = [line for line in printed.splitlines() if line.startswith(TRUTH_TAG)]
    assert lines, f"the submission printed no {TRUTH_TAG.strip()} line; printed:\n{printed[-3000:]}"
    return json.loads(lines[-1][len(TRUTH_TAG):])


@pytest.fixture(scope="session")
def dataset_store(tmp_path_factory: pytest.TempPathFactory):
    """Deterministic synthetic MNIST-like data (6,000 train / 1,000 test), made once per session."""
    from grader.datasets.store import DatasetStore

    return DatasetStore.synthetic(tmp_path_factory.mktemp("datasets"), size="small", names=("mnist",))


@pytest.fixture(scope="session")
def dataset_files(dataset_store) -> dict[str, Path]:
    from grader.api import dataset_files as files_of

    files = files_of(dataset_store)
    assert "mnist.npz" in files
    return files


@pytest.fixture(scope="session")
def shared_verifier(dataset_files):
    """One verifier worker for the session, so TensorFlow is imported once, not per test."""
    from grader.verify import Verifier

    verifier = Verifier(dataset_files, cpus=CPUS)
    yield verifier
    verifier.close()


@pytest.fixture(scope="session")
def grade(dataset_store, shared_verifier) -> Callable[..., Any]:
    """run_submission with the session's store and verifier, two CPUs, and the run's files kept
    when `keep_files` is given. Extra keyword arguments pass through."""
    from grader.api import run_submission
    from grader.evidence.model import Limits

    def run(path: Path, *, limits: Limits | None = None, **kwargs: Any):
        limits = (limits or Limits(timeout_s=300)).model_copy(update={"cpus": CPUS})
        return run_submission(path, datasets=dataset_store, limits=limits, cpus=CPUS,
                              verifier=shared_verifier, **kwargs)

    return run


@pytest.fixture
def submission(tmp_path: Path) -> Callable[[str, str | Sequence[str]], Path]:
    """Write a submission into this test's tmp_path: submission("hw.py", "print(1)")."""

    def write(name: str, source: str | Sequence[str]) -> Path:
        return write_submission(tmp_path / "submission", name, source)

    return write


@pytest.fixture(scope="session")
def writer() -> Callable[[Path, str, str | Sequence[str]], Path]:
    """write_submission(folder, name, source), for module-scoped fixtures that have no tmp_path."""
    return write_submission


@pytest.fixture(scope="session")
def truth() -> Callable[[str], dict[str, Any]]:
    """keras_truth(printed): the figures a submission printed from Keras's own API."""
    return keras_truth


@pytest.fixture(scope="session")
def host_isolation():
    """The isolation this host gives a run (bubblewrap where installed and allowed)."""
    from grader.sandbox import isolation

    return isolation.detect()


@pytest.fixture
def needs_bwrap(host_isolation) -> None:
    """Skip a test of filesystem isolation on a host where bubblewrap cannot run (see `make setup`)."""
    from grader.evidence.model import Isolation

    if host_isolation.level is not Isolation.BWRAP:
        pytest.skip(f"needs bubblewrap isolation; this host offers {host_isolation.level.value}: "
                    + "; ".join(host_isolation.notes))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="Rewrite tests/golden/ files from the current output instead of comparing.")
