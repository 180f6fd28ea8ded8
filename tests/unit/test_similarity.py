"""Similarity across a generated class (tests/unit/similarity_class.py): who copied whom is known, so
every pair's verdict is checked, both ways: the copies are flagged and nobody else is."""

from __future__ import annotations

from pathlib import Path

import evidence_factory as f
import pytest
from similarity_class import ALICE, notebook, write_class

from grader.evidence.model import DataFingerprint
from grader.evidence.reported import ReportedCell, ReportedEpoch, ReportedFit, ReportedRun
from grader.evidence.stored_outputs import parse_text
from grader.similarity import Signal, SimilarityReport, compare_class, load, template_code
from grader.similarity import fingerprints, outputs
from grader.similarity.sources import Source, file_code, notebook_code

COPIES = {("alice", "bob"), ("alice", "carol"), ("bob", "carol")}


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_class(tmp_path_factory.mktemp("similarity") / "class")


@pytest.fixture(scope="module")
def sources(klass: dict[str, Path]) -> list[Source]:
    return load(klass["alice"].parent)


@pytest.fixture(scope="module")
def with_template(sources: list[Source], klass: dict[str, Path]) -> SimilarityReport:
    return compare_class(sources, template=template_code(klass["starter"]), template_name="starter.ipynb")


@pytest.fixture(scope="module")
def without_template(sources: list[Source]) -> SimilarityReport:
    return compare_class(sources)


def pair(report: SimilarityReport, a: str, b: str):
    return next(p for p in report.pairs if {p.a, p.b} == {a, b})


def flagged(report: SimilarityReport) -> set[tuple[str, str]]:
    return {tuple(sorted((p.a, p.b))) for p in report.flagged}  # type: ignore[misc]


def test_every_student_is_read_with_code_and_stored_outputs(sources: list[Source]) -> None:
    assert [s.name for s in sources] == ["alice", "bob", "carol", "dave", "erin", "frank", "gina"]
    alice = sources[0]
    assert "def build_network(hidden_units, dropout_rate):" in alice.code
    assert alice.stored is not None and [len(f.epochs) for c in alice.stored.cells for f in c.fits] == [5]


def test_a_copy_with_renamed_variables_and_reordered_cells_is_flagged_on_code(with_template: SimilarityReport) -> None:
    p = pair(with_template, "alice", "bob")
    assert p.code is not None and p.code.similarity >= 0.9
    assert Signal.CODE in p.signals
    assert Signal.OUTPUTS not in p.signals  # bob trained it again: his log is his own


def test_matching_spans_cover_the_renamed_code_on_both_sides(with_template: SimilarityReport,
                                                            sources: list[Source]) -> None:
    p = pair(with_template, "alice", "bob")
    assert p.code is not None
    shared_a = "".join(s.text for s in p.code.a if s.shared)
    shared_b = "".join(s.text for s in p.code.b if s.shared)
    assert "build_network" in shared_a or "build_network" in shared_b  # alice's name for it...
    assert "make_model" in shared_a + shared_b  # ...and bob's, marked as the same code
    # the segments are the code itself, cut into runs: nothing lost, nothing added
    code = {s.name: s.code for s in sources}
    assert "".join(s.text for s in p.code.a) == code[p.a]
    assert "".join(s.text for s in p.code.b) == code[p.b]


def test_a_copy_with_its_outputs_kept_is_flagged_on_identical_outputs(with_template: SimilarityReport,
                                                                      sources: list[Source]) -> None:
    p = pair(with_template, "alice", "carol")
    assert Signal.OUTPUTS in p.signals and Signal.CODE in p.signals
    assert p.outputs is not None and [e.epoch for e in p.outputs.epochs] == [1, 2, 3, 4, 5]
    alice_log = sources[0].stored.cells[0].fits[0]  # type: ignore[union-attr]
    assert [e.metrics for e in p.outputs.epochs] == [e.metrics for e in alice_log.epochs]
    assert p.outputs.cell_a == p.outputs.cell_b == 4  # the markdown title is cell 0


