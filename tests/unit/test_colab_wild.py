"""Code written for Colab or a laptop, the pure parts: path resolution, shell-command rules, note
folding and linking, and how the notes are shown (no TensorFlow, no sandbox)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import test_report_samples as s

from grader.evidence.model import CellError, RunNote, ScriptError
from grader.render.terminal import render_summary
from grader.render.exports.json import render_json
from grader.render.html.report import render_report
from grader.evidence.notes import explain, fold_run_notes, link_notes, note_line
from grader.render.run_summary import render_run

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "grader" / "runtime"))
from grader_probe import events, paths, shell  # noqa: E402


@pytest.fixture
def probe_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Point the probe's event log and folders at tmp_path; returns a reader of the notes it wrote."""
    out, work, data = tmp_path / "out", tmp_path / "work", tmp_path / "data"
    for folder in (out, work, data):
        folder.mkdir()
    monkeypatch.setenv("GRADER_OUT", str(out))
    monkeypatch.setenv("GRADER_WORK", str(work))
    monkeypatch.setenv("GRADER_DATA", str(data))
    monkeypatch.setattr(events, "_fd", None)
    from grader_probe import notes

    monkeypatch.setattr(notes, "_seen", set())

    def read() -> list[dict]:
        log = out / "events.jsonl"
        lines = log.read_text().splitlines() if log.exists() else []
        return [e for e in map(json.loads, lines) if e["event"] == "run_note"]

    yield work, data, read
    if events._fd is not None:
        import os

        os.close(events._fd)


# --- paths ---------------------------------------------------------------------------------------


def test_path_parts_and_what_counts_as_foreign() -> None:
    assert paths.parts_of(r"C:\Users\ana\Downloads\USA_Housing.csv") == ["Users", "ana", "Downloads", "USA_Housing.csv"]
    assert paths.parts_of("/content/drive/MyDrive/ML/x.csv") == ["content", "drive", "MyDrive", "ML", "x.csv"]
    assert paths.parts_of(r"data\mnist.npz") == ["data", "mnist.npz"]
    for foreign in (r"D:\data\mnist.npz", "C:/Users/ana/x.csv", r"\\server\share\x.csv", "/content/sample_data/a.csv",
                    r"data\mnist.npz"):
        assert paths.is_foreign(foreign), foreign
    assert not paths.is_foreign("data/mnist.npz") and not paths.is_foreign("USA_Housing.csv")


def test_resolve_prefers_the_longest_matching_tail_then_the_grader_data(tmp_path: Path) -> None:
    work, data = tmp_path / "work", tmp_path / "data"
    (work / "data").mkdir(parents=True)
    (work / "data" / "x.csv").write_text("a")
    (work / "x.csv").write_text("b")
    data.mkdir()
    (data / "USA_Housing.csv").write_text("c")
    (data / "primitives" / "cube").mkdir(parents=True)
    roots = [str(work), str(data)]
    assert paths.resolve(r"C:\Users\ana\ML\data\x.csv", roots) == str(work / "data" / "x.csv")
    assert paths.resolve("/content/drive/MyDrive/x.csv", roots) == str(work / "x.csv")
    assert paths.resolve("/content/drive/MyDrive/ML/USA_Housing.csv", roots) == str(data / "USA_Housing.csv")
    assert paths.resolve(r"G:\My Drive\primitives", roots, want_dir=True) == str(data / "primitives")
    assert paths.resolve(r"G:\My Drive\primitives", roots) is None  # a folder is not a file
    assert paths.resolve("/content/sample_data/california_housing_train.csv", roots) is None
    assert paths.resolve("/content/..", roots) is None


