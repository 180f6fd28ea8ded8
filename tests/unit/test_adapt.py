"""Adaptation to the grading machine, the parts that need no TensorFlow: the stand-in GPU list and
its inert configuration calls, nvidia-smi, the finder of last resort (visualkeras, vis_utils, a
missing package named), the Keras relocation helpers on stand-in modules, the notes they write and
how the host folds them, and the ``--adapt`` plumbing. Real runs: tests/integration/test_adaptation.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from grader.evidence.model import CellError
from grader.evidence.notes import ADAPTATION, MISSING_PACKAGE, adaptations, explain, fold_run_notes, link_notes
from grader.evidence.shims import ADAPT_ENV_VAR, adapt_env

RUNTIME = Path(__file__).resolve().parents[2] / "grader" / "runtime"
sys.path.insert(0, str(RUNTIME))
from grader_probe import adapt, adapt_gpu, adapt_keras, events, notes, shell  # noqa: E402


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The probe's event log and folders under tmp_path; `student(code)` runs code as the student's
    file (so the probe places notes at its lines); `read()` gives the notes written."""
    out, work = tmp_path / "out", tmp_path / "work"
    out.mkdir()
    work.mkdir()
    monkeypatch.setenv("GRADER_OUT", str(out))
    monkeypatch.setenv("GRADER_WORK", str(work))
    monkeypatch.delenv(ADAPT_ENV_VAR, raising=False)
    monkeypatch.setattr(events, "_fd", None)
    monkeypatch.setattr(notes, "_seen", set())
    monkeypatch.setattr(shell, "failed_installs", set())

    def student(code: str, **names: Any) -> dict[str, Any]:
        namespace: dict[str, Any] = dict(names)
        exec(compile(code, str(work / "hw.py"), "exec"), namespace)
        return namespace

    def read() -> list[dict]:
        log = out / "events.jsonl"
        lines = log.read_text().splitlines() if log.exists() else []
        return [e for e in map(json.loads, lines) if e["event"] == "run_note"]

    yield student, read
    if events._fd is not None:
        os.close(events._fd)


# --- GPU: the stand-in list and the inert configuration calls -----------------------------------


def test_no_gpu_list_stays_honest_but_answers_an_index_with_a_stand_in() -> None:
    gpus = adapt_gpu.NoGPUs("tf.config.list_physical_devices('GPU')")
    assert len(gpus) == 0 and not gpus and list(gpus) == [] and gpus[:1] == []
    first = gpus[0]
    assert isinstance(first, adapt_gpu.AbsentGPU)
    assert (first.name, first.device_type) == ("/physical_device:GPU:0", "GPU")
    assert first.source == "tf.config.list_physical_devices('GPU')[0]"
    assert gpus[-1].index == 0
    with pytest.raises(TypeError):
        gpus["x"]  # only indexes are answered


def test_lister_substitutes_only_for_the_students_empty_gpu_query(probe) -> None:
    student, _ = probe
    calls: list[Any] = []

    def real(device_type=None):
        calls.append(device_type)
        return ["CPU:0"] if device_type in (None, "CPU") else []

    lister = adapt_gpu._lister(real, "tf.config.list_physical_devices")
    ns = student("gpus = ls('GPU')\ncpus = ls('CPU')\nall_ = ls()\n", ls=lister)
    assert isinstance(ns["gpus"], adapt_gpu.NoGPUs) and ns["cpus"] == ["CPU:0"] and ns["all_"] == ["CPU:0"]
    # A library's own query (not the student's frame) keeps the plain empty list.
    assert type(lister("GPU")) is list
    # On a machine with a GPU the real list comes back untouched.
    with_gpu = adapt_gpu._lister(lambda device_type=None: ["GPU:0"], "tf.config.list_physical_devices")
    assert student("g = ls('GPU')\n", ls=with_gpu)["g"] == ["GPU:0"]


