"""A resubmission that only edits its answers re-grades from the stored run: no sandbox run, answers re-read.

And the single-submission path (``grader check``) with its verifier started while the submission runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.tf

CODE = [
    "import keras\nfrom keras import layers\nkeras.utils.set_random_seed(0)\n"
    "(x, y), (xt, yt) = keras.datasets.mnist.load_data()\nx, y = x[:300] / 255.0, y[:300]",
    "model = keras.Sequential([keras.Input((28, 28)), layers.Flatten(), layers.Dense(8, activation='sigmoid'),\n"
    "                          layers.Dense(10, activation='softmax')])\n"
    "model.compile(optimizer='sgd', loss='sparse_categorical_crossentropy', metrics=['accuracy'])\n"
    "model.fit(x, y, epochs=1, batch_size=64, validation_split=0.1, verbose=0)\nprint('trained')",
]
PARAMS = 28 * 28 * 8 + 8 + 8 * 10 + 10  # 6,370
RUBRIC = """
id: answer-edit
title: Answer edit
version: "1"
slots:
  - id: net
    title: The network
    match: {hidden_layers: "==1"}
questions:
  - {id: q.params, slot: net, answer: trainable_params, near: [param], points: 2}
"""


def notebook(answer: str) -> str:
    cells: list[dict[str, Any]] = [{"cell_type": "code", "source": src, "metadata": {}, "execution_count": None,
                                    "outputs": []} for src in CODE]
    cells.append({"cell_type": "markdown", "source": answer, "metadata": {}})
    return json.dumps({"cells": cells, "metadata": {"kernelspec": {"name": "python3", "language": "python",
                                                                    "display_name": "Python 3"}},
                       "nbformat": 4, "nbformat_minor": 4})


def test_an_answer_edit_regrades_without_running(tmp_path: Path, dataset_store) -> None:
    from grader.checks.base import Outcome
    from grader.pipeline.classgrade import grade_folder
    from grader.pipeline.store import ResultsStore
    from grader.rubric.loader import parse_rubric

    folder = tmp_path / "class"
    folder.mkdir()
    path = folder / "ann.ipynb"
    path.write_text(notebook("The network has 12 parameters."))
    store = tmp_path / "results.sqlite"

    def grade() -> Any:
        graded = grade_folder(folder, rubric=parse_rubric(RUBRIC), store=store, datasets=dataset_store,
                              out=tmp_path / "out", formats=("json",), gpus=[], cores=2, similarity=False)
        [one] = graded.results
        return one

    first = grade()
    assert first.how == "ran" and first.result.run.status.value == "completed", first.result.run.message
    assert first.result.criterion("q.params").outcome == Outcome.FAILED
    path.write_text(notebook(f"The network has {PARAMS:,} trainable parameters."))  # wrong -> right, markdown only
    second = grade()
    assert second.how == "regraded"  # found in the store: nothing ran
    assert second.result.criterion("q.params").outcome == Outcome.PASSED
    assert second.result.run.duration_s == first.result.run.duration_s  # the same run's record
    with ResultsStore(store) as db:
        assert db.run_count() == 1


def test_check_with_the_verifier_started_during_the_run(tmp_path: Path, dataset_store, monkeypatch) -> None:
    import time

    import grader.api as api
    from grader.checks.base import Outcome
    from grader.rubric.loader import parse_rubric
    from grader.verify.verified import VerificationStatus

    seen: dict[str, list[float]] = {"spawned": [], "run_ended": []}
    spawn, run = api.Verifier._spawn, api.run_sandboxed

    def timed_spawn(self: Any, *args: Any, **kwargs: Any) -> None:
        seen["spawned"].append(time.monotonic())
        spawn(self, *args, **kwargs)

    def timed_run(request: Any) -> Any:
        try:
            return run(request)
        finally:
            seen["run_ended"].append(time.monotonic())

    monkeypatch.setattr(api.Verifier, "_spawn", timed_spawn)
    monkeypatch.setattr(api, "run_sandboxed", timed_run)
    path = tmp_path / "ann.ipynb"
    path.write_text(notebook(f"The network has {PARAMS} parameters."))
    result = api.check(path, rubric=parse_rubric(RUBRIC), datasets=dataset_store)
    # One worker, started before the submission's run ended, served the verification (none started after).
    assert len(seen["spawned"]) == 1 and seen["run_ended"] and seen["spawned"][0] < seen["run_ended"][0]
    assert result.run.status.value == "completed", result.run.message
    [verification] = result.evidence.verifications
    assert verification.status == VerificationStatus.VERIFIED, verification.message
    assert result.evidence.verifier_versions.get("keras")
    assert result.criterion("q.params").outcome == Outcome.PASSED
