"""Datasets for submissions and the verifier: the store, the catalog, and synthetic stand-ins.

Importing this package never imports TensorFlow, Keras or pandas.
"""

from __future__ import annotations

from grader.datasets.catalog import CATALOG, DatasetSpec, get_spec
from grader.datasets.store import DatasetStore, keras_cache_dir

# ``fetch`` is deliberately not re-exported: binding the function here would shadow the
# ``grader.datasets.fetch`` module. Use ``from grader.datasets.fetch import fetch``.
__all__ = ["CATALOG", "DatasetSpec", "DatasetStore", "get_spec", "keras_cache_dir"]