def test_starter_followers_are_not_flagged_once_the_template_is_subtracted(with_template: SimilarityReport,
                                                                           without_template: SimilarityReport) -> None:
    after = pair(with_template, "dave", "erin")
    before = pair(without_template, "dave", "erin")
    assert before.code is not None and after.code is not None
    assert Signal.CODE in before.signals and before.code.similarity >= 0.7  # the template is what they share
    assert not after.flagged and after.code.similarity < 0.35


def test_only_the_copies_are_flagged(with_template: SimilarityReport, without_template: SimilarityReport) -> None:
    assert flagged(with_template) == COPIES
    assert flagged(without_template) == COPIES | {("dave", "erin")}


def test_independent_solutions_are_not_flagged(with_template: SimilarityReport) -> None:
    for a, b in [("frank", "gina"), ("alice", "frank"), ("alice", "gina"), ("dave", "frank"), ("erin", "gina")]:
        p = pair(with_template, a, b)
        assert not p.flagged, (a, b, p.code and p.code.similarity)
        assert p.code is not None and p.code.similarity < 0.35


def test_flagged_pairs_rank_first_and_the_most_evidence_leads(with_template: SimilarityReport) -> None:
    ranked = [(p.a, p.b) for p in with_template.pairs]
    assert ranked[0] == ("alice", "carol")  # code and outputs
    assert {tuple(sorted(x)) for x in ranked[:3]} == COPIES
    assert not any(p.flagged for p in with_template.pairs[3:])


def test_notebook_code_is_cells_in_order_without_magics() -> None:
    nb = notebook(["!pip install tensorflow\nimport numpy as np", "%matplotlib inline\nx = np.zeros(3)"])
    assert notebook_code(nb) == "import numpy as np\n\nx = np.zeros(3)\n"


