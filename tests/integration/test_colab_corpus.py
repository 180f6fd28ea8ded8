"""Notebooks and scripts written for Colab or a laptop (tests/corpus/colab/): each pip install, shell
escape, magic, google.colab call and foreign path is handled with a note, runs finish as intended, and
an error that comes from something the grader could not provide says so."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.evidence.assembly import assemble
from grader.evidence.model import Evidence, Limits, RunNote, RunStatus
from grader.sandbox import SandboxRequest, run_sandboxed
from grader.intake.submission import load_submission

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "colab"
LIMITS = Limits(timeout_s=240, cell_timeout_s=120, cpus=2)


def run_corpus(tmp_path: Path, name: str, *, housing: bool = True, datasets: dict[str, Path] | None = None) -> Evidence:
    """Run one corpus file from a folder holding it and the student's own files; the grader serves
    the corpus's USA_Housing.csv in its data folder when `housing`."""
    work = tmp_path / "submission"
    shutil.copytree(CORPUS / "files", work)
    shutil.copy2(CORPUS / name, work / name)
    sub = load_submission(work / name)
    served = dict(datasets or {})
    if housing:
        served["USA_Housing.csv"] = CORPUS / "data" / "USA_Housing.csv"
    result = run_sandboxed(SandboxRequest(source=work, entry=name, kind=sub.kind, limits=LIMITS, datasets=served))
    try:
        return assemble(sub, result, LIMITS)
    finally:
        result.cleanup()


def notes_of(ev: Evidence, kind: str, topic: str) -> list[RunNote]:
    return [n for n in ev.run_notes if n.kind == kind and n.topic == topic]


def one(ev: Evidence, kind: str, topic: str, text: str) -> RunNote:
    found = [n for n in notes_of(ev, kind, topic) if text in n.detail]
    assert len(found) == 1, f"no single {kind}/{topic} note with {text!r}: {[n.detail for n in ev.run_notes]}"
    return found[0]


def test_pip_and_shell_escapes_are_noted_and_do_not_hang(tmp_path: Path) -> None:
    ev = run_corpus(tmp_path, "pip_and_shell.ipynb")
    run = ev.run
    provided = one(ev, "provided", "pip", "numpy")
    assert "pandas" in provided.detail and (provided.cell_index, provided.line) == (1, 1)
    tf = one(ev, "provided", "pip", "tensorflow")
    assert "asked for tensorflow==2.15.0" in tf.detail and tf.cell_index == 2
    missing = one(ev, "failed", "pip", "colab-only-helper-xyz")
    assert "no network" in missing.detail and missing.cell_index == 3
    assert one(ev, "skipped", "shell", "apt-get").cell_index == 4
    # A download of a file the grader serves is provided; other downloads fail at once, named.
    assert one(ev, "provided", "network", "USA_Housing.csv").cell_index == 5
    shapes = one(ev, "failed", "network", "shapes.zip")
    assert "no network in the sandbox" in shapes.detail and "https://example.com/archive/shapes.zip" in shapes.detail
    assert one(ev, "failed", "network", "git clone").subjects == ["ml-course"]
    assert one(ev, "ran", "shell", "`ls`").cell_index == 8
    # nvidia-smi on a grader with no GPU is answered by adaptation (tests/integration/test_adaptation.py).
    assert "`nvidia-smi` had no effect" in one(ev, "skipped", "adaptation", "nvidia-smi").detail
    assert "listing has" in ev.printed and "(20, 7)" in ev.printed
    # unzip never ran: the && stopped at the failed download.
    assert not [n for n in ev.run_notes if "unzip" in n.detail]
    # The one error is the import of what could not be installed, and the run says why.
    (error,) = run.cell_errors
    assert (error.cell_index, error.ename) == (11, "ModuleNotFoundError")
    assert run.status is RunStatus.COMPLETED_WITH_ERRORS
    assert missing.caused_error
    linked = [n for n in ev.run_notes if n.caused_error]
    assert [n.subjects for n in linked] == [["colab-only-helper-xyz"]]
    assert "because pip install of colab-only-helper-xyz failed" in run.message
    assert run.duration_s < 200  # pip was never left to retry against a missing network


def test_magics_work_or_are_noted(tmp_path: Path) -> None:
    ev = run_corpus(tmp_path, "magics.ipynb", housing=False)
    assert ev.run.status is RunStatus.COMPLETED, ev.run.message
    assert ev.run.cell_errors == []
    assert one(ev, "skipped", "magic", "%tensorflow_version 2.x").cell_index == 0
    assert one(ev, "skipped", "magic", "%load_ext tensorboard").cell_index == 1
    assert one(ev, "skipped", "magic", "%tensorboard --logdir logs").cell_index == 2
    assert one(ev, "provided", "magic", "%timeit ran its code once").cell_index == 5
    assert "squares 1000" in ev.printed
    assert "timeit calls 1" in ev.printed  # the training-like call ran once, not 7 x N times
    assert "captured: this goes to the capture" in ev.printed
    cd = one(ev, "provided", "path", "%cd /content/drive/MyDrive/ML")
    assert cd.cell_index == 8 and "stayed in the submission's folder" in cd.detail
    assert "notes: remember to normalise" in ev.printed
    # Colab's %%shell: with a pip install in it, line by line through the shell escape; else as %%bash.
    assert one(ev, "provided", "pip", "numpy").cell_index == 9
    assert one(ev, "ran", "shell", "echo from the shell cell").cell_index == 9
    assert one(ev, "provided", "magic", "%%shell is Colab-only").cell_index == 10
    assert "from the shell cell" in ev.printed and "plain shell cell" in ev.printed


