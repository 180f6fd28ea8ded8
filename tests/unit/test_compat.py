"""Compatibility mode without TensorFlow: folding shim events, the shims in every report, the
--compat option and the rubric field, the store key, and the probe's pure parts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import evidence_factory as f
import pytest
import test_report_samples as samples
from click.testing import CliRunner

from grader.evidence.shims import EXTRA_TITLES, executed_cells, fold_shims, shim_line, shim_title
from grader.evidence.diagnoses import RULES
from grader.evidence.model import ShimUse
from grader.grading.grade import grade
from grader.grading.result import GradeResult
from grader.verify.verified import VerifiedEvidence

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "grader" / "runtime"))
from grader_probe import compat as probe_compat  # noqa: E402
from grader_probe import compat_keras  # noqa: E402
from grader_probe import events as probe_events  # noqa: E402


def shim_event(idiom: str, line: int, count: int = 1, *, file: str = "/sandbox/work/hw.py", top: str | None = None,
               execution_count: int | None = None, detail: str = "") -> dict:
    return {"event": "compat_shim", "idiom": idiom, "line": line, "count": count, "file": file,
            "top": top or file, "execution_count": execution_count, "detail": detail}


# -- folding events into ShimUse


def test_script_shims_keep_their_lines_in_order_and_the_largest_count() -> None:
    events = [shim_event("optimizer-lr", 20, detail="SGD(lr=0.1) read as learning_rate=0.1"),
              shim_event("predict-classes", 34), shim_event("predict-classes", 34, 2),
              shim_event("predict-classes", 34, 4), shim_event("history-acc", 27),
              shim_event("predict-classes", 34, 5),  # the count emitted at exit
              shim_event("np-utils", 3, file="/sandbox/work/helpers.py")]
    shims = fold_shims(events, notebook=False, entry="hw.py")
    assert [(s.idiom, s.line, s.count, s.file) for s in shims] == [
        ("optimizer-lr", 20, 1, None), ("predict-classes", 34, 5, None), ("history-acc", 27, 1, None),
        ("np-utils", 3, 1, "helpers.py")]
    assert shims[0].title == RULES["optimizer-lr"].title and shims[0].detail.startswith("SGD(lr=0.1)")
    assert shims[3].where() == "helpers.py, line 3"


def test_notebook_shims_are_placed_in_the_cell_they_were_written_in() -> None:
    cell = "/tmp/ipykernel_7/{}.py".format
    events = [
        {"event": "cell_start", "index": 2}, shim_event("np-utils", 1, file=cell(1), execution_count=2),
        {"event": "cell_end", "index": 2},
        # plot_history was defined in the cell of execution count 5 and called from the next one.
        {"event": "cell_start", "index": 7},
        shim_event("history-acc", 2, file=cell(5), top=cell(6), execution_count=5),
        {"event": "cell_end", "index": 7},
        # No execution count (an older IPython): the running cell, when the line is in it.
        {"event": "cell_start", "index": 9}, shim_event("predict-classes", 1, file=cell(8)),
        {"event": "cell_end", "index": 9},
    ]
    # Cells 0 (markdown) and 4 (empty) take no execution count.
    notebook = {"cells": [{"cell_type": "markdown", "source": "# hw"}, {"cell_type": "code", "source": "import keras"},
                          {"cell_type": "code", "source": ["from keras.utils.np_utils ", "import to_categorical"]},
                          {"cell_type": "code", "source": "x = 1"}, {"cell_type": "code", "source": "  \n"},
                          {"cell_type": "code", "source": "y = 2"}, {"cell_type": "code", "source": "def plot_history(h): ..."},
                          {"cell_type": "code", "source": "plot_history(history)"}]}
    cells = executed_cells(json.dumps(notebook))
    assert cells == [1, 2, 3, 5, 6, 7]
    shims = fold_shims(events, notebook=True, entry="hw.ipynb", cells=cells)
    assert [(s.idiom, s.cell_index, s.line) for s in shims] == [("np-utils", 2, 1), ("history-acc", 6, 2),
                                                                ("predict-classes", 9, 1)]
    assert shims[1].where() == "cell 6, line 2"


def test_malformed_shim_events_are_skipped_or_bounded() -> None:
    events = [{"event": "compat_shim"}, {"event": "compat_shim", "idiom": "x" * 500, "line": "3", "count": -4},
              {"event": "compat_shim", "idiom": "nb-epoch", "line": 4, "detail": "d" * 5000}]
    shims = fold_shims(events, notebook=False, entry="hw.py")
    assert [(len(s.idiom), s.line, s.count) for s in shims] == [(60, None, 1), (8, 4, 1)]
    assert len(shims[1].detail) == 300
    assert executed_cells("not json") == []


def test_every_shim_idiom_has_a_title() -> None:
    assert not set(EXTRA_TITLES) & set(RULES)
    for idiom in [*RULES, *EXTRA_TITLES]:
        assert shim_title(idiom) and shim_title(idiom) != idiom
    assert shim_line(ShimUse(idiom="nb-epoch", title="fit(..., nb_epoch=...)", detail="read as epochs=2", count=3,
                             line=5, cell_index=1)) == "cell 1, line 5: fit(..., nb_epoch=...) (3 times); read as epochs=2"


# -- reports


def _with_shims(shims: list[ShimUse], compat: str | None = "keras2") -> VerifiedEvidence:
    v = f.nn_basics_evidence()
    run = v.evidence.run.model_copy(update={"compat": compat})
    return v.model_copy(update={"evidence": v.evidence.model_copy(update={"shims": shims, "run": run})})


SHIMS = [ShimUse(idiom="optimizer-lr", title=RULES["optimizer-lr"].title, detail="SGD(lr='<b>0.1</b>') read as learning_rate",
                 line=4, cell_index=3),
         ShimUse(idiom="predict-classes", title=RULES["predict-classes"].title, detail="predict_classes(x) run as argmax",
                 count=12, line=1, cell_index=9)]


def _result(shims: list[ShimUse], compat: str | None = "keras2") -> GradeResult:
    return samples.stable(grade(_with_shims(shims, compat), samples.keras_rubric()))


def test_html_report_lists_every_shim_escaped() -> None:
    from grader.render.html.report import render_report

    html = render_report(_result(SHIMS))
    assert "Keras 2 calls accepted by compatibility mode" in html
    assert "<strong>cell 3, line 4</strong>" in html and "<strong>cell 9, line 1</strong>" in html
    assert "12 times" in html and "&lt;b&gt;0.1&lt;/b&gt;" in html and "<b>0.1" not in html
    assert "Compatibility mode" in html and "2 place(s) listed below" in html
    plain = render_report(_result([], compat=None))
    assert "compatibility mode" not in plain.lower()


def test_terminal_markdown_and_run_summaries_list_the_shims() -> None:
    from grader.render.terminal import render_summary
    from grader.render.exports.markdown import render_markdown
    from grader.render.run_summary import render_run

    result = _result(SHIMS)
    text = render_summary(result)
    assert "Keras 2 calls accepted by compatibility mode (keras2)" in text
    assert "cell 9, line 1: model.predict_classes(...) (12 times)" in text
    md = render_markdown(result)
    assert "compatibility mode (keras2)" in md and "&lt;b&gt;" in md and "(12 times)" in md
    run = render_run(_with_shims(SHIMS))
    assert "compat:    keras2: 2 Keras 2 call place(s) accepted" in run and "cell 3, line 4" in run
    for render in (lambda: render_summary(_result([], None)), lambda: render_markdown(_result([], None)),
                   lambda: render_run(_with_shims([], None))):
        assert "compat" not in render().lower()


def test_json_export_carries_the_shims_and_the_mode() -> None:
    from grader.render.exports.json import render_json

    data = json.loads(render_json(_result(SHIMS)))
    assert data["evidence"]["evidence"]["run"]["compat"] == "keras2"
    assert [s["idiom"] for s in data["evidence"]["evidence"]["shims"]] == ["optimizer-lr", "predict-classes"]


def test_merged_files_name_the_file_of_each_shim() -> None:
    from grader.evidence.merge import merge_verified

    a, b = _with_shims(SHIMS[:1]), _with_shims(SHIMS[1:])
    merged = merge_verified([("one.ipynb", a), ("two.ipynb", b)], submission=a.evidence.submission)
    assert [(s.file, s.where()) for s in merged.evidence.shims] == [("one.ipynb", "one.ipynb, cell 3, line 4"),
                                                                   ("two.ipynb", "two.ipynb, cell 9, line 1")]
    assert merged.evidence.run.compat == "keras2"


# -- options, rubric, store


def test_compat_option_on_run_check_and_grade() -> None:
    from grader.cli.app import main
    from grader.cli.options import resolve_compat

    runner = CliRunner()
    for command in ("run", "check", "grade"):
        out = runner.invoke(main, [command, "--help"]).output
        assert "--compat [keras2|none]" in out, command
    bad = runner.invoke(main, ["run", __file__, "--compat", "keras1"])
    assert bad.exit_code == 2 and "keras1" in bad.output
    assert resolve_compat(None) is None and resolve_compat("keras2") == "keras2"
    assert resolve_compat(None, "keras2") == "keras2" and resolve_compat("none", "keras2") is None


def test_api_refuses_an_unknown_mode_before_running_anything(tmp_path: Path) -> None:
    from grader.api import run_submission
    from grader.errors import ConfigError

    script = tmp_path / "hw.py"
    script.write_text("print(1)\n")
    with pytest.raises(ConfigError, match="keras1"):
        run_submission(script, compat="keras1")


RUBRIC = """
id: compat-test
title: Compat test
version: "1"
limits:
  timeout_s: 60
  compat: {mode}
