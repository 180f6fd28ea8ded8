"""The self-check in the student's own kernel: ``grader.selfcheck("nn-basics-keras")``, ``%grader_check``.

It reads the Keras models, fit histories and figures alive in the kernel, describes them with the
probe's own snapshot functions, folds them into the same :class:`~grader.evidence.model.Evidence` the
sandbox run produces and grades that with the same rubric checks. Nothing is run, re-run or sent
anywhere. It is not a grade: nothing is verified, and the criteria that only the full grader can decide
(verified metrics, answers read from the notebook's text, saved models) are skipped with the reason
(:class:`~grader.kernelcheck.result.Deferred`).

The package is not called ``selfcheck`` because ``grader.selfcheck`` is the function: importing a
subpackage of that name would replace the function on the ``grader`` module.
"""

from __future__ import annotations

from grader.kernelcheck.check import inspect_kernel, selfcheck
from grader.kernelcheck.result import Deferred, FullGraderOnly, SelfCheck

__all__ = ["Deferred", "FullGraderOnly", "SelfCheck", "inspect_kernel", "selfcheck"]
