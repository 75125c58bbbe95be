"""CLI: ``alpick init`` (make or re-scan a project) and ``alpick annotate`` (the oracle)."""

from __future__ import annotations

from pathlib import Path

import typer

from alpick.cli.common import err, open_project, out, project_output_dir, project_root_for_init
from alpick.formats.registry import LABEL_FORMATS


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def init(
    images: Path | None = typer.Option(
        None, "--images", help="Images folder (default: data/raw/images, or the project's)."
    ),
    labels: Path | None = typer.Option(
        None,
        "--labels",
        help="Labels folder, or for coco its .json (default: data/raw/labels, or the project's).",
    ),
    label_format: str | None = typer.Option(
        None,
        "--label-format",
        help=f"One of {', '.join(LABEL_FORMATS)} (default: detected from the label files, "
        "or the project's).",
    ),
    reconfigure: bool = typer.Option(
        False,
        "--reconfigure",
        help="Change an existing project's --labels and --label-format (labels are reloaded).",
    ),
) -> None:
    """Make a project here (or at --project) and import its images; re-run to add new ones."""
    from alpick.api import Project

    root = project_root_for_init()
    project, report = Project.initialize(
        root,
        images=None if images is None else str(images.resolve()),
        labels=None if labels is None else str(labels.resolve()),
        label_format=label_format,
        progress=err.is_terminal,
        reconfigure=reconfigure,
    )
    project.close()
    out.print(
        f"added {_plural(report.added, 'image')} ({report.labelled:,} with labels, "
        f"{_plural(report.boxes, 'box', 'boxes')}, {_plural(report.classes, 'class', 'classes')})"
        f" — {report.total:,} in the project",
        markup=False,
    )


def annotate(
    tag: str = typer.Option(..., "--tag", help="The tag whose images to annotate."),
    src: Path = typer.Option(
        Path("data/raw"), "--from", help="Pool folder with images/ and labels/."
    ),
    dst: Path = typer.Option(
        Path("data/train"),
        "--to",
        help="Training folder to fill.",
        callback=project_output_dir,
    ),
) -> None:
    """Simulate the annotator: copy the tag's images and labels that are not yet in --to."""
    with open_project() as project:
        size = len(project.tag(tag).sample_ids)
        added = project.annotate(tag, src=src, dst=dst)
    out.print(
        f"annotated {_plural(added, 'new image')} of tag {tag!r} "
        f"({size - added:,} already in {dst.as_posix()})",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("init")(init)
    app.command("annotate")(annotate)
