"""A check verifies each model while the run that trained it goes on (grader.verify.speculation): the request
after the run reuses what the early one computed, and every figure is the one a verifier that never saw the model
early gives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.tf

CPUS = 2
SCRIPT = """
import time
import keras
from keras import layers
(x, y), (xt, yt) = keras.datasets.mnist.load_data()
x, y, xt, yt = x[:2000] / 255.0, y[:2000], xt / 255.0, yt
model = keras.Sequential([keras.Input((28, 28)), layers.Flatten(), layers.Dense(24, activation="relu"),
                          layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
# A slow start to the fit: time for its rows to be counted before its model exists, as in any real training.
slow_start = keras.callbacks.LambdaCallback(on_train_begin=lambda logs: time.sleep(3))
model.fit(x, y, epochs=1, batch_size=64, validation_split=0.1, verbose=0, callbacks=[slow_start])
# What a notebook does after its fit (plots, the kernel's shutdown) is time the verifier can use; the evaluate()
# comes after the early request, so the request after the run differs from it.
time.sleep(6)
print(model.evaluate(xt, yt, verbose=0))
"""


@pytest.fixture(scope="module")
def speculated(tmp_path_factory: pytest.TempPathFactory, dataset_store, dataset_files) -> tuple[Any, list, Path]:
    from grader.api import run_submission
    from grader.evidence.model import Limits
    from grader.verify import Verifier

    folder = tmp_path_factory.mktemp("speculation")
    (folder / "sub.py").write_text(SCRIPT)
    kept = folder / "kept"
    with Verifier(dataset_files, cpus=CPUS) as verifier:
        verified = run_submission(folder / "sub.py", datasets=dataset_store, limits=Limits(timeout_s=300, cpus=CPUS),
                                  cpus=CPUS, verifier=verifier, speculate=True, keep_files=kept)
        return verified, list(verifier.reused), kept


def test_a_fit_is_counted_as_it_trains_and_its_model_verified_while_the_run_goes_on(speculated) -> None:
    from grader.evidence.model import RunStatus

    verified, reused, _ = speculated
    assert verified.evidence.run.status is RunStatus.COMPLETED, verified.evidence.run.message
    [model] = verified.evidence.models
    assert model.evaluations, "the evaluate() after the early request is part of the evidence"
    # While the run went on: the fit's rows as it began, then its saved model; then the grade's own request.
    assert len(reused) == 3, reused
    assert reused[:2] == [(), ("overlap",)], reused
    assert {"model", "test", "validation", "overlap"} <= set(reused[2]), reused


def test_an_early_request_changes_no_figure(speculated, dataset_files) -> None:
    from grader.verify import Verifier, verify_evidence

    verified, _, kept = speculated
    with Verifier(dataset_files, cpus=CPUS) as fresh:
        again = verify_evidence(verified.evidence, kept, fresh)
        assert fresh.reused == [()]

    def plain(v: Any) -> dict[str, Any]:
        return v.model_dump(exclude={"seconds"})

    assert [v.status.value for v in verified.verifications] == ["verified"]
    assert [plain(v) for v in again.verifications] == [plain(v) for v in verified.verifications]


def test_no_early_request_without_a_verifier_started_for_the_run(tmp_path: Path, dataset_store, dataset_files) -> None:
    """A verifier shared across a class (grade_folder's) is not sent speculative requests by default."""
    from grader.api import run_submission
    from grader.evidence.model import Limits
    from grader.verify import Verifier

    (tmp_path / "sub.py").write_text(SCRIPT.replace("time.sleep(6)", "time.sleep(1)"))
    with Verifier(dataset_files, cpus=CPUS) as verifier:
        run_submission(tmp_path / "sub.py", datasets=dataset_store, limits=Limits(timeout_s=300, cpus=CPUS),
                       cpus=CPUS, verifier=verifier)
        assert verifier.reused == [()]
