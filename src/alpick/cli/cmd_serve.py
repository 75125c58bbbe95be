"""CLI: ``alpick serve``, the web app over a project (needs the ``serve`` extra)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from alpick.cli.common import state
from alpick.errors import AlpickError
from alpick.serve import MISSING_EXTRA


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
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise AlpickError(MISSING_EXTRA) from None
    from alpick.serve.server import serve as run
    from alpick.store.project import DB_NAME, STATE_DIR

    start = (state.project_dir or Path.cwd()).resolve()
    root = next((d for d in (start, *start.parents) if (d / STATE_DIR / DB_NAME).is_file()), None)
    if root is None:
        raise AlpickError(f"no alpick project found in {start} or its parents (run `alpick init`)")
    if metadata is not None and not metadata.is_file():
        raise AlpickError(f"metadata file {metadata} does not exist")

    def echo(line: str) -> None:
        typer.echo(line)
        sys.stdout.flush()

    run(root, host=host, port=port, open_browser=open_browser, metadata=metadata, echo=echo)
