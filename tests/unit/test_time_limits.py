"""Time limits that fit the exercise: no per-cell limit cuts what the run's own limit allows, and a
timeout names the limit that fired, its value, its source and how far training had got."""

from __future__ import annotations

import sys
from pathlib import Path

import evidence_factory as f

from grader.evidence.model import LimitSource, Limits, TimeLimitHit
from grader.evidence.timelimits import fold_time_limits, mark_cut, timeout_message
from grader.rubric.model import RunLimits

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "grader" / "runtime"))
from grader_probe.driver import cell_budget, reserve  # noqa: E402  (runs inside the sandbox: not a grader module)


def test_without_a_per_cell_limit_a_cell_may_use_the_rest_of_the_run() -> None:
    assert cell_budget(None, 5000.0) == (5000.0, "run")
    # A per-cell limit the rubric or an option set is kept, unless the run has less left than it.
    assert cell_budget(900.0, 5000.0) == (900.0, "cell")
    assert cell_budget(900.0, 120.0) == (120.0, "run")
    assert cell_budget(None, -3.0) == (0.0, "run")
    assert cell_budget(30.0, None) == (30.0, "cell")


def test_the_driver_stops_a_cell_before_the_host_kills_the_run() -> None:
    # Time to save the model in training and write the outputs, a small share of any run.
    assert reserve(5400) == 60.0 and reserve(300) == 30.0 and reserve(45) == 10.0
    assert reserve(4) == 1.0  # a short run keeps most of its time


def test_limits_know_where_their_values_came_from() -> None:
    assert Limits().cell_timeout_s is None and Limits().timeout_source is LimitSource.DEFAULT
    given = Limits(timeout_s=120, cell_timeout_s=10)
    assert (given.timeout_source, given.cell_timeout_source) == (LimitSource.OPTION, LimitSource.OPTION)
    rubric = RunLimits(timeout_s=5400).to_limits(Limits(cpus=2))
    assert (rubric.timeout_s, rubric.timeout_source, rubric.cell_timeout_s) == (5400, LimitSource.RUBRIC, None)
    assert rubric.cpus == 2
    assert Limits.model_validate_json(rubric.model_dump_json()) == rubric  # stored results read back alike
    assert rubric.describe("run") == "the run's time limit of 5,400 s (set by the rubric)"
    assert given.describe("cell") == "the per-cell time limit of 10 s (set by the --cell-timeout option)"


def test_more_time_than() -> None:
    old = Limits(timeout_s=600, cell_timeout_s=300)
    assert Limits(timeout_s=600).more_time_than(old)  # no per-cell limit any more
    assert not Limits(timeout_s=600, cell_timeout_s=300).more_time_than(old)
    assert not Limits(timeout_s=600).more_time_than(Limits(timeout_s=600))


def _fit_events(model: str, index: int, epochs: int, done: int, *, ended: str | None) -> list[dict]:
    evs = [{"event": "fit_start", "model": model, "fit": index, "epochs": epochs}]
    evs += [{"event": "epoch", "model": model, "fit": index, "epoch": e + 1, "epochs": epochs} for e in range(done)]
    if ended is not None:
        evs.append({"event": "fit", "model": {"id": model}, "fit": {"index": index, "finished": ended == "ok",
                                                                    "error": None if ended == "ok" else ended}})
    return evs


def test_a_cell_cut_by_the_run_limit_says_which_limit_and_which_epoch() -> None:
    limits = RunLimits(timeout_s=5400).to_limits()
    events = ([{"event": "cell_start", "index": 3}] + _fit_events("m1", 0, 10, 10, ended="ok")
              + [{"event": "cell_start", "index": 10}] + _fit_events("m2", 1, 60, 22, ended="KeyboardInterrupt: ")
              + [{"event": "time_limit", "limit": "run", "seconds": 5400, "cell_index": 10, "started": True}])
    (hit,) = fold_time_limits(events, limits, host_timed_out=False)
    assert (hit.limit, hit.seconds, hit.source, hit.cell_index) == ("run", 5400, LimitSource.RUBRIC, 10)
    assert (hit.model_id, hit.fit_index, hit.epochs_done, hit.epochs_requested) == ("m2", 1, 22, 60)
    assert timeout_message(hit, limits) == (
        "cell 10 was interrupted by the run's time limit of 5,400 s (set by the rubric), in epoch 23 of 60 of m2's "
        "training; the cells after it did not run")


