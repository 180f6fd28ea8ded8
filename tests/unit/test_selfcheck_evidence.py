"""The self-check's evidence and verdicts, without TensorFlow: the probe's events (as the kernel emits them)
fold into the same Evidence, real matplotlib figures are described by the probe's own code, and what only the
full grader decides is skipped with a typed reason. The kernel itself is tested in
tests/integration/test_selfcheck.py."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from evidence_factory import curves, nn_basics_models

from grader.checks.base import Outcome
from grader.evidence.model import ModelRecord
from grader.grading.grade import grade
from grader.kernelcheck import figures as kernel_figures
from grader.kernelcheck.check import defer
from grader.kernelcheck.display import NOT_A_GRADE, html, text
from grader.kernelcheck.evidence import kernel_evidence, unverified
from grader.kernelcheck.result import FullGraderOnly, SelfCheck
from grader.render.audience import Audience, for_audience
from grader.rubric import load_rubric, resolve_rubric


def _events(models: list[ModelRecord]) -> list[dict[str, Any]]:
    """The models as the kernel's events: a 'compile' snapshot, then one 'fit' per history (the probe's format)."""
    out = []
    for m in models:
        snap = m.model_dump(mode="json", exclude={"fits", "evaluations", "metrics"})
        out.append({"event": "compile", "model": {**snap, "metrics": list(m.metrics)}})
        out += [{"event": "fit", "model": snap, "fit": f.model_dump(mode="json")} for f in m.fits]
    return out


@pytest.fixture(scope="module")
def rubric():
    return load_rubric(resolve_rubric("nn-basics-keras"))


def _check(models: list[ModelRecord], rubric, *, figures: list[dict[str, Any]] = (), recorded: bool = True) -> SelfCheck:
    evidence = kernel_evidence(_events(models) + list(figures))
    result, deferred = defer(grade(unverified(evidence), rubric), rubric, figures_recorded=recorded)
    return SelfCheck(rubric=rubric.id, result=for_audience(result, Audience.STUDENT), deferred=deferred,
                     models=len(evidence.models), figures=len(evidence.figures), figures_recorded=recorded)


def test_events_fold_into_the_same_models_as_the_sandbox_run() -> None:
    models = nn_basics_models()
    evidence = kernel_evidence(_events(models))
    assert [m.model_dump(exclude={"evaluations"}) for m in evidence.models] == \
           [m.model_dump(exclude={"evaluations"}) for m in models]
    assert evidence.submission.path == "<your kernel>" and "not run by the grader" in evidence.run.message
    assert unverified(evidence).verifications == []


def test_a_malformed_event_is_a_warning_not_a_crash() -> None:
    evidence = kernel_evidence([{"event": "fit", "model": {"id": "m1"}, "fit": {"index": "x"}},
                                {"event": "figure", "figure": {"axes": "no"}}, {"event": "unknown"}])
    assert evidence.models == [] and evidence.figures == [] and len(evidence.warnings) == 3


def test_the_reference_passes_what_the_kernel_shows_and_defers_the_rest(rubric) -> None:
    models = nn_basics_models()
    figs = [{"event": "figure", "figure": curves(m, i).model_dump(mode="json")} for i, m in enumerate(models)]
    check = _check(models, rubric, figures=figs)
    by_id = {c.id: c for c in check.result.criteria}
    deferred = {d.criterion_id: d.reason for d in check.deferred}
    assert deferred["three.best.validation"] is FullGraderOnly.VERIFIED_METRIC
    assert deferred["three.best.test"] is FullGraderOnly.VERIFIED_METRIC
    assert deferred["one.big.q.params"] is FullGraderOnly.NOTEBOOK_TEXT
    for cid in deferred:
        assert by_id[cid].outcome == Outcome.SKIPPED and by_id[cid].points == 0
    decided = [c for c in check.result.criteria if c.id not in deferred]
    assert decided and all(c.outcome == Outcome.PASSED for c in decided), [c.id for c in decided if c.outcome != "passed"]
    # Totals cover only what was decided here; the deferred points are counted apart.
    assert check.result.max_score == sum(c.max_points for c in decided)
    assert check.result.skipped_points == sum(by_id[cid].max_points for cid in deferred)
    assert check.result.percent == 100.0 and check.result.status.value == "passed"


def test_a_student_choice_fails_here_as_it_would_in_the_grader(rubric) -> None:
    models = [m.model_copy(update={"optimizer": m.optimizer.model_copy(update={"class_name": "Adam"})})
              for m in nn_basics_models()]
    check = _check(models, rubric)
    sgd = next(c for c in check.result.criteria if c.id == "general.sgd")
    assert sgd.outcome == Outcome.FAILED and sgd.feedback


def test_curves_jupyter_closed_are_deferred_without_the_recorder_and_failed_with_it(rubric) -> None:
    models = nn_basics_models()
    unseen = _check(models, rubric, recorded=False)
    assert unseen.deferred_for("general.curves").reason is FullGraderOnly.FIGURES_CLOSED
    recorded = _check(models, rubric, recorded=True)
    assert recorded.deferred_for("general.curves") is None
    assert next(c for c in recorded.result.criteria if c.id == "general.curves").outcome == Outcome.FAILED


def test_display_says_it_is_not_a_grade_and_escapes_what_the_student_named(rubric) -> None:
    models = nn_basics_models()
    models[0] = models[0].model_copy(update={"name": "<script>alert(1)</script>"})
    check = _check(models, rubric, recorded=False)
    shown = html(check)
    assert NOT_A_GRADE.split(":")[0] in shown and "<script>" not in shown
    assert 'data-criterion="three.best.test"' in shown and "Decided only by the full grader" in shown
    plain = text(check)
    assert plain.splitlines()[1] == NOT_A_GRADE and "SELF-CHECK" in plain


def test_real_figures_are_described_by_the_probe_and_recorded_before_closing() -> None:
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    kernel_figures.install_recorder()
    fig, ax = plt.subplots()
    ax.plot([0.5, 0.7, 0.8], label="accuracy")
    ax.plot([0.4, 0.6, 0.7], label="val_accuracy")
    ax.legend()
    plt.close(fig)  # what Jupyter's inline backend does at the end of the cell
    assert kernel_figures.recording()
    events = kernel_figures.figure_events()
    lines = [line for ev in events for a in ev["figure"]["axes"] for line in a["lines"]]
    assert {"accuracy", "val_accuracy"} <= {line["label"] for line in lines}
    assert [0.5, 0.7, 0.8] in [line["y"] for line in lines]
    evidence = kernel_evidence(events)
    assert len(evidence.figures) == len(events) >= 1


def test_importing_grader_stays_cheap() -> None:
    code = ("import sys, grader; assert callable(grader.selfcheck) and callable(grader.load_ipython_extension); "
            "print(sorted(m for m in ('tensorflow', 'keras', 'pydantic', 'grader.kernelcheck') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_metric_left_to_the_grader_still_shows_the_kernels_own_figure(rubric) -> None:
    check = _check(nn_basics_models(), rubric)
    shown = check.deferred_for("three.best.validation").kernel_shows
    assert "validation accuracy 0.9510" in shown and "only reported" not in shown
    assert "your kernel's own history: m6 'best': validation accuracy 0.9510" in html(check).replace("&#x27;", "'")


def test_inside_the_graders_own_run_the_selfcheck_stands_aside(monkeypatch, capsys) -> None:
    from grader.kernelcheck.check import selfcheck

    monkeypatch.setenv("GRADER_OUT", "/nonexistent")
    selfcheck("no-such-rubric", namespace={})  # returns before it even loads the rubric
    assert capsys.readouterr().out.startswith("[grader] ")  # filtered from the student's printed output