def test_drive_and_windows_paths_read_the_files_the_grader_has(tmp_path: Path) -> None:
    ev = run_corpus(tmp_path, "drive_paths.ipynb")
    assert ev.run.status is RunStatus.COMPLETED, ev.run.message
    assert one(ev, "provided", "colab", "drive.mount('/content/drive')").cell_index == 0
    housing = one(ev, "provided", "path", "read /content/drive/MyDrive/ML/USA_Housing.csv")
    assert housing.detail.endswith("as USA_Housing.csv provided by the grader")
    numbers = one(ev, "provided", "path", "numbers.txt")
    assert "C:\\Users\\ana\\Downloads\\numbers.txt as numbers.txt from the submission's folder" in numbers.detail
    assert one(ev, "provided", "path", "D:\\data\\notes.txt").cell_index == 3
    assert one(ev, "provided", "path", "/content/drive/MyDrive/ML/images").detail.endswith(
        "as images from the submission's folder")
    assert "images/dot.png from the submission's folder" in one(ev, "provided", "path", "dot.png").detail
    assert "housing rows 20" in ev.printed and "numbers sum 7.0" in ev.printed
    assert "notes: remember to normalise" in ev.printed
    assert "images ['blank.png', 'dot.png']" in ev.printed and "image size (8, 6)" in ev.printed
    # Writes are never remapped: the student's write to Drive fails as it would without a Drive.
    assert "write refused:" in ev.printed
    assert not [n for n in ev.run_notes if "results.csv" in n.detail]


def test_upload_then_missing_file_says_why(tmp_path: Path) -> None:
    ev = run_corpus(tmp_path, "upload_then_read.ipynb", housing=False)
    run = ev.run
    upload = one(ev, "failed", "colab", "files.upload() returned no files")
    assert upload.caused_error and upload.cell_index == 0
    assert one(ev, "skipped", "colab", "files.download('model.keras')").cell_index == 2
    (error,) = run.cell_errors
    assert (error.cell_index, error.ename) == (1, "FileNotFoundError")
    assert "because files.upload() returned no files" in run.message
    assert "uploaded []" in ev.printed


def test_a_drive_file_nobody_provides_fails_with_the_note(tmp_path: Path) -> None:
    ev = run_corpus(tmp_path, "missing_drive_csv.ipynb")
    run = ev.run
    missing = one(ev, "failed", "path", "students_grades.csv")
    assert missing.caused_error and missing.cell_index == 1
    assert "(the grader provides: USA_Housing.csv)" in missing.detail
    (error,) = run.cell_errors
    assert (error.cell_index, error.ename) == (1, "FileNotFoundError")
    assert run.status is RunStatus.COMPLETED_WITH_ERRORS
    assert "because could not read /content/drive/MyDrive/ML/students_grades.csv" in run.message
    assert "after the error" in ev.printed


def test_script_pip_calls_and_paths(tmp_path: Path) -> None:
    ev = run_corpus(tmp_path, "colab_script.py")
    assert ev.run.status is RunStatus.COMPLETED, ev.run.message
    assert one(ev, "provided", "pip", "numpy").line == 6
    assert one(ev, "failed", "pip", "colab-only-helper-xyz").line == 7
    assert one(ev, "failed", "pip", "another-missing-pkg-xyz").line == 10
    assert "missing package install status 256" in ev.printed and "pip3 failed with 1" in ev.printed
    assert "in colab True" in ev.printed
    assert one(ev, "provided", "colab", "drive.mount('/content/drive')").line == 16
    assert one(ev, "provided", "path", "USA_Housing.csv").detail.endswith("as USA_Housing.csv provided by the grader")
    assert one(ev, "provided", "path", "/content/drive/MyDrive/ML/notes.txt").line == 26
    assert one(ev, "provided", "path", "/home/ana/course/numbers.txt").line == 34
    assert "housing rows 20" in ev.printed and "numbers sum 7.0" in ev.printed
    assert "write stays local: 1" in ev.printed
    assert not [n for n in ev.run_notes if "predictions.csv" in n.detail]


@pytest.mark.tf
def test_colab_mnist_notebook_trains_and_is_graded_as_usual(tmp_path: Path, dataset_files) -> None:
    ev = run_corpus(tmp_path, "mnist_colab.ipynb", housing=False, datasets=dataset_files)
    assert ev.run.status is RunStatus.COMPLETED, ev.run.message
    assert one(ev, "skipped", "magic", "%tensorflow_version").cell_index == 1
    assert one(ev, "provided", "pip", "tensorflow").cell_index == 1
    assert one(ev, "provided", "colab", "drive.mount('/content/drive')").cell_index == 2
    assert one(ev, "skipped", "colab", "files.download('mnist.keras')").cell_index == 7
    folder = one(ev, "provided", "path", "G:\\My Drive\\ML\\images")
    assert folder.cell_index == 6 and folder.detail.endswith("as images from the submission's folder")
    assert "image batches 1" in ev.printed
    assert ev.datasets == ["mnist"]
    (model,) = ev.models
    (fit,) = model.fits
    assert fit.finished and fit.epochs_run == 1 and fit.x is not None and fit.x.shape == [512, 28, 28]
    assert "test accuracy" in ev.printed
