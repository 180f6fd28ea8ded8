"""The real-world corpus (tests/corpus/realworld/): notebooks that carry the machine they were written
on run here as they ran there, each adaptation noted at its cell and line, and grade what their code
deserves; with ``adapt="none"`` the GPU notebook breaks in its first cell as it did before.

Each notebook runs once per mode (cached for the module) through the session's verifier, on the
small synthetic MNIST, two epochs of a small dense network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grader.evidence.model import Limits, NoteTopic, RunStatus
from grader.verify.verified import VerificationStatus, VerifiedEvidence

pytestmark = pytest.mark.tf

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "realworld"
RUBRIC = CORPUS / "realworld-corpus.yaml"
Note = tuple[str, int, int, str]  # (kind, cell index, line, a phrase of the detail)


@dataclass(frozen=True)
class Case:
    adapted: list[Note]  # the adaptation notes, in order
    trainable: int  # the graded model's trainable parameters: what the notebook's stored summary says
    lost: set[str] = field(default_factory=set)  # rubric criteria the notebook deserves to fail
    printed: str = ""  # something the run printed that only the adapted code reaches
    models: int = 1  # models recorded: the trained one first (a reloaded one is recorded too)


GPU_NOTES = [("skipped", 1, 1, "`nvidia-smi` had no effect"),
             ("skipped", 2, 3, "line 3 had no effect (tf.config.experimental.set_memory_growth"),
             ("ran", 5, 1, "tf.device('/GPU:0') placed its operations on the CPU")]
CASES = {
    "gpu_first_cell.ipynb": Case(adapted=GPU_NOTES, trainable=101770),
    "gpu_first_cell_twin.ipynb": Case(adapted=[], trainable=101770),
    "visualkeras_view.ipynb": Case(
        adapted=[("skipped", 0, 1, "pip install of visualkeras skipped"), ("provided", 3, 1, "import visualkeras"),
                 ("skipped", 3, 2, "visualkeras.layered_view drew nothing")], trainable=101770),
    "plot_model.ipynb": Case(adapted=[("skipped", 2, 2, "plot_model drew nothing: pydot and graphviz")],
                             trainable=101770),
    "image_data_generator.ipynb": Case(
        adapted=[("provided", 1, 1, "keras.preprocessing.image.ImageDataGenerator is not in this Keras")],
        trainable=101770),
    "input_layer_models.ipynb": Case(adapted=[("provided", 0, 1, "keras.models.InputLayer is not in this Keras")],
                                     trainable=101770, printed="Test accuracy:"),
    # PReLU's 128 trainable slopes are counted, as Keras 2 counted them (the stored summary: 101898).
    "prelu_activation.ipynb": Case(adapted=[("provided", 1, 3, "activation='PReLU' built the layer")],
                                   trainable=101898),
    "save_without_extension.ipynb": Case(
        adapted=[("provided", 3, 1, "was saved as 'mnist_model.keras'"),
                 ("provided", 4, 1, "load_model('mnist_model') read 'mnist_model.keras'")],
        trainable=101770, printed="Restored model, accuracy:", models=2),
}
_runs: dict[tuple[str, str | None], VerifiedEvidence] = {}


@pytest.fixture(scope="module")
def run(grade) -> Callable[..., VerifiedEvidence]:
    """run(name, adapt=None): the corpus notebook's verified evidence, run once per mode for the module."""

    def get(name: str, adapt: str | None = None) -> VerifiedEvidence:
        if (name, adapt) not in _runs:
            _runs[(name, adapt)] = grade(CORPUS / name, limits=Limits(timeout_s=300, cell_timeout_s=180), adapt=adapt)
        return _runs[(name, adapt)]

    return get


def _graded(verified: VerifiedEvidence):
    from grader.grading.grade import grade
    from grader.rubric.loader import load_rubric

    return grade(verified, load_rubric(RUBRIC))


def _adapted(verified: VerifiedEvidence) -> list[tuple[str, int | None, int | None, str]]:
    return [(n.kind, n.cell_index, n.line, n.detail) for n in verified.evidence.run_notes
            if n.topic is NoteTopic.ADAPTATION]


def test_the_corpus_is_what_the_cases_name() -> None:
    # data_* and weights_* files are tests/integration/test_data_elsewhere.py's.
    assert sorted(p.name for p in CORPUS.glob("*.ipynb") if not p.name.startswith(("data_", "weights_"))) == sorted(CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_each_notebook_runs_adapted_and_gets_the_grade_it_deserves(run, name: str) -> None:
    from grader.checks.base import Outcome

    case = CASES[name]
    verified = run(name)
    ev = verified.evidence
    assert ev.run.status is RunStatus.COMPLETED, (ev.run.message, [(e.cell_index, e.ename, e.evalue) for e in ev.run.cell_errors])
    notes = _adapted(verified)
    assert [(k, c, line) for k, c, line, _ in notes] == [(k, c, line) for k, c, line, _ in case.adapted], notes
    for (_, _, _, detail), (_, _, _, phrase) in zip(notes, case.adapted):
        assert phrase in detail, (phrase, detail)
    assert not any(n.caused_error for n in ev.run_notes)
    assert len(ev.models) == case.models
    model = ev.models[0]
    assert model.params is not None and model.params.trainable == case.trainable
    assert [f.epochs_run for f in model.fits] == [2] and all(f.finished for f in model.fits)
    check = verified.verification(model.id)
    assert check is not None and check.status is VerificationStatus.VERIFIED
    if case.printed:
        assert case.printed in ev.printed
    result = _graded(verified)
    lost = {c.id for c in result.criteria if c.outcome is not Outcome.PASSED}
    assert lost == case.lost, [(c.id, c.message) for c in result.criteria if c.id in lost]


def test_the_gpu_notebook_grades_the_same_as_its_twin_without_the_gpu_lines(run) -> None:
    gpu, twin = _graded(run("gpu_first_cell.ipynb")), _graded(run("gpu_first_cell_twin.ipynb"))
    assert [(c.id, c.outcome, c.points) for c in gpu.criteria] == [(c.id, c.outcome, c.points) for c in twin.criteria]
    assert (gpu.score, gpu.status) == (twin.score, twin.status) and gpu.score == gpu.max_score
    # The twin needed nothing adapted; the GPU notebook's feedback names no criterion to change.
    assert _adapted(run("gpu_first_cell_twin.ipynb")) == []
    assert not [c.feedback for c in gpu.criteria if c.feedback and c.outcome.value != "passed"]


def test_adapt_none_runs_the_gpu_notebook_as_written_and_it_breaks_in_its_first_cell(run) -> None:
    verified = run("gpu_first_cell.ipynb", "none")
    ev = verified.evidence
    assert ev.run.status is RunStatus.COMPLETED_WITH_ERRORS
    first, *later = ev.run.cell_errors
    assert (first.cell_index, first.ename) == (2, "IndexError")
    assert later and {e.ename for e in later} == {"NameError"}  # the data never loaded
    assert _adapted(verified) == [] and [m.fits for m in ev.models] == [[]]  # compiled, never trained
    # nvidia-smi ran as written, and failed as it does on a machine without a GPU.
    assert any(n.topic is NoteTopic.SHELL and n.kind == "failed" and "nvidia-smi" in n.detail for n in ev.run_notes)
    assert _graded(verified).score < _graded(run("gpu_first_cell_twin.ipynb")).score
