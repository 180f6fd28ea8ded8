"""Time limits in a real sandbox: a cell may use what remains of the run's time unless a rubric or an
option sets a per-cell limit, and the run's own limit stops a cell cleanly, with the model it was
training saved, verified and marked as cut."""

from __future__ import annotations

import textwrap

import pytest

from grader.evidence.model import LimitSource, Limits, RunStatus

pytestmark = pytest.mark.tf

LONG_CELL = [
    "print('before the long cell')",
    "import time\ntime.sleep(12)\nprint('long cell done')",
    "print('after the long cell')",
]

TRAINING = [
    "import time\nimport numpy as np\nimport keras",
    """
    x = np.random.default_rng(0).random((256, 8)).astype('float32')
    y = (x.sum(axis=1) > 4).astype('int32')
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, activation='relu'),
                              keras.layers.Dense(2, activation='softmax')])
    model.compile('sgd', 'sparse_categorical_crossentropy', metrics=['accuracy'])
    slow = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: time.sleep(1.0))
    model.fit(x, y, epochs=200, validation_split=0.25, verbose=0, callbacks=[slow])
    """,
    "print('after training')",
]


def test_no_per_cell_limit_cuts_what_the_run_allows(submission, grade) -> None:
    # Before per-cell limits fitted the run, every notebook cell had one (900 s by default) whatever the
    # run allowed; now, with none set, a cell longer than a small per-cell limit runs to its end.
    limits = Limits(timeout_s=90)
    assert limits.cell_timeout_s is None
    run = grade(submission("long.ipynb", LONG_CELL), limits=limits).evidence.run
    assert run.status is RunStatus.COMPLETED, run.message
    assert run.cell_errors == [] and run.cells_run == 3 and run.time_limit is None
    # ... while a per-cell limit set as an option still cuts it, and the message says which limit it was.
    run = grade(submission("long.ipynb", LONG_CELL), limits=Limits(timeout_s=90, cell_timeout_s=3)).evidence.run
    assert run.status is RunStatus.TIMEOUT
    assert run.message == "cell 1 was interrupted by the per-cell time limit of 3 s (set by the --cell-timeout option)"
    assert run.time_limit is not None and run.time_limit.source is LimitSource.OPTION
    assert run.cells_run == 3  # the cells after a per-cell cut still run


def test_the_run_limit_cuts_training_cleanly_and_says_how_far_it_got(submission, grade) -> None:
    # 200 epochs of at least a second each cannot fit in 45 s: the driver stops the cell a few seconds
    # before the host would kill the run, so the model in training is saved, verified and marked cut.
    progress: list[dict] = []
    verified = grade(submission("slow.ipynb", TRAINING), limits=Limits(timeout_s=45), progress=progress.append)
    run, ev = verified.evidence.run, verified.evidence
    # Two epochs in, the progress display hears that the fit will not finish in the time left.
    (estimate,) = [e for e in progress if e.get("event") == "fit_estimate"]
    assert (estimate["model"], estimate["epoch"], estimate["epochs"], estimate["limit"]) == ("m1", 2, 200, "run")
    assert estimate["will_finish"] is False and estimate["needed_s"] > estimate["left_s"] > 0
    assert run.status is RunStatus.TIMEOUT
    hit = run.time_limit
    assert hit is not None and (hit.limit, hit.cell_index, hit.killed) == ("run", 1, False)
    assert hit.model_id == "m1" and hit.epochs_requested == 200 and 0 < hit.epochs_done < 200
    assert run.message.startswith("cell 1 was interrupted by the run's time limit of 45 s (set by the --timeout "
                                  f"option), in epoch {hit.epochs_done + 1} of 200 of m1's training")
    assert "after training" not in ev.printed and run.cells_run == 2
    (model,) = ev.models
    (fit,) = model.fits
    assert fit.cut and not fit.finished and fit.epochs_run == hit.epochs_done
    assert fit.saved_model is not None
    (check,) = verified.verifications
    assert check.status.value == "verified", check.message


def test_a_script_is_cut_cleanly_too(submission, grade) -> None:
    source = "\n".join(textwrap.dedent(cell) for cell in TRAINING[:2]) + "\nprint('after training')\n"
    verified = grade(submission("slow.py", source), limits=Limits(timeout_s=45))
    run = verified.evidence.run
    assert run.status is RunStatus.TIMEOUT and run.time_limit is not None and not run.time_limit.killed
    assert run.message.startswith("the run was stopped by the run's time limit of 45 s (set by the --timeout "
                                  "option), in epoch ")
    (model,) = verified.evidence.models
    assert model.fits[0].cut and verified.verifications[0].status.value == "verified"
    assert "after training" not in verified.evidence.printed
