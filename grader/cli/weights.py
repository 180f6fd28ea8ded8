"""``grader weights list|fetch``: inspect and fill the store of pretrained weights served to submissions."""

from __future__ import annotations

import click

from grader.cli.exits import GraderGroup

_STORE_HELP = "Weights store folder (default: $GRADER_WEIGHTS, else $GRADER_CACHE/weights)."


@click.group("weights", cls=GraderGroup)
def weights_group() -> None:
    """Inspect and fill the store of pretrained weights (VGG16(weights="imagenet"), ...) served to submissions."""


@weights_group.command("list")
@click.option("--weights", "store_dir", metavar="DIR", help=_STORE_HELP)
def list_command(store_dir: str | None) -> None:
    """Show which weight files the store holds, and for which application."""
    from grader.weights.store import WeightsStore

    store = WeightsStore.resolve(store_dir)
    click.echo(f"store: {store}")
    files = store.files()
    if not files:
        click.echo("  (empty: fill it with `grader weights fetch NAME` on a machine with network)")
    for f in files:
        click.echo(f"  {f.application or '?':<18} {f.name}  ({f.size / 1e6:.1f} MB)")


@weights_group.command("fetch")
@click.argument("name")
@click.option("--weights", "store_dir", metavar="DIR", help=_STORE_HELP)
@click.option("--alpha", type=float, default=None, help="MobileNet width multiplier (picks the file).")
@click.option("--size", type=int, default=None, help="MobileNet input size, e.g. 224 (picks the file).")
def fetch_command(name: str, store_dir: str | None, alpha: float | None, size: int | None) -> None:
    """Download NAME's ImageNet weights (VGG16, ResNet50, MobileNetV2, ...) through keras.applications.

    Needs network: run it once on the grading machine before grading, or fill the store elsewhere and copy it.
    """
    from grader.weights.fetch import fetch
    from grader.weights.store import WeightsStore

    fetch(name, WeightsStore.resolve(store_dir, create=True), alpha=alpha, size=size)


__all__ = ["weights_group"]
