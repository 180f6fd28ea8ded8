"""The ``--python`` and ``--runtime`` options shared by ``grader run``, ``grader check`` and ``grader grade``."""

from __future__ import annotations

from typing import Callable, TypeVar

import click

from grader.intake.environments import RUNTIMES

F = TypeVar("F", bound=Callable[..., object])


def environment_options(fn: F) -> F:
    fn = click.option(
        "--runtime", type=click.Choice(list(RUNTIMES)), default=None,
        help="keras: the environment's own tf.keras/keras (Keras 3 on TensorFlow >= 2.16); tf-keras: the legacy "
             "Keras 2 runtime (TF_USE_LEGACY_KERAS=1, and `import keras` gives tf_keras). Default: the rubric's "
             "environment.runtime, else a named environment's, else keras.")(fn)
    return click.option(
        "--python", "python", metavar="PATH|NAME", default=None,
        help="Run submissions under this interpreter: a Python executable, a virtual environment folder, or a "
             "name from the environments file ($GRADER_ENVIRONMENTS, else ~/.config/grader/environments.yaml). "
             "Default: the rubric's environment.python, else the grader's own interpreter.")(fn)


__all__ = ["environment_options"]
