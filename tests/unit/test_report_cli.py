"""`grader report` re-renders every output from stored results; `grader check` writes reports and
JUnit and decides its exit code with --fail-under. No TensorFlow: the run is faked."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import evidence_factory as f
import pandas as pd
import pytest
import test_report_samples as s
from click.testing import CliRunner

import grader.api as api
import grader.cli.check as cli
from grader.cli.report import report_command
from grader.render.exports.json import load_results, render_bundle, render_json


def store(folder: Path, results: list) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for r in results:
        name = Path(r.submission.path).parent.name
        (folder / f"{name}.json").write_text(render_json(r), encoding="utf-8")
        paths.append(folder / f"{name}.json")
    return paths


def test_report_renders_every_format_from_stored_results(tmp_path: Path) -> None:
    results = s.class_results()
    paths = store(tmp_path / "stored", results)
    s.figures_dir(tmp_path / "stored" / "alice", results[0])  # alice's kept run folder, next to her JSON
    (tmp_path / "stored" / "notes.json").write_text('{"not": "a result"}')
    out = tmp_path / "out"
    res = CliRunner().invoke(report_command, [str(tmp_path / "stored"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "wrote" in res.output and "skipped" in res.output  # notes.json is not a result
    names = ["alice", "bob", "carol", "dan", "erin"]
    for n in names:
        assert (out / f"{n}.html").is_file() and (out / "gradescope" / n / "results.json").is_file()
        assert load_results(out / "results" / f"{n}.json")[0] == results[names.index(n)]
    index = (out / "index.html").read_text()
    assert all(f'href="{n}.html"' in index for n in names)
    assert 'href="index.html"' in (out / "bob.html").read_text()
    assert "data:image/png;base64," in (out / "alice.html").read_text()
    df = pd.read_csv(out / "gradebook.csv", encoding="utf-8-sig")
    assert df["Student"].tolist()[1:] == names
    assert len(ET.parse(out / "junit.xml").getroot()) == 5
    assert "| alice | 100/100 |" in (out / "summary.md").read_text()
    assert len(paths) == 5


def test_report_reads_bundles_and_chooses_formats(tmp_path: Path) -> None:
    bundle = tmp_path / "all.json"
    bundle.write_text(render_bundle(s.class_results()[:2]))
    out = tmp_path / "out"
    res = CliRunner().invoke(report_command, [str(bundle), "-o", str(out), "--format", "csv,markdown",
                                              "--audience", "student"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["gradebook.csv", "summary.md"]


@pytest.mark.parametrize("args, message", [(["--format", "pdf"], "unknown format"), ([], "not a grade result")])
def test_report_refuses_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    res = CliRunner().invoke(report_command, [str(bad), "--out", str(tmp_path / "o"), *args])
    assert res.exit_code == 2 and message in res.output


def fake_run(monkeypatch: pytest.MonkeyPatch, verified) -> list:
    calls: list = []

    def run_submission(path, **kw):
        calls.append(kw)
        v = verified(Path(path)) if callable(verified) else verified
        if kw.get("keep_files"):  # what the real API does: copy the run's output folder
            for fig in v.evidence.figures:
                target = kw["keep_files"] / (fig.file or "figures/none.png")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(s.png())
        return v

    monkeypatch.setattr(api, "run_submission", run_submission)  # the sandbox, faked; grading is real
    monkeypatch.setattr(api, "default_cpus", lambda: 2)
    return calls


def with_figure_files(v):
    figs = [fig.model_copy(update={"file": f"figures/fig{fig.index}.png"}) for fig in v.evidence.figures]
    return v.model_copy(update={"evidence": v.evidence.model_copy(update={"figures": figs})})


def test_check_writes_reports_and_junit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sub = tmp_path / "hw.ipynb"
    sub.write_text("{}")
    calls = fake_run(monkeypatch, with_figure_files(f.nn_basics_evidence()))
    out, junit = tmp_path / "out", tmp_path / "junit.xml"
    res = CliRunner().invoke(cli.check_command, [str(sub), "--rubric", "nn-basics-keras", "--out", str(out),
                                                 "--junit", str(junit), "--fail-under", "80"])
    assert res.exit_code == 0, res.output
    assert calls[0]["keep_files"] == out / "files"
    assert sorted(p.name for p in out.iterdir()) == ["files", "hw.html", "results", "summary.md"]
    assert (out / "hw.html").read_text().count("data:image/png;base64,") == 6
    assert ET.parse(junit).getroot().get("failures") == "0"
    # The stored result re-renders with its figures: `grader report` finds out/files next to results/.
    res = CliRunner().invoke(report_command, [str(out / "results" / "hw.json"), "--out", str(tmp_path / "again"),
                                              "--format", "html"])
    assert res.exit_code == 0 and "data:image/png" in (tmp_path / "again" / "hw.html").read_text()


def test_fail_under_decides_the_exit_code(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sub = tmp_path / "hw.ipynb"
    sub.write_text("{}")
    runner = CliRunner()
    models = f.nn_basics_models()
    models[0] = f.dense_model("m1", [380], activation="relu", name="big")  # loses general.sigmoid: 95%
    fake_run(monkeypatch, f.verify(f.evidence(models, figures=[f.curves(models[1])], markdown=f.NN_BASICS_MARKDOWN)))
    args = [str(sub), "--rubric", "nn-basics-keras"]
    assert runner.invoke(cli.check_command, args).exit_code == 1  # a criterion failed
    assert runner.invoke(cli.check_command, args + ["--fail-under", "80"]).exit_code == 0
    assert runner.invoke(cli.check_command, args + ["--fail-under", "96"]).exit_code == 1
    fake_run(monkeypatch, f.not_run("no bwrap"))
    assert runner.invoke(cli.check_command, args + ["--fail-under", "0"]).exit_code == 3
    res = runner.invoke(cli.check_command, args + ["--format", "html"])
    assert res.exit_code == 2 and "--format needs --out" in res.output


def test_check_json_output_is_what_report_reads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sub = tmp_path / "hw.ipynb"
    sub.write_text("{}")
    fake_run(monkeypatch, f.nn_basics_evidence())
    res = CliRunner().invoke(cli.check_command, [str(sub), "--rubric", "nn-basics-keras", "--json"])
    stored = tmp_path / "hw.json"
    stored.write_text(res.output)
    assert json.loads(res.output)["schema_version"] == 1 and load_results(stored)[0].percent == 100
