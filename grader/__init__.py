"""grader: automated grading of TensorFlow/Keras exercise submissions."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def selfcheck(rubric: Any, *, namespace: Any = None) -> None:
    """Self-check the Keras models, histories and figures in this kernel against ``rubric`` and show the result.

    Not a verified grade: see :mod:`grader.kernelcheck`. Imported on call, so ``import grader`` stays cheap.
    """
    from grader.kernelcheck.check import selfcheck as run

    run(rubric, namespace=namespace)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext grader``: adds ``%grader_check RUBRIC`` and records figures before Jupyter closes them."""
    from grader.kernelcheck.magic import load

    load(ipython)
