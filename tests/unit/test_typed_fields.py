"""Decisions travel as typed fields, never as words searched in a message; enums read as their values."""

from __future__ import annotations

import json
from pathlib import Path

import evidence_factory as f

from grader.evidence.model import RunNote, SubmissionInfo, SubmissionKind
from grader.faults import Culprit, Phase
from grader.grading.grade import grade
from grader.render.audience import for_audience
from grader.render.html.view import answer_views
from grader.rubric.loader import load_rubric
from grader.verify.verified import ModelVerification, VerificationStatus

ROOT = Path(__file__).resolve().parents[2]
KERAS = load_rubric(ROOT / "rubrics" / "nn-basics-keras.yaml")


def test_a_questions_true_value_is_typed_and_kept_from_students() -> None:
    result = grade(f.nn_basics_evidence(), KERAS)
    q = result.criterion("one.big.q.params")
    assert q is not None and q.true_value == (302110.0,) and q.truth() == "302,110"
    assert [a.truth for a in answer_views(result) if a.title == q.title] == ["302,110"]
    assert all(c.true_value is None for c in for_audience(result, "student").criteria)
    assert result.criterion("general.sgd").true_value is None  # not a question


def test_trained_on_test_is_a_typed_field_not_a_phrase(tmp_path: Path) -> None:
    from grader.verify.verifier import verify_evidence

    ev = f.evidence([f.dense_model("m1", [300]), f.dense_model("m2", [100])])

    class Verifier:  # the two answers a verifier worker gives; the words of its notes do not matter
        datasets: dict[str, Path] = {}
        versions = {"keras": "3"}

        def verify_model(self, model, out_dir, datasets, *, metrics=True) -> ModelVerification:
            return ModelVerification(model_id=model.id, status=VerificationStatus.VERIFIED, message="any words",
                                     trained_on_test=model.id == "m2")

    ve = verify_evidence(ev, tmp_path, Verifier())  # type: ignore[arg-type]
    assert ve.trained_on_test == ["m2"]
    assert [w for w in ve.evidence.warnings if w.startswith("model m2:")]


def test_enums_read_as_their_values() -> None:
    info = SubmissionInfo(path="hw.ipynb", kind="notebook", sha256="0" * 64, size=1)
    assert info.kind is SubmissionKind.NOTEBOOK and f"{info.kind}" == "notebook"
    assert json.loads(info.model_dump_json())["kind"] == "notebook"
    assert f"{Phase.VERIFY}/{Culprit.STUDENT}" == "verify/student"
    note = RunNote(kind="provided", topic="pip", detail="d")
    assert note.topic == "pip" and f"{note.topic}" == "pip"
    assert RunNote(kind="ran", topic="gpu-from-the-future", detail="d").topic == "other"  # kept, not dropped


def test_a_file_that_is_neither_script_nor_notebook_is_a_kind_too(tmp_path: Path) -> None:
    from grader.intake.submission import load_submission

    (tmp_path / "essay.txt").write_text("hello")
    sub = load_submission(tmp_path / "essay.txt")
    assert sub.kind is SubmissionKind.UNKNOWN and not sub.runnable
    assert SubmissionInfo(path="essay.txt", kind=sub.kind, sha256=sub.sha256, size=sub.size).kind == "unknown"
    (tmp_path / "hw.py").write_text("print(1)\n")
    assert load_submission(tmp_path / "hw.py").kind is SubmissionKind.SCRIPT


def test_every_event_the_probe_writes_is_a_known_event_type() -> None:
    import re

    from grader.evidence.events import ProbeEvent

    probe = ROOT / "grader" / "runtime"
    written = {m for path in probe.rglob("*.py")
               for m in re.findall(r"""\bemit\(\s*["']([a-z_]+)["']""", path.read_text())}
    assert len(written) > 15  # the search itself works
    assert written - {e.value for e in ProbeEvent} == set()
    assert ProbeEvent.of("from_a_newer_probe") is None and ProbeEvent.of("fit") is ProbeEvent.FIT


def test_the_host_dispatches_on_event_types_not_on_their_spelling() -> None:
    """Outside the sandbox's runtime, an event is told by ProbeEvent (or the class's ClassEvent) and a submission by
    its SubmissionKind, never by a string literal compared with the "event" field or a `kind`."""
    import re

    from grader.evidence.events import ProbeEvent
    from grader.pipeline.events import ClassEvent

    names = "|".join(sorted({e.value for e in ProbeEvent} | {e.value for e in ClassEvent} |
                            {e.value for e in SubmissionKind}))
    spelled = re.compile(r"""(get\(["']event["']\)|\[["']event["']\]|\bkind)\s*(==|!=|in)\s*[\({]?\s*["'](%s)["']"""
                         % names)
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for path in (ROOT / "grader").rglob("*.py") if "runtime" not in path.parts
             for n, line in enumerate(path.read_text().splitlines(), 1) if spelled.search(line)]
    assert found == []
    sample = 'if ev.get("event") == "fit_start":'
    assert spelled.search(sample) and spelled.search('elif kind in ("compile", "fit")')  # the search itself works
    assert ClassEvent.of("plan") is ClassEvent.PLAN and ClassEvent.of("fit") is None


def test_how_a_class_grade_was_obtained_is_told_by_its_enum() -> None:
    """ran, regraded or cached: a How on StudentResult and Found, its value in the done events, never a literal."""
    import re

    from grader.pipeline.how import How

    names = "|".join(h.value for h in How)
    spelled = re.compile(r"""(\bhow\b\)?|\.count\(|["']how["']\)?\]?)\s*(==|!=|is|:|,)?\s*["'](%s)["']""" % names)
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for path in (ROOT / "grader").rglob("*.py") if "runtime" not in path.parts
             for n, line in enumerate(path.read_text().splitlines(), 1) if spelled.search(line)]
    assert found == []
    for sample in ('if found.how != "regraded"', "graded.count('ran')", 'if event.get("how") == "ran":',
                   'emit({"how": "ran"})'):
        assert spelled.search(sample), sample  # the search itself works
    assert How.of("ran") is How.RAN and How.of("fit") is None and f"{How.CACHED}" == "cached"


def test_the_runtime_is_an_enum_and_reads_as_its_value() -> None:
    from grader.evidence.model import Runtime
    from grader.intake.environments import RUNTIMES, check_runtime

    assert RUNTIMES == ("keras", "tf-keras")
    assert check_runtime("TF_KERAS") is Runtime.TF_KERAS and check_runtime(None) is None
    assert f"runtime {Runtime.TF_KERAS}" == "runtime tf-keras"
