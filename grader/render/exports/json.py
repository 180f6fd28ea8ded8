"""JSON export of the full public result, and loading stored results back for re-rendering.

A result file is exactly ``GradeResult.model_dump(mode="json")``: it carries ``schema_version``, so a
reader can refuse what a newer grader wrote instead of misreading it. A bundle of several results is
``{"format": "grader.results", "schema_version": N, "results": [...]}``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grader.errors import ConfigError
from grader.grading.result import GRADE_SCHEMA_VERSION, GradeResult
from grader.render.html.view import Audience

BUNDLE_FORMAT = "grader.results"
MAX_RESULT_BYTES = 64 * 1024 * 1024


def redact(result: GradeResult) -> GradeResult:
    """The student's copy: hidden criteria lose their title, message and feedback; instructor notes go."""
    criteria = [c.model_copy(update={"detail": ""} if not c.hidden else
                             {"title": "Hidden criterion", "message": "", "feedback": "", "detail": ""})
                for c in result.criteria]
    return result.model_copy(update={"criteria": criteria})


def result_data(result: GradeResult, audience: Audience = "instructor") -> dict[str, Any]:
    return (redact(result) if audience == "student" else result).model_dump(mode="json")


def render_json(result: GradeResult, *, audience: Audience = "instructor", indent: int | None = 2) -> str:
    return json.dumps(result_data(result, audience), indent=indent, ensure_ascii=False, sort_keys=False) + "\n"


def render_bundle(results: Sequence[GradeResult], *, audience: Audience = "instructor") -> str:
    return json.dumps({"format": BUNDLE_FORMAT, "schema_version": GRADE_SCHEMA_VERSION,
                       "results": [result_data(r, audience) for r in results]}, indent=2, ensure_ascii=False) + "\n"


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
