"""The weights store: Keras applications' pretrained weight files, filled once by the instructor.

Its own package beside :mod:`grader.datasets` rather than inside it: weights are no dataset (no splits,
nothing the verifier evaluates on), they are fetched through ``keras.applications`` rather than
``keras.datasets``, and the sandbox binds the whole folder rather than named files. Importing this
package never imports TensorFlow or Keras.
"""

from __future__ import annotations

from grader.weights.catalog import APPLICATIONS, application_of, canonical_name
from grader.weights.store import WeightsStore

# ``fetch`` is not re-exported, as in grader.datasets: use ``from grader.weights.fetch import fetch``.
__all__ = ["APPLICATIONS", "WeightsStore", "application_of", "canonical_name"]