def test_configuring_the_absent_gpu_has_no_effect_with_one_note_per_line(probe, monkeypatch) -> None:
    # The note says "notebook" when ipykernel is loaded; an earlier test in this process may have loaded it.
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    student, read = probe
    seen: list[tuple] = []
    growth = adapt_gpu._inert(lambda *a, **k: seen.append(a), "tf.config.experimental.set_memory_growth")
    visible = adapt_gpu._inert(lambda *a, **k: seen.append(a), "tf.config.set_visible_devices")
    code = ("gpus = NoGPUs(\"tf.config.list_physical_devices('GPU')\")\n"
            "set_memory_growth(gpus[0], True)\n"
            "set_visible_devices([gpus[0]], 'GPU')\n"
            "set_memory_growth('a real device', True)\n")
    student(code, NoGPUs=adapt_gpu.NoGPUs, set_memory_growth=growth, set_visible_devices=visible)
    assert seen == [("a real device", True)]  # a real device goes to TensorFlow as written
    written = read()
    assert [(n["kind"], n["topic"], n["line"]) for n in written] == [("skipped", "adaptation", 2), ("skipped", "adaptation", 3)]
    assert written[0]["detail"].startswith("this code assumes a GPU; the grader has none: line 2 had no effect")
    assert "set_memory_growth(tf.config.list_physical_devices('GPU')[0]" in written[0]["detail"]


def test_device_scope_availability_and_mixed_precision_run_as_written_with_a_note(
        probe, monkeypatch: pytest.MonkeyPatch) -> None:
    student, read = probe
    monkeypatch.setattr(adapt_gpu, "_state", {"absent": True})
    scopes: list[str] = []
    device = adapt_gpu._device(lambda name: scopes.append(name) or name)
    available = adapt_gpu._is_gpu_available(lambda *a, **k: pytest.fail("asked TensorFlow on a machine with no GPU"))
    policies: list[str] = []
    dtype_policy = types.ModuleType("dtype_policy")
    dtype_policy.set_dtype_policy = lambda policy: policies.append(policy)
    adapt_gpu._on_dtype_policy(dtype_policy)
    ns = student("d = device('/GPU:0')\nok = available()\nset_policy('mixed_float16')\nset_policy('float32')\n"
                 "c = device('/CPU:0')\n", device=device, available=available, set_policy=dtype_policy.set_dtype_policy)
    # Each call still does what the student wrote: the scope is TensorFlow's, the policy is theirs.
    assert scopes == ["/GPU:0", "/CPU:0"] and ns["ok"] is False and policies == ["mixed_float16", "float32"]
    got = [(n["kind"], n["line"]) for n in read()]
    assert got == [("ran", 1), ("ran", 2), ("ran", 3)]
    assert "mixed_float16" in read()[2]["detail"] and "student's choice" in read()[2]["detail"]
    # With a GPU, nothing is noted and TensorFlow answers.
    monkeypatch.setattr(adapt_gpu, "_state", {"absent": False})
    assert adapt_gpu._is_gpu_available(lambda: True)() is True


def test_nvidia_smi_is_answered_only_where_there_is_no_gpu(probe, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _, read = probe
    argv = ["nvidia-smi"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert shell.classify(argv).kind == "gpu"
    ran: list[str] = []
    code = shell.handle("nvidia-smi", lambda part: ran.append(part) or 9, lambda text: None)
    assert (code, ran) == (0, [])
    (note,) = read()
    assert (note["kind"], note["topic"]) == ("skipped", "adaptation") and "`nvidia-smi` had no effect" in note["detail"]
    # A run given a GPU (and a machine with nvidia-smi) runs it as written.
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "nvidia-smi").write_text("#!/bin/sh\nexit 0\n")
    (fake / "nvidia-smi").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ.get('PATH', '')}")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    assert shell.classify(argv).kind == "run"
    # --adapt none: as written, whatever the machine.
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    monkeypatch.setenv(ADAPT_ENV_VAR, "none")
    assert shell.classify(argv).kind == "run"


def test_pip_install_of_a_drawing_package_is_skipped_for_its_stand_in(probe, monkeypatch: pytest.MonkeyPatch) -> None:
    _, read = probe
    action = shell.classify(["pip", "install", "visualkeras", "course-helpers-xyz"])
    code, out = shell.pip_install(action)
    assert code == 1 and "visualkeras skipped" in out  # the other package still fails, named
    got = [(n["kind"], n["topic"], n["subjects"]) for n in read()]
    assert got == [("skipped", "adaptation", ["visualkeras"]), ("failed", "pip", ["course-helpers-xyz"])]
    # Its import then fails under the pip note alone; a package nobody tried to install gets its own note.
    adapt.note_missing("course_helpers_xyz")
    adapt.note_missing("other_missing_xyz")
    assert [n["subjects"] for n in read()[2:]] == [["other_missing_xyz"]]
    monkeypatch.setenv(ADAPT_ENV_VAR, "none")
    code, out = shell.pip_install(shell.classify(["pip", "install", "visualkeras"]))
    assert code == 1 and "visualkeras failed" in out


