"""``grader review GRADES``: the review page over a class's results store, on 127.0.0.1 with a random token.

The URL printed on start carries the token; every request without it is refused (see :mod:`grader.review.app`).
Overrides made there are signed ``--reviewer`` and count in the reports and exports from the next
``grader grade`` of the class.
"""

from __future__ import annotations

import socket
from pathlib import Path

import click

from grader.cli.exits import GraderCommand
from grader.errors import ConfigError

HOST = "127.0.0.1"  # never another interface: the page shows grades and takes overrides


@click.command("review", cls=GraderCommand)
@click.argument("grades", type=click.Path(file_okay=False, path_type=Path), default=Path("grades"))
@click.option("--store", "store_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Results store file (default: GRADES/results.sqlite).")
@click.option("--reviewer", envvar="GRADER_REVIEWER", required=True,
              help="Who signs the overrides made on the page [env: GRADER_REVIEWER].")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1 (0: a free one).")
@click.option("--similarity/--no-similarity", default=True, show_default=True,
              help="List pairs of similar submissions (grader.similarity over GRADES/results) in the queue.")
def review_command(grades: Path, store_file: Path | None, reviewer: str, port: int, similarity: bool) -> None:
    """Serve the review queue, each student's grade and an override form, until Ctrl-C."""
    import uvicorn

    from grader.review.app import create_app, new_token, similar_pairs_from
    from grader.review.locate import store_path

    path = store_path(grades, store_file)
    token = new_token()
    app = create_app(path, token, reviewer=reviewer, similar=similar_pairs_from(grades) if similarity else None)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {HOST}:{port}: {exc.strerror}") from None
    sock.listen(64)  # connections made as soon as the URL is printed wait for the server instead of failing
    bound = sock.getsockname()[1]
    click.echo(f"review page: http://{HOST}:{bound}/?token={token}")
    click.echo("(the token is required on every request; Ctrl-C stops)")
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


__all__ = ["HOST", "review_command"]
