"""``grader schema evidence|verified``: the JSON Schema of what ``grader run --json`` prints."""

from __future__ import annotations

import click

from grader.cli.exits import GraderCommand


@click.command("schema", cls=GraderCommand)
@click.argument("name", type=click.Choice(["evidence", "verified"]))
def schema_command(name: str) -> None:
    """Print the JSON Schema of the evidence (or verified evidence) that `grader run --json` emits."""
    import json

    from grader.evidence.model import Evidence
    from grader.verify.verified import VerifiedEvidence

    model = Evidence if name == "evidence" else VerifiedEvidence
    click.echo(json.dumps(model.model_json_schema(), indent=2))


__all__ = ["schema_command"]