def test_resolve_finds_a_base_name_deeper_in_the_submission(tmp_path: Path) -> None:
    (tmp_path / "week3" / "files").mkdir(parents=True)
    (tmp_path / "week3" / "files" / "mnist.npz").write_bytes(b"")
    assert paths.resolve(r"D:\data\mnist.npz", [str(tmp_path)]) == str(tmp_path / "week3" / "files" / "mnist.npz")
    # With an explicit existence test only the tails are tried (no walking).
    assert paths.resolve(r"D:\data\mnist.npz", [str(tmp_path)], exists=lambda p: False) is None


def test_describe_names_where_the_file_came_from(tmp_path: Path) -> None:
    work, data = str(tmp_path / "work"), str(tmp_path / "data")
    assert paths.describe(f"{data}/USA_Housing.csv", work, data) == "USA_Housing.csv provided by the grader"
    assert paths.describe(f"{work}/data/x.csv", work, data) == "data/x.csv from the submission's folder"


def test_remap_notes_provided_and_failed_reads(probe_out) -> None:
    work, data, read = probe_out
    (data / "USA_Housing.csv").write_text("a,b\n")
    found = paths.remap(r"C:\Users\ana\Downloads\USA_Housing.csv")
    assert found == str(data / "USA_Housing.csv")
    assert paths.remap(str(data / "USA_Housing.csv")) == str(data / "USA_Housing.csv")  # exists: untouched
    missing = "/content/drive/MyDrive/ML/grades.csv"
    assert paths.remap(missing) == missing
    provided, failed = read()
    assert provided["kind"] == "provided"
    assert provided["detail"] == r"read C:\Users\ana\Downloads\USA_Housing.csv as USA_Housing.csv provided by the grader"
    assert failed["kind"] == "failed" and failed["subjects"] == [missing]
    assert "no file named grades.csv" in failed["detail"] and "(the grader provides: USA_Housing.csv)" in failed["detail"]


# --- shell ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("command, packages", [
    ("pip install -q tensorflow", ["tensorflow"]),
    ("pip3 install --upgrade keras==3.3 'numpy<2'", ["keras==3.3", "numpy<2"]),
    ("/usr/bin/python3 -m pip install -q -U scikit-learn", ["scikit-learn"]),
    ("python -m pip install -r requirements.txt", []),
    ("sudo pip install --index-url https://example.com/simple tf-keras", ["tf-keras"]),
])
def test_pip_installs_are_recognised(command: str, packages: list[str]) -> None:
    (sep, argv), = shell.split_command(command)
    action = shell.classify(argv)
    assert (action.kind, action.packages) == ("pip", packages)


def test_other_commands_are_classified() -> None:
    # (nvidia-smi depends on the machine: tests/unit/test_adapt.py)
    kinds = {cmd: shell.classify(argv).kind for cmd in
             ["apt-get install -y graphviz", "sudo apt install -qq ffmpeg", "pip list", "pip uninstall -y keras",
              "ls -la", "unzip -q shapes.zip", "wget https://x.org/a.csv", "git clone https://g.com/u/r.git"]
             for (_, argv) in shell.split_command(cmd)}
    assert kinds == {"apt-get install -y graphviz": "system", "sudo apt install -qq ffmpeg": "system",
                     "pip list": "run", "pip uninstall -y keras": "pip-skip", "ls -la": "run",
                     "unzip -q shapes.zip": "run", "wget https://x.org/a.csv": "fetch",
                     "git clone https://g.com/u/r.git": "fetch"}


@pytest.mark.parametrize("command, url, target", [
    ("wget -q https://x.org/data/USA_Housing.csv?raw=1", "https://x.org/data/USA_Housing.csv?raw=1", "USA_Housing.csv"),
    ("wget https://x.org/a.zip -O shapes.zip", "https://x.org/a.zip", "shapes.zip"),
    ("curl -L -o data.csv https://x.org/d", "https://x.org/d", "data.csv"),
    ("curl -O https://x.org/files/b.npz", "https://x.org/files/b.npz", "b.npz"),
    ("curl https://x.org/files/b.npz", "https://x.org/files/b.npz", ""),
    ("git clone https://github.com/u/course.git", "https://github.com/u/course.git", "course"),
    ("git clone --depth 1 https://github.com/u/course.git mine", "https://github.com/u/course.git", "mine"),
])
def test_downloads_name_the_file_they_would_write(command: str, url: str, target: str) -> None:
    (_, argv), = shell.split_command(command)
    action = shell.classify(argv)
    assert (action.kind, action.url, action.target) == ("fetch", url, target)