def test_an_unreadable_notebook_gives_no_code_and_no_crash(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{ not json")
    assert file_code(bad) == ("", None)


def test_too_little_code_is_not_compared_and_said(tmp_path: Path) -> None:
    report = compare_class([Source("a", "x = 1\n"), Source("b", "x = 1\n"), Source("c", "\n".join(ALICE))])
    assert all(p.code is None for p in report.pairs if "c" not in (p.a, p.b))
    assert not report.flagged
    assert any(n.startswith("a: too little code") for n in report.notes)


# --------------------------------------------------------------------------------- stored outputs


def log(*rows: tuple[float, float]) -> ReportedRun:
    text = "".join(f"Epoch {i}/{len(rows)}\n1875/1875 - 3s - accuracy: {acc:.4f} - loss: {loss:.4f}\n"
                   for i, (acc, loss) in enumerate(rows, 1))
    return ReportedRun(cells=[parse_text(text)])


def test_independent_trainings_of_the_same_code_do_not_match() -> None:
    a = log((0.8812, 0.4210), (0.9104, 0.3120), (0.9230, 0.2675))
    b = log((0.8809, 0.4232), (0.9101, 0.3118), (0.9235, 0.2660))
    assert outputs.compare(a, b) is None


def test_equal_figures_need_three_epochs_in_a_row() -> None:
    a = log((0.8812, 0.4210), (0.9104, 0.3120), (0.9230, 0.2675), (0.9301, 0.2400))
    two = log((0.8812, 0.4210), (0.9104, 0.3120), (0.9231, 0.2675), (0.9301, 0.2401))
    assert outputs.compare(a, two) is None
    three = log((0.8812, 0.4210), (0.9104, 0.3120), (0.9230, 0.2675), (0.9311, 0.2390))
    match = outputs.compare(a, three)
    assert match is not None and [e.epoch for e in match.epochs] == [1, 2, 3]


def test_a_flat_log_proves_nothing() -> None:
    stuck = log((0.1000, 2.3026), (0.1000, 2.3026), (0.1000, 2.3026), (0.1000, 2.3026))
    assert outputs.compare(stuck, stuck) is None
    nan = ReportedRun(cells=[ReportedCell(cell_index=None, fits=[ReportedFit(format="keras3", epochs=[
        ReportedEpoch(epoch=i, metrics={"loss": float("nan")}) for i in range(1, 6)])])])
    assert outputs.compare(nan, nan) is None


# --------------------------------------------------------------------------------- model fingerprints


def data(lo: float, hi: float) -> DataFingerprint:
    return DataFingerprint(kind="array", shape=[60000, 784], dtype="float32", min=lo, max=hi)


def trained(hidden: list[int], *, optimizer: str = "SGD", lr: float = 0.01, scaled: tuple[float, float] = (0, 1),
            epochs: int = 10) -> Source:
    m = f.dense_model("m1", hidden, optimizer=optimizer, lr=lr, epochs=epochs)
    m = m.model_copy(update={"fits": [m.fits[0].model_copy(update={"x": data(*scaled), "batch_size": 32})]})
    return Source(name="", models=(m,))


def named(name: str, s: Source) -> Source:
    return Source(name, s.code, s.stored, s.models)


def test_a_rare_identical_model_is_flagged_and_a_common_one_is_not() -> None:
    klass = [named("ann", trained([300, 100], optimizer="Adam", lr=0.0007, scaled=(-0.42, 2.8))),
             named("ben", trained([300, 100], optimizer="Adam", lr=0.0007, scaled=(-0.42, 2.8))),
             named("cat", trained([128])), named("dan", trained([128])), named("eve", trained([128])),
             named("fay", trained([64, 32], optimizer="RMSprop", lr=0.001)),
             named("gus", trained([256], optimizer="Adam", lr=0.001, epochs=5))]
    report = compare_class(klass)
    ann_ben = pair(report, "ann", "ben")
    assert ann_ben.signals == [Signal.MODEL]
    assert ann_ben.model is not None and ann_ben.model.shared_by == 2
    assert ann_ben.model.fields["learning_rate"] == "0.0007" and "optimizer" in ann_ben.model.fields
    assert "loss" not in ann_ben.model.fields  # everyone's loss is the same: no signal
    common = pair(report, "cat", "dan")  # the obvious answer, shared by three
    assert common.model is not None and common.model.shared_by == 3 and not common.flagged
    assert not pair(report, "ann", "gus").flagged


def test_a_field_identical_for_everyone_carries_no_signal() -> None:
    fps = [[{"loss": "mse", "optimizer": "SGD"}], [{"loss": "mse", "optimizer": "Adam"}]]
    assert fingerprints.informative(fps) == ["optimizer"]


def test_stored_summaries_give_an_architecture_without_a_run() -> None:
    text = """Model: "sequential"
_________________________________________________________________
 Layer (type)                Output Shape              Param #
=================================================================
 dense (Dense)               (None, 300)               235500
 dense_1 (Dense)             (None, 10)                3010
=================================================================
Total params: 238,510
Trainable params: 238,510
Non-trainable params: 0
_________________________________________________________________
"""
    run = ReportedRun(cells=[parse_text(text)])
    assert fingerprints.of_student([], run) == [{"architecture": "Dense[235500] > Dense[3010]"}]


def test_the_figures_are_the_same_in_every_process(tmp_path: Path) -> None:
    """copydetect hashes with Python's salted hash(): the same files must still give the same figures."""
    import os
    import subprocess
    import sys

    (tmp_path / "a.py").write_text("\n\n".join(ALICE))
    (tmp_path / "b.py").write_text("\n\n".join(reversed(ALICE)).replace("network", "net"))
    code = ("import sys; from pathlib import Path; from grader.similarity import compare_class; "
            "from grader.similarity.sources import Source; d = Path(sys.argv[1]); "
            "r = compare_class([Source(n, (d / f'{n}.py').read_text()) for n in 'ab']); "
            "print(repr(r.pairs[0].code.similarity_a), repr(r.pairs[0].code.similarity_b))")
    seen = {subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}, timeout=120).stdout for seed in ("1", "2")}
    assert len(seen) == 1, seen
