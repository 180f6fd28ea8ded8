"""The CLI's fast paths: help, schema, and refusing a broken submission before any sandbox starts."""

import json

from click.testing import CliRunner

from grader.cli.app import main
from grader.evidence.model import EVIDENCE_SCHEMA_VERSION, Evidence


def test_help_lists_commands():
    out = CliRunner().invoke(main, ["--help"]).output
    assert "run" in out and "datasets" in out and "schema" in out


def test_evidence_schema_is_json_schema():
    res = CliRunner().invoke(main, ["schema", "evidence"])
    schema = json.loads(res.output)
    assert res.exit_code == 0 and schema["title"] == "Evidence" and "models" in schema["properties"]
    assert schema["properties"]["schema_version"]["default"] == EVIDENCE_SCHEMA_VERSION


def test_broken_notebook_is_refused_without_running(tmp_path):
    bad = tmp_path / "hw.ipynb"
    bad.write_text("{not json")
    res = CliRunner().invoke(main, ["run", str(bad), "--json", "--datasets", str(tmp_path)])
    assert res.exit_code == 1
    ev = Evidence.model_validate(json.loads(res.output)["evidence"])
    assert ev.run.status.value == "invalid" and "not valid JSON" in ev.run.message and ev.models == []
