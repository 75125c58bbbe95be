"""CLI: ``alpick embed`` (compute embeddings) and ``alpick embed import``."""

from __future__ import annotations

from pathlib import Path

import typer

from alpick.cli.common import (
    CPUS_PER_WORKER,
    GPUS_PER_WORKER,
    RAY,
    RAY_WORKERS,
    err,
    open_project,
    out,
    output_file,
    ray_settings,
)
from alpick.errors import AlpickError

sub = typer.Typer(invoke_without_command=True, help="Embeddings of the project's images.")


@sub.callback()
def embed(
    ctx: typer.Context,
    model: str = typer.Option("efficientnet_lite0", help="Backbone (see docs/embed.md)."),
    weights: Path | None = typer.Option(None, help="Local weights file (state dict)."),
    random_init: bool = typer.Option(
        False, "--random-init", help="Allow random weights for a backbone without --weights."
    ),
    input_size: int = typer.Option(224, help="Side of the square network input, pixels."),
    ssl_epochs: int = typer.Option(0, help="SimCLR fine-tuning epochs on the images first."),
    batch_size: int = typer.Option(32, help="Images per forward pass."),
    name: str | None = typer.Option(None, help="Set name (default: MODEL-SIZE[-sslE])."),
    skip_bad: bool = typer.Option(
        False, "--skip-bad", help="Embed the rest when some images cannot be read."
    ),
    device: str | None = typer.Option(None, help="cpu or cuda (default: cuda when available)."),
    map_png: Path | None = typer.Option(
        None,
        "--map",
        help="Also draw a 2-D map (PCA) of the embeddings, coloured by tag.",
        callback=output_file,
    ),
    ray: str | None = RAY,
    ray_workers: int | None = RAY_WORKERS,
    cpus_per_worker: float = CPUS_PER_WORKER,
    gpus_per_worker: float | None = GPUS_PER_WORKER,
) -> None:
    """Embed the project's images (a subcommand instead: import, export, map)."""
    if ctx.invoked_subcommand is not None:
        return
    if ssl_epochs < 0 or batch_size < 1 or input_size < 32:
        raise AlpickError("--ssl-epochs must be >= 0, --batch-size >= 1, --input-size >= 32")
    cluster = ray_settings(ray, ray_workers, cpus_per_worker, gpus_per_worker)
    with open_project() as project:
        report = project.embed(
            name=name,
            model=model,
            weights=weights,
            allow_random=random_init,
            input_size=input_size,
            batch_size=batch_size,
            ssl_epochs=ssl_epochs,
            skip_bad=skip_bad,
            device=device,
            ray=cluster,
        )
        rec = report.record
        if report.embedded == 0:
            out.print(f"embeddings {rec.name!r} are up to date ({rec.rows:,} images)", markup=False)
        else:
            out.print(
                f"embedded {report.embedded:,} images into {rec.name!r} ({rec.rows:,} x "
                f"{rec.dim}; {report.reused:,} reused)",
                markup=False,
            )
        for path, why in report.failed:
            err.print(f"skipped {path}: {why}", markup=False)
        if map_png is not None:
            project.draw_embedding_map(map_png, rec.name)
            out.print(f"wrote {map_png}", markup=False)


@sub.command("export")
def export(
    file: Path = typer.Argument(
        ..., help="CSV to write (lightly-embed format).", callback=output_file
    ),
    name: str | None = typer.Option(None, help="Embedding set (default: the latest)."),
) -> None:
    """Write an embedding set as the CSV that `lightly-embed` writes."""
    with open_project() as project:
        record = project.export_embeddings(file, name)
    out.print(f"wrote {record.rows:,} embeddings of {record.name!r} to {file}", markup=False)


@sub.command("map")
def map_(
    out_png: Path = typer.Argument(
        Path("embeddings.png"), help="PNG to write.", callback=output_file
    ),
    name: str | None = typer.Option(None, help="Embedding set (default: the latest)."),
) -> None:
    """Draw a 2-D map (PCA) of an embedding set, coloured by tag."""
    with open_project() as project:
        project.draw_embedding_map(out_png, name)
    out.print(f"wrote {out_png}", markup=False)


@sub.command("import")
def import_(
    file: Path = typer.Argument(..., help="lightly-embed CSV, or a (N, D) .npy."),
    filenames: Path | None = typer.Option(
        None, "--filenames", help="For a .npy: the image of each row, one per line."
    ),
    name: str | None = typer.Option(None, "--name", help="Set name (default: the file's stem)."),
) -> None:
    """Import embeddings computed elsewhere, aligned to the project's images by file name."""
    with open_project() as project:
        record = project.import_embeddings(file, filenames=filenames, name=name)
    out.print(
        f"imported embeddings {record.name!r}: {record.rows:,} images x {record.dim} dims",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.add_typer(sub, name="embed")
