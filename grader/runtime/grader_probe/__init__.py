"""The probe: records what a submission builds and trains, from inside its own interpreter.

It is stdlib-only at import time (it runs under whatever interpreter the course uses) and
hooks modules as they are imported, so a student's source is never edited.
"""

from __future__ import annotations

_installed = False
_finished = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    from grader_probe import datasets, figures, importhook, kerasprobe, tfloop

    importhook.install()
    # First: the grader's seeds go in before anything else can draw a random number.
    __import__("grader_probe.seeding").seeding.register()
    __import__("grader_probe.legacy").legacy.register()  # versions used; `import keras` -> tf_keras if legacy
    kerasprobe.register()
    tfloop.register()
    datasets.register()
    figures.register()
    # After kerasprobe: the Keras 2 shims wrap its wrappers, so it records the mapped calls.
    __import__("grader_probe.compat").compat.register()
    __import__("grader_probe.wild").wild.register()  # Colab/laptop code: pip, magics, Drive, paths
    # After wild: its google.colab finder must come before adapt's finder of last resort.
    __import__("grader_probe.adapt").adapt.register()  # the student's machine: GPU, visualisation, relocations


def finish() -> None:
    """Record what only the end of a run shows: figures still open, hand-written trainings, the Keras 2 shims'
    final counts. The driver calls it once the submission's code is done, so that the interpreter's teardown
    (about a second with TensorFlow loaded, and a kernel's shutdown waits on it) can be skipped; the same
    recorders stay registered with atexit for a run that ends without it."""
    global _finished
    import atexit

    from grader_probe import compat, figures, tfloop  # all imported by install()

    if _finished:  # once: a second time would repeat the shims' final counts
        return
    _finished = True
    for recorder in (figures.record_open_figures, tfloop.flush, compat._final_counts):
        atexit.unregister(recorder)
        try:
            recorder()
        except Exception:  # the probe never breaks a run
            pass
