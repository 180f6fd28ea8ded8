"""The sandbox probe's own description functions, loaded into the student's kernel.

The probe (grader/runtime/grader_probe) is stdlib-only at import and never imports ``grader``, so its
modules load here as they do in the sandbox: the self-check describes a live model exactly as the
probe does after ``compile``/``fit``, and the evidence cannot drift between the two.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

PROBE_DIR = Path(__file__).resolve().parent.parent / "runtime" / "grader_probe"


def probe_module(name: str) -> ModuleType:
    """``grader_probe.<name>``: the one already loaded (inside the sandbox), else the package's copy."""
    if "grader_probe" not in sys.modules:
        # Registered by file, not by adding grader/runtime to sys.path: that folder also holds a
        # sitecustomize and the verifier's worker, which must not shadow anything in the student's kernel.
        spec = importlib.util.spec_from_file_location("grader_probe", PROBE_DIR / "__init__.py",
                                                      submodule_search_locations=[str(PROBE_DIR)])
        if spec is None or spec.loader is None:  # pragma: no cover - a broken installation
            raise ImportError(f"the grader's probe is missing from {PROBE_DIR}")
        module = importlib.util.module_from_spec(spec)
        sys.modules["grader_probe"] = module
        spec.loader.exec_module(module)
    return importlib.import_module(f"grader_probe.{name}")
