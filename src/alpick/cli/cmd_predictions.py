"""CLI: ``alpick predictions list|import|export`` — moving prediction sets in and out."""

from __future__ import annotations

from pathlib import Path

import typer

from alpick.cli.common import open_project, out, output_dir

sub = typer.Typer(no_args_is_help=True, help="Prediction sets: list, import, export.")


@sub.command("list")
def list_() -> None:
    """The project's prediction sets."""
    with open_project() as project:
        sets = project.prediction_sets()
    if not sets:
        out.print("no prediction sets yet (alpick predict, or alpick predictions import)")
    for s in sets:
        out.print(f"{s.name}\t{s.created_at}\t{s.source}", markup=False)


@sub.command("import")
def import_(
    folder: Path = typer.Argument(..., help="Prediction folder (KITTI, COCO, YOLO, .lightly)."),
    fmt: str = typer.Option("kitti", "--format", help="kitti, coco, yolo or lightly."),
    name: str | None = typer.Option(None, help="Set name (default: the folder's name)."),
) -> None:
    """Store a prediction folder as a prediction set (as `alpick scores` does)."""
    with open_project() as project:
        report = project.import_predictions_report(folder, fmt, name=name)
    boxes = sum(len(d) for d in report.detections)
    missing = report.without_file
    out.print(
        f"imported {boxes:,} boxes on {len(report.detections) - missing:,} images as prediction "
        f"set {report.record.name!r}"
        + (f" ({missing:,} images without a file: no boxes)" if missing else ""),
        markup=False,
    )


@sub.command("export")
def export(
    out_dir: Path = typer.Argument(..., help="Folder to write into.", callback=output_dir),
    name: str | None = typer.Option(None, "--set", help="Prediction set (default: the latest)."),
    fmt: str = typer.Option(
        "lightly", "--format", help="lightly (.lightly/predictions/<task>/) or kitti (TLT files)."
    ),
    task: str | None = typer.Option(None, help="lightly task name (default: the set's name)."),
) -> None:
    """Write a prediction set as the platform successor's layout or as TLT KITTI files."""
    with open_project() as project:
        record, n_images, where = project.export_predictions(out_dir, name=name, fmt=fmt, task=task)
    out.print(f"exported {record.name!r} ({n_images:,} images) -> {where}", markup=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.add_typer(sub, name="predictions")
