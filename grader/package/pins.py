"""The exact versions of what the grader runs on, read from the environment that builds a package.

A package installs these elsewhere (Gradescope's image, a CI runner), so the submissions it grades run on
the TensorFlow and Keras the instructor tested with, not on whatever is newest that day.
"""

from __future__ import annotations

import importlib.metadata
import re

from pydantic import BaseModel, ConfigDict

from grader.package.wheel import DIST

# Extras that belong to grading itself (not tests, benchmarks or a Ray cluster).
RUNTIME_EXTRAS = ("tf", "tf-gpu", "legacy", "course")
# What TensorFlow brings in that decides how submissions behave, pinned as well.
ALSO_PINNED = ("keras",)
# tf_keras requires the `tensorflow` distribution; beside tensorflow-cpu it installs without dependencies.
NO_DEPS_BESIDE_CPU = ("tf_keras",)

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


class Pins(BaseModel):
    """``name==version`` requirements: ``packages`` installed normally, ``no_deps`` with ``--no-deps``."""

    model_config = ConfigDict(frozen=True)
    packages: tuple[str, ...]
    no_deps: tuple[str, ...] = ()


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def runtime_requirements() -> list[str]:
    """The names the grader depends on to grade: its plain dependencies and the runtime extras'."""
    try:
        requires = importlib.metadata.requires(DIST) or []
    except importlib.metadata.PackageNotFoundError:
        requires = []
    names = []
    for req in requires:
        extra = _EXTRA.search(req)
        match = _NAME.match(req)
        if match and (extra is None or extra.group(1) in RUNTIME_EXTRAS):
            names.append(match.group(1))
    return list(dict.fromkeys(names + list(ALSO_PINNED)))


def current_pins() -> Pins:
    """Every runtime requirement that is installed here, pinned to the version installed here."""
    packages, no_deps = [], []
    cpu_only = _installed("tensorflow-cpu") is not None and _installed("tensorflow") is None
    for name in runtime_requirements():
        version = _installed(name)
        if version is None:
            continue
        pin = f"{name}=={version}"
        (no_deps if cpu_only and _norm(name) in {_norm(n) for n in NO_DEPS_BESIDE_CPU} else packages).append(pin)
    return Pins(packages=tuple(packages), no_deps=tuple(no_deps))


__all__ = ["Pins", "current_pins", "runtime_requirements"]
