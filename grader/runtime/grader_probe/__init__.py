"""The probe: records what a submission builds and trains, from inside its own interpreter.

It is stdlib-only at import time (it runs under whatever interpreter the course uses) and
hooks modules as they are imported, so a student's source is never edited.
"""

from __future__ import annotations

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    from grader_probe import datasets, figures, importhook, kerasprobe

    importhook.install()
    kerasprobe.register()
    datasets.register()
    figures.register()
