"""CLI: ``alpick embed`` (compute embeddings) and ``alpick embed import``."""

from __future__ import annotations

from pathlib import Path

import typer

from alpick.cli.common import open_project, out
from alpick.errors import AlpickError

sub = typer.Typer(invoke_without_command=True, help="Embeddings of the project's images.")


@sub.callback()
def embed(ctx: typer.Context) -> None:
    """Compute embeddings of the project's images (or use a subcommand)."""
    if ctx.invoked_subcommand is None:
        raise AlpickError(
            "`alpick embed` (computing embeddings) is not built yet; use `alpick embed import`"
        )


@sub.command("import")
def import_(
    file: Path = typer.Argument(..., help="lightly-embed CSV, or a (N, D) .npy."),
    filenames: Path | None = typer.Option(
        None, "--filenames", help="For a .npy: the image of each row, one per line."
    ),
    name: str | None = typer.Option(None, "--name", help="Set name (default: the file's stem)."),
) -> None:
    """Import embeddings computed elsewhere, aligned to the project's images by file name."""
    from alpick.store.embeddings_import import import_embeddings

    with open_project() as project:
        record = import_embeddings(project, file, filenames=filenames, name=name)
    out.print(
        f"imported embeddings {record.name!r}: {record.rows:,} images x {record.dim} dims",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.add_typer(sub, name="embed")
