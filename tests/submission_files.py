"""Writes test submissions (scripts and notebooks) to disk; shared by every test folder.

A plain module rather than a conftest import: several conftest.py files exist, and `from
conftest import ...` picks whichever was imported last.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path


def write_submission(folder: Path, name: str, source: str | Sequence[str]) -> Path:
    """Write a script (a string) or a notebook (a list of code cells, or of ("markdown", text)
    pairs) into `folder` and return its path. Source is dedented, so tests can indent it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if name.endswith(".ipynb"):
        import nbformat

        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        for cell in source:
            if isinstance(cell, tuple) and cell[0] == "markdown":
                nb.cells.append(nbformat.v4.new_markdown_cell(textwrap.dedent(cell[1]).strip()))
            else:
                nb.cells.append(nbformat.v4.new_code_cell(textwrap.dedent(str(cell)).strip()))
        nbformat.write(nb, str(path))
    else:
        assert isinstance(source, str)
        path.write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    return path