# --- Keras relocations, on stand-in modules ----------------------------------------------------


def test_relocated_names_are_served_with_a_note_at_the_students_line(probe) -> None:
    student, read = probe
    module = types.ModuleType("keras.models")
    adapt_keras._serve(module, ("InputLayer",), lambda name: f"served {name}", "served keras.layers.InputLayer")
    ns = student("x = 1\nlayer = models.InputLayer\n", models=module)
    assert ns["layer"] == "served InputLayer"
    with pytest.raises(AttributeError):
        module.Nothing
    (note,) = read()
    assert (note["kind"], note["topic"], note["line"]) == ("provided", "adaptation", 2)
    assert note["detail"].startswith("keras.models.InputLayer is not in this Keras")
    # A second __getattr__ installed later (compat's) still reaches the earlier one's names.
    adapt_keras._serve(module, ("InputLayer",), lambda name: "again", "")
    assert module.InputLayer == "served InputLayer"


def test_a_model_saved_without_extension_is_saved_as_keras_and_read_back(probe, tmp_path: Path) -> None:
    student, read = probe
    saved: list[str] = []
    loaded: list[str] = []
    api = types.ModuleType("saving_api")

    def save_model(model, filepath, **kwargs):
        assert "save_format" not in kwargs
        saved.append(filepath)
        Path(filepath).write_text("model")

    api.save_model = save_model
    api.load_model = lambda filepath, **kwargs: loaded.append(filepath) or "model"
    adapt_keras._on_saving_api(api)
    folder = tmp_path / "work"
    student(f"save(None, {str(folder / 'my_model')!r}, save_format='tf')\n"
            f"save(None, {str(folder / 'kept.keras')!r})\n"
            f"m = load({str(folder / 'my_model')!r})\n"
            f"load({str(folder / 'other')!r})\n", save=api.save_model, load=api.load_model)
    assert saved == [str(folder / "my_model.keras"), str(folder / "kept.keras")]
    assert loaded == [str(folder / "my_model.keras"), str(folder / "other")]
    details = [n["detail"] for n in read()]
    assert len(details) == 2 and "was saved as" in details[0] and "read" in details[1]
    assert adapt_keras._no_extension("m.h5") is None and adapt_keras._no_extension(Path("dir")) == "dir"


# --- the finder of last resort, in a real interpreter (no TensorFlow) -------------------------


def _run_probe(tmp_path: Path, code: str, **env: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    work, out = tmp_path / "w", tmp_path / "o"
    work.mkdir(exist_ok=True)
    out.mkdir(exist_ok=True)
    (out / "events.jsonl").unlink(missing_ok=True)
    (work / "hw.py").write_text(code)
    environ = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(RUNTIME), "GRADER_OUT": str(out),
               "GRADER_WORK": str(work), **env}
    proc = subprocess.run([sys.executable, "hw.py"], cwd=work, env=environ, capture_output=True, text=True, timeout=60)
    log = out / "events.jsonl"
    events_ = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return proc, [e for e in events_ if e["event"] == "run_note"]


STANDINS = """
import visualkeras
picture = visualkeras.layered_view(object(), legend=True, to_file="model.png")
picture.show()
print("drew:", picture)
from keras.utils.vis_utils import plot_model, model_to_dot
plot_model(object(), to_file="m.png")
svg = model_to_dot(object(), show_shapes=True).create(prog="dot", format="svg")
assert svg.startswith(b"<svg")
try:
    import course_helpers_xyz
except ModuleNotFoundError as exc:
    print("missing:", exc.name)
"""


def test_visual_only_packages_are_stand_ins_and_a_missing_package_is_named(tmp_path: Path) -> None:
    proc, written = _run_probe(tmp_path, STANDINS)
    assert proc.returncode == 0, proc.stderr
    assert "drew: [grader] visualkeras.layered_view drew nothing" in proc.stdout
    assert "missing: course_helpers_xyz" in proc.stdout
    assert not (tmp_path / "w" / "model.png").exists()
    got = [(n["kind"], n["topic"], n["line"]) for n in written]
    assert got == [("provided", "adaptation", 2), ("skipped", "adaptation", 3), ("provided", "adaptation", 6),
                   ("skipped", "adaptation", 7), ("skipped", "adaptation", 8), ("failed", "package", 11)]
    assert "model.png was not written" in written[1]["detail"]
    assert "grader --python" in written[-1]["detail"] and written[-1]["subjects"] == ["course_helpers_xyz"]


