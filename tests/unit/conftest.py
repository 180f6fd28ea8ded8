"""Unit-test options and fixtures: golden files with an update switch.

``pytest --update-golden`` (option declared in tests/conftest.py) rewrites the files under tests/golden/ from the current output;
review the diff before committing it.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden"


def _updating(config: pytest.Config) -> bool:
    # The environment variable also works where this conftest is not an initial one (plain `pytest`).
    try:
        flag = bool(config.getoption("--update-golden"))
    except ValueError:
        flag = False
    return flag or os.environ.get("GRADER_UPDATE_GOLDEN") == "1"


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """``golden(name, text)``: compare text with tests/golden/<name>, or write it when updating."""
    updating = _updating(request.config)

    def check(name: str, text: str) -> None:
        path = GOLDEN_DIR / name
        if updating:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="")
            return
        if not path.exists():
            pytest.fail(f"no golden file {path}; run `pytest tests/unit --update-golden` to create it")
        expected = path.read_bytes().decode("utf-8")  # byte-exact: CSV line ends are part of the format
        if text != expected:
            diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                                f"golden/{name}", "current", n=2))
            pytest.fail(f"output differs from golden/{name} (run with --update-golden if intended):\n{diff[:6000]}")

    return check
