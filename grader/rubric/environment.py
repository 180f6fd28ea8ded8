"""The rubric's ``environment``: which interpreter and Keras runtime a course's submissions run under."""

from __future__ import annotations

from pydantic import Field

from grader.evidence.model import Runtime
from grader.rubric.types import RubricModel


class EnvironmentSpec(RubricModel):
    """Where submissions of this exercise run (see grader.intake.environments); `grader run/check/grade
    --python/--runtime` override it. Unset: the grader's own interpreter and Keras."""

    python: str | None = Field(
        None, description="Interpreter for the submissions: a path to a Python executable, a virtual environment's "
        "folder (its bin/python3 is used), or the name of an environment in the environments file "
        "($GRADER_ENVIRONMENTS, else ~/.config/grader/environments.yaml). A relative path is relative to the "
        "rubric file. Unset: the grader's own interpreter.")
    runtime: Runtime | None = Field(
        None, description="'keras': tf.keras and keras are whatever the environment installs (Keras 3 with "
        "TensorFlow >= 2.16). 'tf-keras': the legacy runtime for Keras 2 courses: TF_USE_LEGACY_KERAS=1 and a "
        "standalone `import keras` both give tf_keras (which must be installed, matching TensorFlow's minor "
        "version). Unset: a named environment's runtime, else 'keras'.")
