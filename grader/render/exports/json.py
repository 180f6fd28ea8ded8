"""JSON export of the full public result, and loading stored results back for re-rendering.

A result file is exactly ``GradeResult.model_dump(mode="json")``: it carries ``schema_version``, so a
reader can refuse what a newer grader wrote instead of misreading it. A bundle of several results is
``{"format": "grader.results", "schema_version": N, "results": [...]}``. A student's copy
(:func:`grader.render.audience.for_audience`) is the same schema with what it withholds emptied.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grader.errors import ConfigError
from grader.grading.result import GRADE_SCHEMA_VERSION, GradeResult

BUNDLE_FORMAT = "grader.results"
MAX_RESULT_BYTES = 64 * 1024 * 1024


def result_data(result: GradeResult) -> dict[str, Any]:
    return result.model_dump(mode="json")


def render_json(result: GradeResult, *, indent: int | None = 2) -> str:
    """The result as stored: pass the copy for its audience (:func:`grader.render.audience.for_audience`)."""
    return json.dumps(result_data(result), indent=indent, ensure_ascii=False, sort_keys=False) + "\n"


def render_bundle(results: Sequence[GradeResult]) -> str:
    return json.dumps({"format": BUNDLE_FORMAT, "schema_version": GRADE_SCHEMA_VERSION,
                       "results": [result_data(r) for r in results]}, indent=2, ensure_ascii=False) + "\n"


def _parse(data: Any, where: str) -> GradeResult:
    if not isinstance(data, dict) or "schema_version" not in data:
        raise ConfigError(f"{where}: not a grade result (no schema_version)")
    if data["schema_version"] > GRADE_SCHEMA_VERSION:
        raise ConfigError(f"{where}: result schema {data['schema_version']} is newer than this grader reads "
                          f"({GRADE_SCHEMA_VERSION}); upgrade the grader")
    try:
        return GradeResult.model_validate(data)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise ConfigError(f"{where}: not a valid grade result: {str(exc).splitlines()[0]}") from exc


def load_results(path: Path) -> list[GradeResult]:
    """The results in one stored file: a single result or a bundle."""
    if path.stat().st_size > MAX_RESULT_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_RESULT_BYTES // 2**20} MiB; not a result file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read JSON: {exc}") from exc
    if isinstance(data, dict) and data.get("format") == BUNDLE_FORMAT:
        return [_parse(d, f"{path} [{i}]") for i, d in enumerate(data.get("results", []))]
    return [_parse(data, str(path))]
