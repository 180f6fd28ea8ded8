"""The ``--compat`` option shared by ``grader run``, ``grader check`` and ``grader grade``."""

from __future__ import annotations

from typing import Callable, TypeVar

import click

from grader.evidence.shims import COMPAT_MODES

F = TypeVar("F", bound=Callable[..., object])
OFF = "none"


def compat_option(fn: F) -> F:
    return click.option(
        "--compat", type=click.Choice([*COMPAT_MODES, OFF]), default=None,
        help="keras2: let Keras 2 calls (SGD(lr=...), np_utils, predict_classes, history['acc'], nb_epoch, "
             "fit_generator, ...) run on Keras 3 and list each one forgiven; none: plain Keras 3. "
             "Default: the rubric's limits.compat, else none.")(fn)


def resolve_compat(option: str | None, rubric_default: str | None = None) -> str | None:
    """The mode a run gets: the option when given (``none`` turns a rubric's mode off), else the rubric's."""
    if option is None:
        return rubric_default
    return None if option == OFF else option


__all__ = ["OFF", "compat_option", "resolve_compat"]
