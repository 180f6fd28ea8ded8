"""The real-world corpus end to end: what test_adaptation.py and test_data_elsewhere.py do not grade.

- ``keras_output_only/keras_output_only.ipynb``: a notebook whose only numbers are Keras's own output (a
  Keras 3 summary, fit log and evaluate bar; markdown without a number). Its model earns its points; its
  questions must not pass, though the stored summary names the very parameter count asked for.
- ``data_kaggle_mnist_csv.ipynb`` with adaptation off: the Drive CSV it reads is not here, so the re-run
  trains nothing. Its stored figures are graded as *reported*, at the rubric's reported_credit, and the
  result is flagged for review (a reported-only figure, a failure the environment explains); never a
  silent 0.

Small synthetic MNIST (the session's store), the notebooks' own tiny models, two epochs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.checks.base import Outcome
from grader.checks.noise import ReviewReason
from grader.evidence.model import Limits, RunStatus
from grader.grading.grade import grade as grade_result
from grader.rubric.loader import load_rubric, parse_rubric
from grader.verify.verified import FigureStatus

pytestmark = pytest.mark.tf

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "realworld"
LIMITS = Limits(timeout_s=300, cell_timeout_s=180)
QUESTIONS = ("net.q.params", "net.q.val_acc", "net.q.test_acc")


def test_a_notebook_whose_only_numbers_are_keras_output_answers_no_question(grade) -> None:
    folder = CORPUS / "keras_output_only"
    verified = grade(folder / "keras_output_only.ipynb", limits=LIMITS)
    ev = verified.evidence
    assert ev.run.status is RunStatus.COMPLETED, (ev.run.message, [(e.ename, e.evalue) for e in ev.run.cell_errors])
    (model,) = ev.models
    stored = ev.notebook.stored if ev.notebook is not None else None
    assert stored is not None and [s.total_params for s in stored.summaries] == [12730]
    assert model.params is not None and model.params.trainable == 12730  # the stored table names the true answer
    result = grade_result(verified, load_rubric(folder / "keras-output-questions.yaml"))
    got = {c.id: (c.outcome, c.points) for c in result.criteria}
    for qid in QUESTIONS:  # Keras's own output is not the student's answer
        assert got[qid] == (Outcome.FAILED, 0.0), (qid, result.criterion(qid).message)
    for cid in ("loss", "epochs", "net", "net.trained"):
        assert got[cid][0] is Outcome.PASSED, (cid, result.criterion(cid).message)
    assert result.criterion("net.test").figure_status is FigureStatus.VERIFIED


def test_a_notebook_whose_data_is_not_here_earns_reported_credit_and_asks_for_review(grade) -> None:
    verified = grade(CORPUS / "data_kaggle_mnist_csv.ipynb", limits=LIMITS, adapt="none")
    ev = verified.evidence
    assert [(e.cell_index, e.ename) for e in ev.run.cell_errors][:1] == [(2, "FileNotFoundError")]
    rubric_text = (CORPUS / "realworld-corpus.yaml").read_text()
    half = parse_rubric(rubric_text + "\nreported_credit: 0.5\n", file="half.yaml", rubric_dir=CORPUS)
    result = grade_result(verified, half)
    test = result.criterion("net.test")
    assert test.figure_status is FigureStatus.REPORTED and test.review_reasons == (ReviewReason.REPORTED_ONLY,)
    assert test.points == pytest.approx(2.0), test.message  # half of 4: the notebook's stored figure clears 70%
    reasons = {(f.reason, f.criterion_id) for f in result.review}
    assert {(ReviewReason.REPORTED_ONLY, "net.test"), (ReviewReason.ENVIRONMENT, None)} <= reasons, result.review
    # The same run under the corpus rubric (reported_credit 0) earns nothing for it, and still says why.
    strict = grade_result(verified, load_rubric(CORPUS / "realworld-corpus.yaml")).criterion("net.test")
    assert strict.points == 0 and strict.review_reasons == (ReviewReason.REPORTED_ONLY,)