def test_a_per_cell_limit_from_an_option_is_named_as_such() -> None:
    limits = Limits(timeout_s=120, cell_timeout_s=3)
    events = [{"event": "cell_start", "index": 1}, {"event": "time_limit", "limit": "cell", "cell_index": 1}]
    (hit,) = fold_time_limits(events, limits, host_timed_out=False)
    assert hit.model_id is None
    assert timeout_message(hit, limits) == "cell 1 was interrupted by the per-cell time limit of 3 s (set by the " \
                                           "--cell-timeout option)"


def test_the_host_kill_names_the_run_limit_and_the_fit_in_progress() -> None:
    events = [{"event": "cell_start", "index": 4}] + _fit_events("m1", 0, 40, 7, ended=None)
    (hit,) = fold_time_limits(events, Limits(), host_timed_out=True)
    assert hit.killed and hit.source is LimitSource.DEFAULT
    assert timeout_message(hit, Limits()) == ("the run was stopped by the run's time limit of 1,800 s (the grader's "
                                              "default) in cell 4, in epoch 8 of 40 of m1's training")


def test_a_fit_that_ended_before_the_limit_is_not_in_progress() -> None:
    events = ([{"event": "cell_start", "index": 2}] + _fit_events("m1", 0, 5, 2, ended="ValueError: bad shape")
              + [{"event": "time_limit", "limit": "run", "cell_index": 2}])
    (hit,) = fold_time_limits(events, Limits(timeout_s=60), host_timed_out=False)
    assert hit.model_id is None and hit.progress() == ""


def test_the_run_spent_between_cells() -> None:
    events = [{"event": "time_limit", "limit": "run", "cell_index": 7, "started": False}]
    (hit,) = fold_time_limits(events, Limits(timeout_s=60), host_timed_out=False)
    assert timeout_message(hit, Limits(timeout_s=60)) == (
        "the run's time limit of 60 s (set by the --timeout option) was spent before cell 7, which did not run, "
        "nor any after it")


def test_only_the_fit_in_progress_is_marked_cut() -> None:
    done = f.dense_model("m1", [40])
    cut = f.dense_model("m2", [40], trained=False)
    hit = TimeLimitHit(limit="run", seconds=60, source=LimitSource.RUBRIC, model_id="m2", fit_index=0,
                       epochs_done=3, epochs_requested=10)
    first, second = mark_cut([done, cut], [hit])
    assert first is done and not first.fits[0].cut
    assert second.fits[0].cut and not second.fits[0].finished
    assert mark_cut([done, cut], []) == [done, cut]


def test_a_metric_of_a_cut_training_says_it_is_not_the_finished_one() -> None:
    from grader.grading.grade import grade
    from grader.rubric.loader import load_rubric
    from grader.verify.verified import VerificationStatus

    rubric = load_rubric(Path(__file__).resolve().parents[2] / "rubrics" / "nn-basics-keras.yaml")
    models = f.nn_basics_models()
    best = models[5]
    cut = best.fits[0].model_copy(update={"finished": False, "cut": True, "epochs_requested": 60, "epochs_run": 40})
    models[5] = best.model_copy(update={"fits": [cut]})
    result = grade(f.verify(f.evidence(models), status={"m6": VerificationStatus.VERIFIED}), rubric)
    val = next(c for c in result.criteria if c.id == "three.best.validation")
    assert val.figure_status is not None and val.figure_status.value == "verified"  # still verified and shown
    assert "measured after 40 of 60 epochs, where a time limit cut the training" in val.message
    uncut = next(c for c in grade(f.nn_basics_evidence(), rubric).criteria if c.id == "three.best.validation")
    assert "time limit" not in uncut.message


def test_the_progress_line_warns_early_that_a_fit_will_be_cut() -> None:
    import io

    from grader.render.progress import ProgressLine

    out = io.StringIO()
    line = ProgressLine(out, tty=False)
    event = {"event": "fit_estimate", "model": "m1", "fit": 0, "epoch": 2, "epochs": 60, "seconds_per_epoch": 95.0,
             "needed_s": 5510.0, "left_s": 5210.0, "will_finish": False, "limit": "run", "limit_s": 5400}
    line(event)
    line({**event, "will_finish": True})  # a fit that will finish needs no word
    assert out.getvalue().count("\n") == 1
    assert out.getvalue().endswith("m1: at 95.0 s per epoch, the 58 epochs left of 60 need about 5510 s, but the "
                                   "run time limit leaves 5210 s: the training will be cut\n")
