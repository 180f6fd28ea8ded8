"""The weights store and its command, without TensorFlow: where the store is, what it accepts (real
HDF5 files under Keras's names), the application catalog kept in step with the probe's and with the
file names Keras's own source asks for, and ``grader weights list|fetch`` exit codes. The download
itself and a real Keras weight file: tests/integration/test_data_elsewhere.py."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from grader.cli.app import main
from grader.errors import ConfigError, DatasetError, ExitCode
from grader.weights import catalog
from grader.weights.fetch import fetch
from grader.weights.store import WeightsStore, default_folder

RUNTIME = Path(__file__).resolve().parents[2] / "grader" / "runtime"
sys.path.insert(0, str(RUNTIME))
from grader_probe import weights as probe_weights  # noqa: E402

MOBILENET = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5"


def _h5(path: Path) -> Path:
    with h5py.File(path, "w") as fh:
        fh.create_dataset("kernel", data=np.zeros((3, 3), np.float32))
    return path


def test_the_store_is_the_option_else_the_variable_else_the_cache(tmp_path: Path) -> None:
    explicit, env = tmp_path / "a", tmp_path / "b"
    explicit.mkdir()
    env.mkdir()
    environ = {"GRADER_WEIGHTS": str(env), "GRADER_CACHE": str(tmp_path / "cache")}
    assert WeightsStore.resolve(explicit, environ=environ) == WeightsStore(explicit.resolve(), "explicit")
    assert WeightsStore.resolve(None, environ=environ) == WeightsStore(env.resolve(), "env")
    cached = WeightsStore.resolve(None, environ={"GRADER_CACHE": str(tmp_path / "cache")})
    assert cached.origin == "cache" and cached.root == (tmp_path / "cache" / "weights").resolve()
    assert cached.files() == [] and cached.sandbox_folder() is None  # absent: an empty store, nothing to bind
    assert default_folder({}) == Path.home() / ".cache" / "grader" / "weights"


def test_a_named_folder_must_exist_unless_it_is_being_filled(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        WeightsStore.resolve(tmp_path / "typo", environ={})
    with pytest.raises(ConfigError, match=r"\$GRADER_WEIGHTS"):
        WeightsStore.resolve(None, environ={"GRADER_WEIGHTS": str(tmp_path / "typo")})
    made = WeightsStore.resolve(tmp_path / "new", environ={}, create=True)
    assert made.root.is_dir() and made.sandbox_folder() == made.root


def test_the_store_takes_real_weight_files_under_kerass_names(tmp_path: Path) -> None:
    store = WeightsStore(tmp_path / "store")
    target = store.add(_h5(tmp_path / "any-name.h5"), MOBILENET)
    assert target == store.root / MOBILENET and store.find(MOBILENET) == target
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)  # the sandbox's unprivileged user reads it
    (file,) = store.files()
    assert (file.name, file.application) == (MOBILENET, "MobileNetV2") and file.size == target.stat().st_size
    assert store.of("MobileNetV2") == [file] and store.of("VGG16") == []
    not_hdf5 = tmp_path / "vgg16_weights_tf_dim_ordering_tf_kernels.h5"
    not_hdf5.write_bytes(b"<html>rate limited</html>")
    with pytest.raises(DatasetError, match="not an HDF5 file"):
        store.add(not_hdf5)
    with pytest.raises(DatasetError, match="not the name of a Keras application weight file"):
        store.add(_h5(tmp_path / "my_model.h5"))
    index = tmp_path / "imagenet_class_index.json"
    index.write_text('{"0": ["n01440764", "tench"]}')
    assert store.add(index).name == "imagenet_class_index.json"
    assert [f.name for f in store.files()] == ["imagenet_class_index.json", MOBILENET]


@pytest.mark.parametrize("typed, name", [("vgg16", "VGG16"), ("mobilenet_v2", "MobileNetV2"),
                                         ("ResNet50", "ResNet50"), ("efficientnet-b0", "EfficientNetB0"),
                                         ("convnexttiny", "ConvNeXtTiny")])
def test_application_names_as_people_type_them(typed: str, name: str) -> None:
    assert catalog.canonical_name(typed) == name


def test_an_unknown_application_is_a_usage_error_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown Keras application 'VGG61'"):
        fetch("VGG61", WeightsStore(tmp_path))
    with pytest.raises(DatasetError, match="MobileNet"):
        fetch("VGG16", WeightsStore(tmp_path), alpha=0.5)


def test_the_probe_names_files_as_the_catalog_does() -> None:
    assert probe_weights.FILE_PATTERNS == catalog.FILE_PATTERNS


def _keras_weight_file_names() -> set[str]:
    """Every complete weight file name written as a literal in Keras's applications (read, not imported)."""
    spec = importlib.util.find_spec("keras")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("keras is not installed")
    folder = Path(list(spec.submodule_search_locations)[0]) / "src" / "applications"
    names: set[str] = set()
    for source in folder.glob("*.py"):
        if source.name.endswith("_test.py"):
            continue
        text = re.sub(r"\"\s+f?\"", "", source.read_text())  # "a_" "b.h5" over two lines is one literal
        names |= set(re.findall(r"[\"'/]([A-Za-z][A-Za-z0-9_.\-]*\.h5)[\"']", text))
    return names