def test_requirement_names() -> None:
    assert shell.requirement_name("tensorflow==2.15.*") == "tensorflow"
    assert shell.requirement_name("keras[tf]>=3") == "keras"
    assert shell.requirement_name("git+https://github.com/u/r.git") == "git+https://github.com/u/r.git"
    assert shell.requirement_name("numpy ; python_version>'3'") == "numpy"


def test_installed_reports_the_version_the_grader_has() -> None:
    ok, label = shell.installed("numpy")
    import numpy

    assert ok and label == f"numpy {numpy.__version__}"
    assert shell.installed("definitely-not-installed-xyz") == (False, "definitely-not-installed-xyz")


def test_handle_skips_installs_fails_fetches_and_runs_the_rest(probe_out, tmp_path: Path, monkeypatch) -> None:
    work, data, read = probe_out
    monkeypatch.chdir(work)
    (data / "USA_Housing.csv").write_text("a,b\n")
    ran, written = [], []

    def run(part: str) -> int:
        ran.append(part)
        return 0

    code = shell.handle("pip install -q numpy && wget -q https://x.org/USA_Housing.csv && echo ok", run, written.append)
    assert code == 0 and ran == ["echo ok"]
    assert (work / "USA_Housing.csv").read_text() == "a,b\n"  # the served file, where wget would have put it
    code = shell.handle("wget https://x.org/big.zip && unzip big.zip; pip install not-here-xyz || echo fallback",
                        run, written.append)
    assert code == 0 and ran == ["echo ok", "echo fallback"]  # unzip skipped after the failed download
    notes = {(n["kind"], n["topic"]): n for n in read()}
    assert set(notes) == {("provided", "pip"), ("provided", "network"), ("ran", "shell"), ("failed", "network"),
                          ("failed", "pip")}
    assert "(it would have written big.zip)" in notes[("failed", "network")]["detail"]
    assert notes[("failed", "pip")]["subjects"] == ["not-here-xyz"]
    assert any("no network" in w for w in written)


# --- folding, linking, rendering ---------------------------------------------------------------


def _events() -> list[dict]:
    return [
        {"event": "run_note", "kind": "provided", "topic": "colab", "detail": "import google.colab", "line": 1},
        {"event": "cell_start", "index": 1},
        {"event": "run_note", "kind": "failed", "topic": "pip", "detail": "pip install of scikit-learn failed",
         "subjects": ["scikit-learn"], "line": 1},
        {"event": "cell_start", "index": 2},
        {"event": "run_note", "kind": "failed", "topic": "colab", "detail": "files.upload() returned no files", "line": 2},
        {"event": "run_note", "kind": "failed", "topic": "path", "detail": "could not read C:\\x\\grades.csv",
         "subjects": ["C:\\x\\grades.csv"], "line": 3},
        {"event": "run_note", "kind": "sideways", "topic": "x", "detail": "bad kind"},
    ]


def test_notes_take_the_cell_of_the_last_cell_start() -> None:
    warnings: list[str] = []
    notes = fold_run_notes(_events(), warnings)
    assert [(n.cell_index, n.line, n.kind) for n in notes] == [(None, 1, "provided"), (1, 1, "failed"),
                                                             (2, 2, "failed"), (2, 3, "failed")]
    assert len(warnings) == 1 and "run_note" in warnings[0]


