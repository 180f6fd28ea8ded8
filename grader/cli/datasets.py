"""``grader datasets list|fetch``: inspect and fill the dataset store served to submissions."""

from __future__ import annotations

import click

from grader.cli.exits import GraderGroup


@click.group("datasets", cls=GraderGroup)
def datasets_group() -> None:
    """Inspect and fill the dataset store served to submissions."""


@datasets_group.command("list")
@click.option("--datasets", "store_dir", metavar="DIR", help="Dataset store folder.")
def list_command(store_dir: str | None) -> None:
    """Show which datasets the store holds."""
    from grader.datasets.store import DatasetStore

    store = DatasetStore.resolve(store_dir)
    click.echo(f"store: {store.root}")
    for row in store.describe():
        click.echo(f"  {row['name']:<14} {row.get('path') or '(missing)'}")


@datasets_group.command("fetch")
@click.argument("name")
@click.option("--datasets", "store_dir", metavar="DIR", help="Dataset store folder to fill.")
def fetch_command(name: str, store_dir: str | None) -> None:
    """Download NAME through Keras's own loader into the store (needs network)."""
    from grader.datasets.fetch import fetch
    from grader.datasets.store import DatasetStore

    fetch(name, DatasetStore.resolve(store_dir).root)


__all__ = ["datasets_group"]
