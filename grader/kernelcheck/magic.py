"""``%load_ext grader``: the ``%grader_check RUBRIC`` magic, and a recorder for the figures Jupyter closes."""

from __future__ import annotations

from typing import Any


def load(ipython: Any) -> None:
    from grader.kernelcheck.figures import install_recorder

    install_recorder(ipython)

    def grader_check(line: str) -> None:
        """%grader_check RUBRIC: self-check this kernel against a bundled rubric's name or a rubric file."""
        from grader.kernelcheck.check import selfcheck

        ref = line.strip().strip("'\"")
        if not ref:
            print("usage: %grader_check RUBRIC   (a bundled rubric's name, e.g. nn-basics-keras, or a .yaml file)")
            return
        selfcheck(ref, namespace=ipython.user_ns)

    ipython.register_magic_function(grader_check, magic_kind="line", magic_name="grader_check")