counts: []
"""


def test_rubric_opts_in_under_its_run_limits() -> None:
    from grader.errors import RubricError
    from grader.evidence.model import Limits
    from grader.rubric.loader import parse_rubric
    from grader.rubric.schema import rubric_json_schema

    rubric = parse_rubric(RUBRIC.format(mode="keras2"))
    assert rubric.limits.compat == "keras2"
    assert rubric.limits.to_limits(Limits(cpus=2)) == Limits(cpus=2, timeout_s=60, timeout_source="rubric")
    assert parse_rubric(RUBRIC.format(mode="null")).limits.compat is None
    with pytest.raises(RubricError, match="compat"):
        parse_rubric(RUBRIC.format(mode="keras1"))
    from grader.rubric.show import describe_rubric

    assert "compatibility mode: keras2" in describe_rubric(rubric) and "timeout_s 60;" in describe_rubric(rubric)
    field = rubric_json_schema()["$defs"]["RunLimits"]["properties"]["compat"]
    assert "keras2" in json.dumps(field) and "Keras 2" in field["description"]


def test_a_compat_run_is_stored_apart_from_a_plain_one() -> None:
    from grader.pipeline.store import environment, environment_key

    plain, compat = environment(), environment(compat="keras2")
    assert "compat" not in plain and compat == {**plain, "compat": "keras2"}
    assert environment_key(plain) != environment_key(compat)


# -- the probe's pure parts (stdlib only)


@pytest.fixture
def probe_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRADER_OUT", str(tmp_path))
    monkeypatch.setattr(probe_events, "_fd", None)
    monkeypatch.setattr(probe_compat, "_counts", {})
    monkeypatch.setattr(probe_compat, "_first", {})
    monkeypatch.setattr(probe_compat, "_ROOTS", probe_compat._library_roots())
    monkeypatch.setattr(probe_compat, "_student_files", {})
    return tmp_path


def _shim_events(out: Path) -> list[dict]:
    lines = (out / "events.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["event"] == "compat_shim"]


def test_history_answers_keras_2_names_and_keeps_keras_3_keys(probe_out: Path) -> None:
    history = compat_keras.KerasTwoHistory({"accuracy": [0.5, 0.7], "val_accuracy": [0.6, 0.8], "loss": [1.0, 0.5]})
    line = sys._getframe().f_lineno + 1
    assert history["acc"] == [0.5, 0.7]
    assert history.get("val_acc") == [0.6, 0.8]
    assert list(history.keys()) == ["accuracy", "val_accuracy", "loss"] and "acc" not in history
    with pytest.raises(KeyError):
        history["val_loss_typo"]
    assert history.get("nothing", 3) == 3
    fired = _shim_events(probe_out)
    assert [(e["idiom"], e["line"], e["count"], e["file"]) for e in fired] == [
        ("history-acc", line, 1, __file__), ("history-acc", line + 1, 1, __file__)]


def test_a_shim_in_a_loop_emits_a_handful_of_events_with_its_count(probe_out: Path) -> None:
    for _ in range(100):
        probe_compat.fired("predict-classes", "run as argmax")
    probe_compat._final_counts()
    counts = [e["count"] for e in _shim_events(probe_out)]
    assert counts == [1, 2, 4, 8, 16, 32, 64, 100]
    assert fold_shims(_shim_events(probe_out), notebook=False, entry=Path(__file__).name)[0].count == 100


def test_compile_positional_metrics_are_told_from_loss_weights() -> None:
    assert compat_keras._metric_like(["accuracy"]) and compat_keras._metric_like("accuracy")
    assert not compat_keras._metric_like([1.0, 0.5]) and not compat_keras._metric_like({"out": 1.0})