def test_a_failed_note_explains_the_error_that_names_what_it_could_not_provide() -> None:
    notes = fold_run_notes(_events())
    sklearn_error = CellError(cell_index=3, ename="ModuleNotFoundError", evalue="No module named 'sklearn'")
    linked = link_notes(notes, [sklearn_error], None)
    assert [n.caused_error for n in linked] == [False, True, False, False]
    file_error = CellError(cell_index=2, ename="FileNotFoundError", evalue="[Errno 2] No such file: 'C:\\\\x\\\\grades.csv'")
    assert [n.caused_error for n in link_notes(notes, [file_error], None)] == [False, False, True, True]
    # An error in an earlier cell is not explained by a later note.
    early = CellError(cell_index=0, ename="FileNotFoundError", evalue="No such file: 'grades.csv'")
    assert not any(n.caused_error for n in link_notes(notes, [early], None))
    script = ScriptError(ename="ModuleNotFoundError", evalue="No module named 'numpy'")
    assert not any(n.caused_error for n in link_notes(notes, [], script))


def test_the_run_message_says_why() -> None:
    notes = link_notes(fold_run_notes(_events()), [CellError(cell_index=3, ename="ModuleNotFoundError",
                                                             evalue="No module named 'sklearn'")], None)
    assert explain("1 cell(s) raised errors", notes) == "1 cell(s) raised errors (because pip install of scikit-learn failed)"
    assert explain("the run completed", fold_run_notes(_events())) == "the run completed"
    assert note_line(notes[1]) == "[failed] cell 1, line 1: pip install of scikit-learn failed (this is what failed)"
    assert note_line(notes[0]) == "[provided] line 1: import google.colab"


def _with_notes(result, notes: list[RunNote]):
    ev = result.evidence.evidence.model_copy(update={"run_notes": notes})
    return result.model_copy(update={"evidence": result.evidence.model_copy(update={"evidence": ev})})


NOTES = [RunNote(kind="provided", topic="path", detail=r"read C:\Users\ana\x.csv as x.csv provided by the grader",
                 cell_index=2, line=1),
         RunNote(kind="failed", topic="pip", detail="pip install of <b>evil</b> failed", cell_index=3, line=1,
                 caused_error=True)]


def test_notes_are_shown_in_the_html_report_terminal_and_json() -> None:
    result = _with_notes(s.good_result(), NOTES)
    html = render_report(result)
    assert "<h3>Code from Colab or a laptop</h3>" in html
    assert r"read C:\Users\ana\x.csv as x.csv provided by the grader" in html
    assert "pip install of &lt;b&gt;evil&lt;/b&gt; failed" in html and "<b>evil</b>" not in html
    assert "this is what failed" in html
    text = render_summary(result)
    assert "Code from Colab or a laptop" in text
    assert "[failed] cell 3, line 1: pip install of <b>evil</b> failed (this is what failed)" in text
    data = json.loads(render_json(result))
    assert data["evidence"]["evidence"]["run_notes"][0]["kind"] == "provided"
    run_text = render_run(result.evidence)
    assert "code from Colab or a laptop:" in run_text and "[provided] cell 2, line 1:" in run_text


def test_no_notes_no_section() -> None:
    result = s.good_result()
    assert result.evidence.evidence.run_notes == []
    assert "Code from Colab" not in render_report(result) and "Code from Colab" not in render_summary(result)


def test_a_served_file_linked_into_the_work_folder_is_described_as_the_graders(tmp_path: Path) -> None:
    work, data = tmp_path / "work", tmp_path / "data"
    work.mkdir()
    data.mkdir()
    (data / "USA_Housing.csv").write_text("a")
    (work / "USA_Housing.csv").symlink_to(data / "USA_Housing.csv")
    found = paths.resolve(r"C:\Users\ana\USA_Housing.csv", [str(work), str(data)])
    assert found == str(work / "USA_Housing.csv")
    assert paths.describe(found, str(work), str(data)) == "USA_Housing.csv provided by the grader"
