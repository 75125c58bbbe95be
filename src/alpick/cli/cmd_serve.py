"""CLI: ``alpick serve``, the web app over a project (needs the ``serve`` extra)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from alpick.cli.common import open_project
from alpick.errors import AlpickError


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the ``alpick`` app."""
    app.command("serve")(serve)


def serve(
    host: str = typer.Option(
        "127.0.0.1",
        "--host",
        help="Address to listen on (loopback only by default; any other needs the printed token).",
    ),
    port: int = typer.Option(0, "--port", help="Port (0: a free one, printed)."),
    open_browser: bool = typer.Option(False, "--open", help="Open the app in a browser."),
    metadata: Path | None = typer.Option(
        None,
        "--metadata",
        help="CSV of per-image metadata (default: metadata.csv in or beside the project).",
    ),
) -> None:
    """Browse the project in a web browser: tags, grid with boxes, samples, map, curves."""
    if metadata is not None and not metadata.is_file():
        raise AlpickError(f"metadata file {metadata} does not exist")

    def echo(line: str) -> None:
        typer.echo(line)
        sys.stdout.flush()

    project = open_project()
    try:
        project.serve(host=host, port=port, open_browser=open_browser, metadata=metadata, echo=echo)
    finally:
        project.close()
