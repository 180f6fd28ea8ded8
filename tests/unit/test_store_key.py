"""The results store keys runs by what can change them: an edit of a notebook's answers re-grades without a run.

Run keys (grader.intake.runkey) against content hashes, the pure swap of a stored run's notebook text
(grader.evidence.notebook_text), and grade_folder's lookup with an executor that fakes runs (no TensorFlow).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import evidence_factory as f
import pytest

from grader.checks.base import Outcome
from grader.evidence.notebook_text import evidence_with_notebook_text, with_notebook_text
from grader.evidence.stored_outputs import notebook_record
from grader.intake.discovery import Student, discover
from grader.pipeline.classgrade import grade_folder
from grader.pipeline.executors.base import Job, JobOutcome
from grader.pipeline.store import Key, ResultsStore
from grader.rubric.loader import parse_rubric

MODEL = f.dense_model("m1", [10])
PARAMS = MODEL.params.trainable  # type: ignore[union-attr]

RUBRIC = """
id: answers
title: Answers
version: "1"
slots:
  - id: net
    title: The network
    match: {hidden_layers: "==1"}
questions:
  - {id: q.params, slot: net, answer: trainable_params, near: [param], points: 2}
"""


def nb(answer: str = "It has 12 parameters.", *, code: str = "model.fit(x, y)", stored: str = "",
       extra_markdown_first: bool = False, count: int | None = 1, tags: list[str] | None = None) -> dict[str, Any]:
    cells: list[dict[str, Any]] = [
        {"cell_type": "code", "source": ["import keras\n", "!pip install -q visualkeras\n"], "metadata": {},
         "execution_count": count, "outputs": []},
        {"cell_type": "code", "source": code, "metadata": {"tags": tags} if tags else {}, "execution_count": count,
         "outputs": [{"output_type": "stream", "name": "stdout", "text": stored}] if stored else []},
        {"cell_type": "markdown", "source": answer, "metadata": {}},
    ]
    if extra_markdown_first:
        cells.insert(0, {"cell_type": "markdown", "source": "# Homework", "metadata": {}})
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def write(path: Path, notebook: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook))
    return path


def student(path: Path) -> Student:
    """The student a file (one-file submission) or a folder (a folder submission in its class folder) makes."""
    if path.is_dir():
        return next(st for st in discover(path.parent, staging=path.parent.parent / ".staging") if st.name == path.name)
    [st] = discover(path, staging=path.parent / ".staging")
    return st


# ---------------------------------------------------------------------------------------------- run keys


def test_answers_outputs_and_counts_change_the_content_hash_but_not_the_run_key(tmp_path: Path) -> None:
    base = student(write(tmp_path / "a" / "hw.ipynb", nb()))
    for variant in (nb("It has 7,960 parameters."), nb(stored="accuracy 0.91\n"), nb(count=7),
                    {**nb(), "metadata": {"kernelspec": {"name": "python3"}, "colab": {"provenance": []}}}):
        other = student(write(tmp_path / "b" / "hw.ipynb", variant))
        assert other.content_hash() != base.content_hash()
        assert other.run_key() == base.run_key()
    assert base.run_key() != base.content_hash()  # a run key never passes for a content hash


@pytest.mark.parametrize("variant", [
    nb(code="model.fit(x, y, epochs=2)"),  # the code
    nb(code="!nvidia-smi\nmodel.fit(x, y)"),  # a shell line executes too
    nb(tags=["skip-execution"]),  # nbclient skips the cell
    nb(extra_markdown_first=True),  # the code cells move: the evidence names cells by index
])
def test_what_can_change_the_run_changes_the_run_key(tmp_path: Path, variant: dict[str, Any]) -> None:
    base = student(write(tmp_path / "a" / "hw.ipynb", nb()))
    assert student(write(tmp_path / "b" / "hw.ipynb", variant)).run_key() != base.run_key()


def test_other_files_scripts_and_unreadable_notebooks_are_keyed_by_their_bytes(tmp_path: Path) -> None:
    folder = tmp_path / "class" / "ann"
    write(folder / "hw.ipynb", nb())
    (folder / "data.csv").write_text("x,y\n1,2\n")
    before = student(folder).run_key()
    (folder / "data.csv").write_text("x,y\n1,3\n")
    assert student(folder).run_key() != before  # the data the code reads
    script = tmp_path / "s" / "hw.py"
    script.parent.mkdir()
    script.write_text("print(1)\n")
    assert student(script).run_key() == student(script).content_hash()
    broken = tmp_path / "x" / "hw.ipynb"
    broken.parent.mkdir()
    broken.write_text('{"cells": [')
    assert student(broken).run_key() == student(broken).content_hash()
    two = tmp_path / "class2" / "two"
    write(two / "p1.ipynb", nb())
    write(two / "p2.ipynb", nb("b"))
    assert student(two).run_key() == student(two).content_hash()  # several notebooks: no text swap, no sharing


# ------------------------------------------------------------------------------------ the pure text swap

EVENTS = [{"event": "cell_start", "index": 0}, {"event": "cell_start", "index": 1},
          {"event": "compile", "model": {"id": "m1"}}, {"event": "fit", "model": {"id": "m1"}}]
LOG = ("Epoch 1/1\n1688/1688 [==============================] - 20s 12ms/step - loss: 0.3000 - accuracy: 0.9100 "
       "- val_loss: 0.2000 - val_accuracy: 0.9000\nmy accuracy is 0.9\n")


def assembled(submitted: dict[str, Any]) -> Any:
    """Evidence as assembly makes it for this submitted notebook (the re-run printed 'rerun says 3')."""
    executed = copy.deepcopy(submitted)
    executed["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "rerun says 3\n"}]
    ev = f.evidence([MODEL], markdown="\n\n".join(c["source"] for c in submitted["cells"]
                                                  if c["cell_type"] == "markdown"),
                    printed="rerun says 3\n")
    raw = json.dumps(submitted).encode()
    import hashlib

    ev = ev.model_copy(update={
        "notebook": notebook_record(EVENTS, [MODEL], submitted=submitted, executed=executed),
        "submission": ev.submission.model_copy(update={"sha256": hashlib.sha256(raw).hexdigest(), "size": len(raw)})})
    return f.verify(ev)


def test_the_same_file_gives_back_the_evidence_assembly_made() -> None:
    old = nb(stored=LOG)
    verified = assembled(old)
    assert with_notebook_text(verified, json.dumps(old).encode()) == verified


def test_new_answers_and_stored_outputs_replace_the_old_and_the_run_stays() -> None:
    verified = assembled(nb("It has 12 parameters.", stored=LOG))
    new = nb(f"It has {PARAMS:,} parameters.", stored="my accuracy is 0.8\n")
    raw = json.dumps(new).encode()
    swapped = with_notebook_text(verified, raw, path="ann/hw.ipynb")
    assert swapped == with_notebook_text(verified, raw, path="ann/hw.ipynb")  # pure
    ev = swapped.evidence
    assert ev.markdown == f"It has {PARAMS:,} parameters."
    assert ev.submission.size == len(raw) and ev.submission.path == "ann/hw.ipynb"
    assert ev.submission.sha256 != verified.evidence.submission.sha256
    assert ev.notebook is not None and verified.evidence.notebook is not None
    by = {(p.source, p.run): p.text for p in ev.notebook.passages}
    assert by[("markdown", None)] == f"It has {PARAMS:,} parameters."
    assert by[("printed", "stored")] == "my accuracy is 0.8"  # the student's own run: the new file's
    assert by[("printed", "rerun")] == "rerun says 3"  # the grader's run: unchanged
    assert verified.evidence.notebook.stored is not None and ev.notebook.stored is not None
    assert verified.evidence.notebook.stored.fits and not ev.notebook.stored.fits  # the new file shows no log
    assert ev.notebook.touches == verified.evidence.notebook.touches
    assert (ev.models, ev.run, ev.printed, ev.diagnoses) == (verified.evidence.models, verified.evidence.run,
                                                             verified.evidence.printed, verified.evidence.diagnoses)
    assert swapped.verifications == verified.verifications


def test_an_unreadable_new_file_answers_nothing() -> None:
    verified = assembled(nb(f"It has {PARAMS:,} parameters."))
    ev = evidence_with_notebook_text(verified.evidence, b"{not json")
    assert ev.markdown == "" and ev.notebook is None and ev.models == verified.evidence.models


# ------------------------------------------------------------------------------------- the class lookup


class NotebookExecutor:
    """Fakes a run of each job's notebook: canned models, the notebook's own text as assembly reads it."""

    slots = 2

    def __init__(self) -> None:
        self.ran: list[str] = []

    def run(self, jobs: Sequence[Job], on_event: Any = None) -> Iterator[JobOutcome]:
        for job in jobs:
            self.ran.append(job.name)
            raw = (Path(job.root) / job.entries[0]).read_bytes()
            ev = evidence_with_notebook_text(f.evidence([MODEL]), raw, path=job.label)
            yield JobOutcome(job.key, f.verify(ev).model_dump_json(), 0.01, worker="w1")

    def close(self) -> None:
        pass


def grade(folder: Path, tmp_path: Path) -> tuple[Any, NotebookExecutor]:
    ex = NotebookExecutor()
    graded = grade_folder(folder, rubric=parse_rubric(RUBRIC), executor=ex, store=tmp_path / "r.sqlite",
                          datasets=tmp_path, out=tmp_path / "out", formats=("json",), gpus=[], similarity=False)
    return graded, ex


def outcome(graded: Any, name: str) -> Outcome:
    result = next(r.result for r in graded.results if r.student.name == name)
    return result.criterion("q.params").outcome


def test_an_answer_edit_regrades_from_the_stored_run(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    write(folder / "ann.ipynb", nb("It has 12 parameters."))
    write(folder / "bob.ipynb", nb(code="model.fit(x, y, epochs=3)"))
    first, ex = grade(folder, tmp_path)
    assert sorted(ex.ran) == ["ann", "bob"] and outcome(first, "ann") == Outcome.FAILED
    write(folder / "ann.ipynb", nb(f"It has {PARAMS:,} parameters.", stored="accuracy 0.9\n", count=9))
    again, ex = grade(folder, tmp_path)
    assert ex.ran == []  # nothing ran: the code is what it was
    assert {r.student.name: r.how for r in again.results} == {"ann": "regraded", "bob": "cached"}
    assert outcome(again, "ann") == Outcome.PASSED  # the answer was re-read from the new file
    ann = next(r for r in again.results if r.student.name == "ann")
    assert ann.result.evidence.evidence.markdown == f"It has {PARAMS:,} parameters."
    with ResultsStore(tmp_path / "r.sqlite") as db:
        assert db.run_count() == 2 and db.counts()["evidence"] == 2
    third, ex = grade(folder, tmp_path)
    assert ex.ran == [] and {r.how for r in third.results} == {"cached"} and outcome(third, "ann") == Outcome.PASSED
    write(folder / "ann.ipynb", nb(f"It has {PARAMS:,} parameters.", code="model.fit(x, y, epochs=2)"))
    _, ex = grade(folder, tmp_path)
    assert ex.ran == ["ann"]  # a code edit runs


def test_a_store_written_before_run_keys_is_read_by_content_hash_and_adopted(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    path = write(folder / "ann.ipynb", nb(f"It has {PARAMS:,} parameters."))
    first, ex = grade(folder, tmp_path)
    assert ex.ran == ["ann"]
    st = student(path)
    env = first.results[0]
    with ResultsStore(tmp_path / "r.sqlite") as db:
        # Turn the store into what an older grader wrote: evidence under the content hash, no grade for a new rubric.
        key = db.current_key("ann")
        assert key is not None and key[0].submission == st.content_hash()
        run_key = Key(st.content_hash(), key[0].env, False, st.run_key())
        verified = db.evidence(run_key)
        assert verified is not None
        db._db.execute("UPDATE evidence SET submission=? WHERE submission=?", (st.content_hash(), st.run_key()))
        db._db.execute("DELETE FROM grades")
        assert db.evidence(run_key) is None and db.evidence(run_key.legacy()) == verified
    again, ex = grade(folder, tmp_path)
    assert ex.ran == [] and again.results[0].how == "regraded" and env.result.score == again.results[0].result.score
    with ResultsStore(tmp_path / "r.sqlite") as db:
        assert db.evidence(run_key) == verified and db.run_count() == 1  # adopted under the run key, not a run
    write(folder / "ann.ipynb", nb("It has 3 parameters."))
    edited, ex = grade(folder, tmp_path)
    assert ex.ran == [] and outcome(edited, "ann") == Outcome.FAILED  # found by run key from then on


def test_copies_of_one_code_with_other_answers_share_one_run_and_keep_their_answers(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    write(folder / "ann" / "hw.ipynb", nb("It has 12 parameters."))  # a file's name is part of both keys
    write(folder / "bob" / "hw.ipynb", nb(f"It has {PARAMS:,} parameters."))
    write(folder / "cy" / "hw.ipynb", nb("It has 12 parameters."))  # ann's file byte for byte
    graded, ex = grade(folder, tmp_path)
    assert len(ex.ran) == 1  # one run for the three: the same code
    assert {r.student.name: r.how for r in graded.results} == {"ann": "ran", "bob": "ran", "cy": "ran"}
    assert {r.student.name: outcome(graded, r.student.name) for r in graded.results} == {
        "ann": Outcome.FAILED, "bob": Outcome.PASSED, "cy": Outcome.FAILED}
    with ResultsStore(tmp_path / "r.sqlite") as db:
        assert db.run_count() == 1 and db.counts()["evidence"] == 1 and db.counts()["grades"] == 2
    again, ex = grade(folder, tmp_path)
    assert ex.ran == [] and {r.how for r in again.results} == {"cached"}
    assert outcome(again, "bob") == Outcome.PASSED and outcome(again, "ann") == Outcome.FAILED
