"""``grader package gradescope``: the zip Gradescope's autograder contract expects.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` there once (as root, on its Ubuntu
image) and, for every submission, runs ``run_autograder`` with the student's files in
``/autograder/submission/``; whatever ``/autograder/results/results.json`` then holds is the grade. The zip:

    setup.sh                 installs this grader (the wheel below), the pinned TensorFlow/Keras, bubblewrap
    run_autograder           runs ``grader package autograde`` (see :mod:`grader.package.autograder`)
    grader-<v>-py3-none-any.whl
    grader-package.json      :class:`PackageConfig`: the rubric, data and pins this zip was built with
    rubric/<file>.yaml       the rubric (and the custom-check files it names)
    data/                    the dataset store, when ``--datasets DIR`` was given
    weights/                 the pretrained-weights store, when ``--weights DIR`` was given
"""

from __future__ import annotations

import json
import platform
import re
import tempfile
import zipfile
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

import grader
from grader.errors import ConfigError
from grader.package.pins import Pins, current_pins
from grader.package.wheel import build_wheel

CONFIG_NAME = "grader-package.json"
FORMAT = "grader.gradescope"
VENV = "/opt/grader"  # where setup.sh installs the grader; run_autograder's default interpreter lives there
DATA_DIR, WEIGHTS_DIR, RUBRIC_DIR = "data", "weights", "rubric"
_EPOCH = (1980, 1, 1, 0, 0, 0)
_SAFE_PIN = re.compile(r"^[A-Za-z0-9._-]+==[A-Za-z0-9.+!_-]+$")  # pasted into setup.sh: nothing a shell reads


class PackageConfig(BaseModel):
    """What ``run_autograder`` needs to know about the zip it came in (``grader-package.json``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    format: Literal["grader.gradescope"] = FORMAT
    schema_version: Literal[1] = 1
    grader_version: str
    python: str = Field(description="The Python version that built the zip (and resolved the pins).")
    rubric: str = Field(description="The rubric file, relative to the zip's root.")
    datasets: str | None = Field(None, description="'data' (the zip's folder), 'synthetic', or None: no store.")
    weights: str | None = Field(None, description="'weights' (the zip's folder) or None.")
    submission: str | None = Field(None, description="The file to grade (a name or glob); None: the one "
                                                     "notebook or script the student handed in.")
    hidden_visibility: Literal["hidden", "after_due_date", "after_published"] = "after_published"
    pins: Pins


def _template(name: str) -> str:
    return resources.files("grader.package").joinpath("templates", name).read_text(encoding="utf-8")


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


def setup_script(config: PackageConfig, wheel: str) -> str:
    for pin in config.pins.packages + config.pins.no_deps:
        if not _SAFE_PIN.match(pin):
            raise ConfigError(f"cannot pin {pin!r} in setup.sh: not a plain name==version")
    minor = ".".join(config.python.split(".")[:2])
    return _fill(_template("setup.sh"), {
        "GRADER_VERSION": config.grader_version, "PYTHON": config.python, "PYTHON_MINOR": minor, "VENV": VENV,
        "WHEEL": wheel, "PINS": "\n".join(f'  "{p}"' for p in config.pins.packages),
        "NO_DEPS": "\n".join(f'  "{p}"' for p in config.pins.no_deps)})


def run_script(config: PackageConfig) -> str:
    return _fill(_template("run_autograder"), {"GRADER_VERSION": config.grader_version, "VENV": VENV})


def _custom_files(rubric_path: Path) -> list[Path]:
    """The ``file.py`` custom checks the rubric names, which resolve beside the rubric file."""
    from grader.api import load_rubric

    rubric = load_rubric(rubric_path)
    found = []
    for c in rubric.custom:
        target = c.function.rsplit(":", 1)[0]
        if target.endswith(".py"):
            path = (rubric_path.parent / target).resolve()
            if not path.is_relative_to(rubric_path.parent.resolve()) or not path.is_file():
                raise ConfigError(f"the rubric's custom check {c.function!r} names {target}, which is not a file "
                                  f"beside the rubric: the package can only carry files from the rubric's folder")
            found.append(path)
    return found


def _add_tree(zf: zipfile.ZipFile, folder: Path, prefix: str) -> int:
    count = 0
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            _add(zf, f"{prefix}/{path.relative_to(folder).as_posix()}", path.read_bytes())
            count += 1
    return count


def _add(zf: zipfile.ZipFile, name: str, data: bytes | str, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, _EPOCH)
    info.external_attr = (0o100000 | mode) << 16  # a regular file with these permissions (unzip honours them)
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def build_gradescope_zip(*, rubric: str | Path, out: Path, datasets: str | Path | None = None,
                         weights: str | Path | None = None, submission: str | None = None,
                         hidden_visibility: str = "after_published", pins: Pins | None = None) -> PackageConfig:
    """Write the autograder zip to ``out``; returns the config it carries. Raises ConfigError/RubricError."""
    from grader.rubric.resolve import resolve_rubric

    rubric_path = resolve_rubric(str(rubric))
    custom = _custom_files(rubric_path)  # also validates the rubric: a broken one is refused before anything is written
    data_dir = None if datasets is None or str(datasets) == "synthetic" else Path(datasets)
    if data_dir is not None and not data_dir.is_dir():
        raise ConfigError(f"--datasets {datasets}: not a folder (give a dataset store folder, or 'synthetic')")
    weights_dir = None if weights is None else Path(weights)
    if weights_dir is not None and not weights_dir.is_dir():
        raise ConfigError(f"--weights {weights}: not a folder")
    config = PackageConfig(
        grader_version=grader.__version__, python=platform.python_version(),
        rubric=f"{RUBRIC_DIR}/{rubric_path.name}",
        datasets=None if datasets is None else ("synthetic" if data_dir is None else DATA_DIR),
        weights=None if weights_dir is None else WEIGHTS_DIR, submission=submission,
        hidden_visibility=hidden_visibility, pins=pins or current_pins())  # type: ignore[arg-type]
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(Path(tmp))
        partial = out.with_name(out.name + ".partial")
        with zipfile.ZipFile(partial, "w") as zf:
            _add(zf, "setup.sh", setup_script(config, wheel.name), 0o755)
            _add(zf, "run_autograder", run_script(config), 0o755)
            _add(zf, wheel.name, wheel.read_bytes())
            _add(zf, CONFIG_NAME, json.dumps(config.model_dump(mode="json"), indent=2) + "\n")
            _add(zf, config.rubric, rubric_path.read_bytes())
            for path in custom:
                _add(zf, f"{RUBRIC_DIR}/{path.relative_to(rubric_path.parent.resolve()).as_posix()}", path.read_bytes())
            if data_dir is not None:
                _add_tree(zf, data_dir, DATA_DIR)
            if weights_dir is not None:
                _add_tree(zf, weights_dir, WEIGHTS_DIR)
        partial.replace(out)  # a half-written zip is never left under the name Gradescope is given
    return config


def read_config(source: Path) -> PackageConfig:
    """The config of an unpacked zip (``/autograder/source``); ConfigError when it is missing or not ours."""
    path = source / CONFIG_NAME
    try:
        return PackageConfig.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path} is missing: {source} is not an autograder built by `grader package gradescope`") from None
    except ValueError as exc:
        raise ConfigError(f"{path} cannot be read: {exc}") from None


__all__ = ["CONFIG_NAME", "PackageConfig", "build_gradescope_zip", "read_config", "run_script", "setup_script"]
