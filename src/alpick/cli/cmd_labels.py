"""CLI: ``alpick export`` (a tag to a labelling tool) and ``alpick labels import | history``."""

from __future__ import annotations

from pathlib import Path

import typer

from alpick.cli.common import open_project, out, output_dir

sub = typer.Typer(no_args_is_help=True, help="Labels from labelling tools: import, list, history.")


def export(
    out_dir: Path = typer.Argument(
        ..., metavar="OUT", help="Folder to write into.", callback=output_dir
    ),
    tag: str = typer.Option(..., "--tag", help="The tag whose images to export."),
    to: str = typer.Option(..., "--to", help="label-studio, cvat, coco, yolo or voc."),
    predictions: str | None = typer.Option(
        None, "--predictions", help="Prediction set to send as pre-annotations (LS, CVAT)."
    ),
    min_confidence: float = typer.Option(
        0.0, "--min-confidence", help="Pre-annotations below this confidence are left out."
    ),
    image_root: str | None = typer.Option(
        None,
        "--image-root",
        help="Label Studio image references: a local-files document root folder (default: "
        "the project folder), a URL prefix, or a template with {id} / {path} (alpick serve: "
        "http://127.0.0.1:8000/api/samples/{id}/image).",
    ),
    classes: str | None = typer.Option(
        None,
        "--classes",
        help="Comma-separated class names offered to labellers beyond the project's (a new "
        "pool has none); import them back with --add-classes.",
    ),
    with_labels: bool = typer.Option(
        False, "--with-labels", help="Label Studio, CVAT: include the current labels."
    ),
) -> None:
    """Send a tag to a labelling tool: Label Studio tasks + config, CVAT XML, or a COCO /
    YOLO / VOC dataset folder (images/ + labels/)."""
    with open_project() as project:
        report = project.export_tag(
            tag,
            out_dir,
            to,
            predictions=predictions,
            min_confidence=min_confidence,
            image_root=image_root,
            with_labels=with_labels,
            extra_classes=classes.split(",") if classes else (),
        )
    files = ", ".join(str(f) for f in report.files)
    out.print(
        f"exported {report.images:,} images, {report.boxes:,} boxes ({report.target}) -> {files}",
        markup=False,
        soft_wrap=True,
    )


@sub.command("import")
def import_(
    source: Path = typer.Argument(
        ..., metavar="FILE_OR_DIR", help="The tool's export (file, or the folder holding it)."
    ),
    fmt: str = typer.Option(..., "--format", help="label-studio, cvat, coco, yolo or voc."),
    renames: Path | None = typer.Option(
        None,
        "--class-map",
        help='Map the file\'s class names to the project\'s: JSON {"theirs": "ours"} or '
        "lines theirs,ours.",
    ),
    add_classes: bool = typer.Option(
        False, "--add-classes", help="Add classes the project does not have yet."
    ),
) -> None:
    """Bring finished labels back as a new label set (all checked first; nothing
    half-imported). They become the current labels of their images."""
    with open_project() as project:
        report = project.import_labels(source, fmt, class_map=renames, add_classes=add_classes)
    s = report.label_set
    extra = (
        f"; {report.skipped:,} tasks without an annotation left as they were"
        if (report.skipped)
        else ""
    )
    added = f"; new classes: {', '.join(report.new_classes)}" if report.new_classes else ""
    out.print(
        f"imported label set {s.id}: {s.images:,} images, {s.boxes:,} boxes{extra}{added}",
        markup=False,
    )


@sub.command("list")
def list_() -> None:
    """The imported label sets, oldest first: id, time, format, images, boxes, source."""
    with open_project() as project:
        sets = project.label_sets()
    if not sets:
        out.print("no label sets yet (alpick labels import)")
    for s in sets:
        out.print(
            f"{s.id}  {s.created_at}  {s.format}  {s.images:,} images  {s.boxes:,} boxes  "
            f"{s.source}",
            markup=False,
            soft_wrap=True,
        )


@sub.command("history")
def history(
    image: str = typer.Argument(..., help="Image: relative path, unique file name or sample id."),
) -> None:
    """What each label source said about one image, oldest first (the last one is current)."""
    with open_project() as project:
        sample, versions = project.label_history_of(image)
        classes = project.classes()
    out.print(
        f"{sample.path} (sample {sample.id}, {sample.width}x{sample.height})",
        markup=False,
        soft_wrap=True,
    )
    for k, (version, change) in enumerate(versions):
        if version.set is None:
            origin = "label files"
        else:
            v = version.set
            origin = f"label set {v.id} ({v.format}, {v.created_at}, {v.source})"
        counts: dict[str, int] = {}
        for cid in version.boxes.class_id.tolist():
            counts[classes.name(int(cid))] = counts.get(classes.name(int(cid)), 0) + 1
        what = ", ".join(f"{n} {k}" for k, n in counts.items()) or "no boxes"
        change = f"; {change}" if k else ""
        out.print(f"  {origin}: {what}{change}", markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("export")(export)
    app.add_typer(sub, name="labels")
