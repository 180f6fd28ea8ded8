"""Verifying a model while the run that trained it is still going.

A single ``grader check`` waits for the verifier after the run: a model load, a pass over the test split and the
trained-on-test count, about a second. The count depends only on the fit's rows, which the probe records as the fit
begins (a ``fit_data`` event), so it is counted while the model trains. The probe saves each model as its fit ends,
and whatever the run does after that (evaluate, plots) is time the verifier can use. A speculation sends the
verifier the requests the grade will send, built from the event log so far; the worker keeps what it computed,
keyed by the content it computed it from (grader_verify.Memo), so the request after the run pays only for what
changed since.

Nothing learned here is evidence: the answers are dropped. The grade's own request after the run decides, and a
model trained further since is a new file, so nothing of the old one is reused for it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType

from grader.evidence.assembly import run_so_far
from grader.verify.verifier import Verifier, tried_datasets

# A head start is worth a little of the host's time, not the run's: a submission that trains hundreds of models, or
# writes a huge event log, gets no early requests past these (the grade's own requests are not limited by them).
MAX_EARLY_REQUESTS = 8
MAX_LOG_BYTES = 8 * 2**20


class Speculation:
    """Use as a context manager around the run; pass :meth:`on_fit` as the sandbox's ``on_fit`` hook and call
    :meth:`finish` when the run has ended, before the grade's own requests."""

    def __init__(self, verifier: Verifier, *, hidden: str | None = None):
        self._verifier, self._hidden = verifier, hidden
        self._wake = threading.Event()
        self._out: Path | None = None
        self._done = False
        self._sent: set[tuple[str, str, str]] = set()  # (run folder, model, saved file or the fit whose rows)
        self._thread = threading.Thread(target=self._loop, name="grader-speculation", daemon=True)
        self.requests = 0
        """How many requests (a model, or a begun fit's rows) were sent to the verifier before the run ended."""

    def __enter__(self) -> "Speculation":
        # The worker is started from the calling thread, never from this one: bubblewrap's --die-with-parent would
        # kill it when this thread ends (Verifier.prestart), and the grade's own request would start it again.
        self._verifier.prestart()
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.finish()
        else:  # the run broke (or Ctrl-C): nothing will be graded, so nothing is waited for
            self._done = True
            self._wake.set()

    def on_fit(self, out_dir: Path) -> None:
        """A fit has begun or ended in `out_dir`'s log (called from the runner's poll loop: returns at once)."""
        self._out = out_dir
        self._wake.set()

    def finish(self) -> None:
        """Send nothing more, and wait for the request in flight: the grade's request would wait for it anyway,
        and then finds its answer in the worker's memo."""
        self._done = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._done or self.requests >= MAX_EARLY_REQUESTS:
                return
            try:
                self._speculate(self._out)
            except Exception:
                pass  # a head start that fails costs nothing: the grade asks again after the run

    def _speculate(self, out: Path | None) -> None:
        log = out / "events.jsonl" if out is not None else None
        if log is None or self.requests >= MAX_EARLY_REQUESTS or not log.is_file() or \
                log.stat().st_size > MAX_LOG_BYTES:
            return
        so_far = run_so_far(log)
        models, loaded = so_far.models, so_far.datasets
        ended = {(model.id, fit.index) for model in models for fit in model.fits}
        for begun in so_far.begun:
            # A fit still training: its test-row count depends on its rows alone (the model's request reuses it).
            key = (str(out), begun.model_id, f"rows of fit {begun.index}")
            if self._done or self.requests >= MAX_EARLY_REQUESTS:
                return
            if key in self._sent or (begun.model_id, begun.index) in ended:
                continue
            self._sent.add(key)
            self._verifier.count_overlap(begun, out, tried_datasets(loaded, self._verifier), hidden=self._hidden,
                                         start=False)
            self.requests += 1
        for model in models:
            saved = next((fit.saved_model for fit in reversed(model.fits) if fit.saved_model), None)
            key = (str(out), model.id, saved or "")
            if self._done or self.requests >= MAX_EARLY_REQUESTS:
                return
            if saved is None or key in self._sent:
                continue
            self._sent.add(key)
            self._verifier.verify_model(model, out, tried_datasets(loaded, self._verifier), hidden=self._hidden,
                                        start=False)
            self.requests += 1
