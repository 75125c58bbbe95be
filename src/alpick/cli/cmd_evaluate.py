"""CLI: ``alpick evaluate`` (parsing and printing only; no project needed)."""

from __future__ import annotations

from pathlib import Path

import typer

from alpick.cli.common import output_file
from alpick.errors import AlpickError


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("evaluate")(evaluate)


def evaluate(
    predictions: Path = typer.Option(
        ...,
        "--predictions",
        help="Folder of predictions: KITTI with a 16th confidence column, COCO results, YOLO "
        "with a confidence, or the platform's JSON.",
    ),
    labels: Path | None = typer.Option(
        None,
        "--labels",
        help="Ground truth: a folder (KITTI, YOLO, VOC) or COCO .json (default in a project: "
        "the project's labels).",
    ),
    fmt: str | None = typer.Option(
        None, "--format", help="Format of --predictions (default: detected from the files)."
    ),
    label_format: str | None = typer.Option(
        None,
        "--label-format",
        help="Format of --labels (default: the project's, else detected from the files).",
    ),
    images: Path | None = typer.Option(
        None,
        "--images",
        help="Images, for formats matched through them (default: the project's, else "
        "LABELS/../images, else the names and sizes in COCO or VOC labels).",
    ),
    json_out: Path | None = typer.Option(
        None, "--json", help="Also write the metrics as JSON.", callback=output_file
    ),
) -> None:
    """COCO metrics of predictions against labels: AP, AP50, AP75, AP by size, AR.

    Inside a project the labels default to the project's, over its images that have a label
    file. KITTI against KITTI is matched by file stem: a label file without a prediction file
    is an image with no detections; a prediction file without a label file is an image with
    no objects. Class names are matched case-insensitively.
    """
    from alpick.api import evaluate_folders
    from alpick.cli.common import in_project, open_project, out

    if in_project() and images is None:
        with open_project() as project:
            result = project.evaluate(
                predictions, fmt, labels=labels, label_format=label_format, json_out=json_out
            )
    else:
        if labels is None:
            raise AlpickError("give --labels (no project here to take them from)")
        result = evaluate_folders(
            predictions,
            labels,
            fmt,
            label_format=label_format,
            images=images,
            json_out=json_out,
        )
    out.print(result.to_table())
    if json_out is not None:
        out.print(f"wrote {json_out}")