def test_every_weight_file_keras_asks_for_by_name_belongs_to_a_known_application() -> None:
    names = _keras_weight_file_names()
    assert len(names) >= 15, names  # the test read Keras's sources, not nothing
    for name in sorted(names):
        app = catalog.application_of(name)
        assert app in catalog.APPLICATIONS, f"{name} -> {app}"


def test_weights_list_shows_the_store_and_an_empty_store_says_how_to_fill_it(tmp_path: Path) -> None:
    runner = CliRunner()
    empty = runner.invoke(main, ["weights", "list", "--weights", str(tmp_path)])
    assert empty.exit_code == ExitCode.OK and "grader weights fetch NAME" in empty.output
    WeightsStore(tmp_path).add(_h5(tmp_path / "x.h5"), MOBILENET)
    listed = runner.invoke(main, ["weights", "list", "--weights", str(tmp_path)])
    assert listed.exit_code == ExitCode.OK
    assert re.search(rf"MobileNetV2\s+{re.escape(MOBILENET)}", listed.output)


def test_weights_commands_exit_with_the_usage_code_for_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    unknown = runner.invoke(main, ["weights", "fetch", "NoSuchNet", "--weights", str(tmp_path)])
    assert unknown.exit_code == ExitCode.USAGE and "unknown Keras application" in unknown.output
    missing = runner.invoke(main, ["weights", "list", "--weights", str(tmp_path / "typo")])
    assert missing.exit_code == ExitCode.USAGE and "does not exist" in missing.output


def test_the_weights_option_serves_its_folder_to_every_run_and_refuses_a_typo(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    import click

    from grader.cli.exits import GraderCommand
    from grader.cli.options import weights_option

    monkeypatch.delenv("GRADER_WEIGHTS", raising=False)  # restored after the test: the option sets it

    @click.command(cls=GraderCommand)
    @weights_option
    def show() -> None:
        click.echo(os.environ.get("GRADER_WEIGHTS", "unset"))

    store = tmp_path / "store"
    store.mkdir()
    runner = CliRunner()
    assert runner.invoke(show, []).output.strip() == "unset"
    assert runner.invoke(show, ["--weights", str(store)]).output.strip() == str(store.resolve())
    script = tmp_path / "hw.py"
    script.write_text("print(1)\n")
    typo = runner.invoke(main, ["run", str(script), "--weights", str(tmp_path / "typo")])
    assert typo.exit_code == ExitCode.USAGE and "does not exist" in typo.output


def test_a_filled_weights_store_is_part_of_the_results_stores_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.pipeline.store import environment

    store = tmp_path / "weights"
    store.mkdir()
    monkeypatch.setenv("GRADER_WEIGHTS", str(store))
    empty = environment()
    assert not [k for k in empty if k.startswith("weights:")]  # an empty store keeps the keys stored before
    WeightsStore(store).add(_h5(tmp_path / "x.h5"), MOBILENET)
    filled = environment()
    assert filled[f"weights:{MOBILENET}"] == str((store / MOBILENET).stat().st_size)
    assert {k: v for k, v in filled.items() if not k.startswith("weights:")} == empty
