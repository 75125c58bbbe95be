"""CLI: ``alpick predictions list|import|export`` — moving prediction sets in and out."""

from __future__ import annotations

from pathlib import Path

import typer

from alpick.cli.common import open_project, out
from alpick.errors import AlpickError

sub = typer.Typer(no_args_is_help=True, help="Prediction sets: list, import, export.")

EXPORT_FORMATS = ("kitti", "lightly")


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
    from alpick.project.scores import import_predictions

    with open_project() as project:
        record, dets, missing, _ = import_predictions(project, folder, fmt, name=name)
    boxes = sum(len(d) for d in dets)
    out.print(
        f"imported {boxes:,} boxes on {len(dets) - missing:,} images as prediction set "
        f"{record.name!r}" + (f" ({missing:,} images without a file: no boxes)" if missing else ""),
        markup=False,
    )


@sub.command("export")
def export(
    out_dir: Path = typer.Argument(..., help="Folder to write into."),
    name: str | None = typer.Option(None, "--set", help="Prediction set (default: the latest)."),
    fmt: str = typer.Option(
        "lightly", "--format", help="lightly (.lightly/predictions/<task>/) or kitti (TLT files)."
    ),
    task: str | None = typer.Option(None, help="lightly task name (default: the set's name)."),
) -> None:
    """Write a prediction set as the platform successor's layout or as TLT KITTI files."""
    import os

    from alpick.formats.lightly_predictions import save_lightly_task
    from alpick.project.train import write_kitti_folder

    if fmt not in EXPORT_FORMATS:
        raise AlpickError(
            f"unknown export format {fmt!r} (choose from {', '.join(EXPORT_FORMATS)})"
        )
    with open_project() as project:
        dets, classes, record = project.predictions(name)
        samples = project.samples()
    from alpick.formats.detections import Detections

    none = Detections.empty(with_confidence=True)
    by_path = {s.path: dets.get(s.id, none) for s in samples}  # every image, empty ones too
    if fmt == "lightly":
        where = save_lightly_task(out_dir, task or record.name, by_path, classes)
    else:
        stems = [os.path.splitext(p)[0] for p in by_path]
        write_kitti_folder(out_dir, stems, list(by_path.values()), classes)
        where = out_dir
    out.print(f"exported {record.name!r} ({len(by_path):,} images) -> {where}", markup=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.add_typer(sub, name="predictions")
