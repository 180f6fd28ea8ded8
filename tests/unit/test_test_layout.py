"""The suite's own layout: pytest imports test modules by basename (rootdir-relative, no packages), so
two test files with one name in different folders make collection fail on a fresh clone."""

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent


def test_test_module_names_are_unique():
    names = Counter(p.name for p in TESTS.rglob("test_*.py") if "__pycache__" not in p.parts)
    assert not [n for n, k in names.items() if k > 1], "rename one of each pair: " + ", ".join(
        sorted(n for n, k in names.items() if k > 1))
