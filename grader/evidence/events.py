"""The event types of the probe's event log, as one enum the folding code dispatches on.

The probe (:mod:`grader_probe.events`, stdlib-only inside the sandbox) writes JSON lines whose
``event`` field names one of these; the host reads them back in :mod:`grader.evidence.assembly` and its
helpers. The values are the strings on the wire, so the log's format does not change. An event the host
does not know (a newer probe's) reads as None and is skipped, never trusted.
"""

from __future__ import annotations

from grader.evidence.model import Word


class ProbeEvent(Word):
    RUN_START = "run_start"
    RUN_END = "run_end"
    VERSIONS = "versions"
    NOTEBOOK = "notebook"
    CELL_START = "cell_start"
    CELL_END = "cell_end"
    CELL_ERROR = "cell_error"
    COMPILE = "compile"
    FIT_DATA = "fit_data"
    """A fit's training inputs (their fingerprint and row signatures), as the fit begins."""
    FIT_START = "fit_start"
    EPOCH = "epoch"
    FIT_ESTIMATE = "fit_estimate"
    FIT = "fit"
    EVALUATE = "evaluate"
    FIGURE = "figure"
    DATASET = "dataset"
    DATASET_MISSING = "dataset_missing"
    WEIGHTS_LOADED = "weights_loaded"
    CUSTOM_TRAINING = "custom_training"
    RUN_NOTE = "run_note"
    COMPAT = "compat"
    COMPAT_SHIM = "compat_shim"
    TIME_LIMIT = "time_limit"
    PROBE_WARNING = "probe_warning"
    SEEDING = "seeding"
    SEED_SET = "seed_set"
    DETERMINISM_FAILED = "determinism_failed"
    DROPPED = "dropped"
    """The probe's stand-in for an event too large to write."""


MODEL_EVENTS = (ProbeEvent.COMPILE, ProbeEvent.FIT, ProbeEvent.EVALUATE)
"""Events that carry a snapshot of a model."""

__all__ = ["MODEL_EVENTS", "ProbeEvent"]