def test_adapt_none_runs_the_code_as_written(tmp_path: Path) -> None:
    proc, written = _run_probe(tmp_path, STANDINS, GRADER_ADAPT="none")
    assert proc.returncode == 1 and "No module named 'visualkeras'" in proc.stderr
    assert written == []


def test_a_librarys_optional_import_is_not_the_students_missing_package(tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "optional_user.py").write_text("try:\n    import some_optional_accelerator_xyz\nexcept ImportError:\n    pass\n")
    proc, written = _run_probe(tmp_path, f"import sys\nsys.path.insert(0, {str(lib)!r})\nimport optional_user\n")
    assert proc.returncode == 0, proc.stderr
    assert written == []


# --- the host side ------------------------------------------------------------------------------


def test_adaptation_notes_fold_and_a_missing_package_explains_the_error() -> None:
    evs = [{"event": "cell_start", "index": 0},
           {"event": "run_note", "kind": "skipped", "topic": ADAPTATION, "line": 3,
            "detail": "this notebook assumes a GPU; the grader has none: line 3 had no effect"},
           {"event": "cell_start", "index": 2},
           {"event": "run_note", "kind": "failed", "topic": MISSING_PACKAGE, "line": 1, "subjects": ["cv2"],
            "detail": "import cv2 failed: cv2 is not in the grader's environment"}]
    folded = fold_run_notes(evs)
    assert [(n.topic, n.cell_index, n.line) for n in folded] == [(ADAPTATION, 0, 3), (MISSING_PACKAGE, 2, 1)]
    assert [n.detail for n in adaptations(folded)] == [folded[0].detail]
    error = CellError(cell_index=2, ename="ModuleNotFoundError", evalue="No module named 'cv2'")
    linked = link_notes(folded, [error], None)
    assert [n.caused_error for n in linked] == [False, True]
    assert explain("cell 2 raised ModuleNotFoundError", linked).endswith("(because import cv2 failed: cv2 is not in "
                                                                           "the grader's environment)")
    # An adaptation never explains an error: it is what kept the code running.
    other = CellError(cell_index=0, ename="IndexError", evalue="list index out of range")
    assert not any(n.caused_error for n in link_notes(folded[:1], [other], None))


def test_adaptation_notes_are_in_the_report_the_summary_and_the_json() -> None:
    import test_report_samples as samples

    from grader.evidence.model import RunNote
    from grader.render.exports.json import render_json
    from grader.render.html.report import render_report
    from grader.render.terminal import render_summary

    detail = "this notebook assumes a GPU; the grader has none: line 3 had no effect"
    result = samples.good_result()
    ev = result.evidence.evidence.model_copy(update={"run_notes": [
        RunNote(kind="skipped", topic="adaptation", detail=detail, cell_index=0, line=3)]})
    result = result.model_copy(update={"evidence": result.evidence.model_copy(update={"evidence": ev})})
    assert detail in render_report(result)
    assert f"[skipped] cell 0, line 3: {detail}" in render_summary(result)
    assert json.loads(render_json(result))["evidence"]["evidence"]["run_notes"][0]["topic"] == "adaptation"


def test_adapt_modes_reach_the_sandbox_and_the_store_key() -> None:
    from grader.pipeline.store import environment

    assert adapt_env(None) == {} and adapt_env("on") == {} and adapt_env("none") == {ADAPT_ENV_VAR: "none"}
    with pytest.raises(ValueError):
        adapt_env("off")
    base = environment({})
    assert environment({}, adapt="on") == base  # on is the default: stored keys stay what they were
    assert environment({}, adapt="none") == {**base, "adapt": "none"}


def test_cli_commands_take_adapt(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from grader.cli.app import main

    runner = CliRunner()
    for command in ("run", "check", "grade"):
        text = runner.invoke(main, [command, "--help"]).output
        assert "--adapt [on|none]" in text, command
    bad = runner.invoke(main, ["run", __file__, "--adapt", "off"])
    assert bad.exit_code == 2 and "off" in bad.output


def test_run_submission_refuses_an_unknown_mode(tmp_path: Path) -> None:
    from grader.api import run_submission
    from grader.errors import ConfigError

    script = tmp_path / "hw.py"
    script.write_text("print(1)\n")
    with pytest.raises(ConfigError, match="adaptation mode"):
        run_submission(script, adapt="off")
