"""CLI: ``alpick evaluate`` (parsing and printing only; no project needed)."""

from __future__ import annotations

from pathlib import Path

import typer

from alpick.cli.common import output_file


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("evaluate")(evaluate)


def evaluate(
    predictions: Path = typer.Option(
        ...,
        "--predictions",
        help="Folder of prediction files (KITTI with a 16th confidence column).",
    ),
    labels: Path = typer.Option(..., "--labels", help="Folder of ground-truth label files."),
    fmt: str = typer.Option("kitti", "--format", help="Format of both folders: kitti."),
    json_out: Path | None = typer.Option(
        None, "--json", help="Also write the metrics as JSON.", callback=output_file
    ),
) -> None:
    """COCO metrics of predictions against labels: AP, AP50, AP75, AP by size, AR.

    Images are matched by file stem. A label file without a prediction file is an image with no
    detections; a prediction file without a label file is an image with no objects. Class names
    are matched case-insensitively.
    """
    from alpick.api import evaluate_folders
    from alpick.cli.common import out

    result = evaluate_folders(predictions, labels, fmt, json_out=json_out)
    out.print(result.to_table())
    if json_out is not None:
        out.print(f"wrote {json_out}")
