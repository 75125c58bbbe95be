"""CLI: the `convert` commands (parsing and printing only)."""

from __future__ import annotations

from pathlib import Path

import typer

from alpick.cli.common import out, output_dir

convert = typer.Typer(no_args_is_help=True, help="Convert datasets into images + KITTI labels.")


@convert.command("minneapple")
def minneapple(
    src: Path = typer.Argument(..., help="A MinneApple split: SRC/images (+ SRC/masks)."),
    dest: Path = typer.Argument(
        ..., metavar="OUT", help="Writes OUT/images and OUT/labels.", callback=output_dir
    ),
    class_name: str = typer.Option("apple", "--class-name", help="Class of every box."),
    copy: bool = typer.Option(False, "--copy", help="Copy images instead of hard-linking."),
) -> None:
    """Instance masks -> KITTI boxes (one per apple id; degenerate boxes dropped)."""
    from alpick.api import convert_minneapple

    report = convert_minneapple(src, dest, class_name=class_name, link=not copy)
    if report.labelled:
        out.print(
            f"converted {report.images:,} images, {report.boxes:,} boxes "
            f"({report.degenerate:,} degenerate dropped) -> {report.out}",
            markup=False,
        )
    else:
        out.print(
            f"converted {report.images:,} images (no masks: no labels) -> {report.out}",
            markup=False,
        )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.add_typer(convert, name="convert")
