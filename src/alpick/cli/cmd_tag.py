"""CLI: ``alpick tag list | show | create | delete``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from alpick.cli.common import open_project, out
from alpick.errors import AlpickError

sub = typer.Typer(no_args_is_help=True, help="Named sets of samples.")


@sub.command("list")
def list_() -> None:
    """List the tags: name, size, parent, method, creation time."""
    from rich.table import Table

    with open_project() as project:
        tags = project.tags()
    if not tags:
        out.print("no tags yet (make one with `alpick select` or `alpick tag create`)")
        return
    table = Table("name", "size", "parent", "method", "created")
    for tag in tags:
        table.add_row(
            tag.name, f"{len(tag.sample_ids):,}", tag.parent or "", tag.method, tag.created_at
        )
    out.print(table)


@sub.command("show")
def show(
    name: str = typer.Argument(..., help="The tag."),
    fmt: str = typer.Option("list", "--format", help="list (one image path per line) or json."),
) -> None:
    """Print a tag's images (one relative path per line) or its full record as JSON."""
    if fmt.lower() not in ("list", "json"):
        raise AlpickError(f"unknown --format {fmt!r} (choose list or json)")
    with open_project() as project:
        tag = project.tag(name)
        paths = [s.path for s in project.tag_samples(name)]
    if fmt.lower() == "list":
        if paths:
            typer.echo("\n".join(paths))  # one write: a 100,000-image tag prints at once
        return
    record = {
        "name": tag.name,
        "parent": tag.parent,
        "method": tag.method,
        "config": tag.config,
        "seed": tag.seed,
        "created_at": tag.created_at,
        "samples": paths,
    }
    typer.echo(json.dumps(record, indent=2))


@sub.command("create")
def create(
    name: str = typer.Argument(..., help="The new tag's name."),
    from_file: Path = typer.Option(
        ..., "--from-file", help="Text file: one image path or file name per line."
    ),
) -> None:
    """Make a tag of the images listed in a file."""
    with open_project() as project:
        tag = project.create_tag_from_file(name, from_file)
    out.print(f"created tag {tag.name!r} with {len(tag.sample_ids):,} images", markup=False)


@sub.command("delete")
def delete(name: str = typer.Argument(..., help="The tag to delete.")) -> None:
    """Delete a tag (refused while another tag has it as parent)."""
    with open_project() as project:
        project.delete_tag(name)
    out.print(f"deleted tag {name!r}", markup=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.add_typer(sub, name="tag")
