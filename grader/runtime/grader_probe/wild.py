"""Registers the probe's handling of code written for Colab or a laptop (see README, "Notebooks
from Colab and laptops"): shell escapes, magics, the google.colab stand-in and foreign paths."""

from __future__ import annotations


def register() -> None:
    from grader_probe import colab, magics, paths, shellhooks

    shellhooks.register()
    magics.register()
    colab.register()
    paths.register()
