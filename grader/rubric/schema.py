"""The rubric JSON Schema, generated from the pydantic models' field descriptions.

The committed copy is ``rubrics/rubric.schema.json``; a unit test fails when it is stale.
Regenerate with ``grader rubric schema -o rubrics/rubric.schema.json``.
"""

from __future__ import annotations

import json
from typing import Any

from grader.rubric.model import Rubric


def rubric_json_schema() -> dict[str, Any]:
    schema = Rubric.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "grader rubric", **{k: v for k, v in schema.items() if k != "title"}}


def schema_text() -> str:
    return json.dumps(rubric_json_schema(), indent=2, sort_keys=False) + "\n"
