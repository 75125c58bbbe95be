"""The ``alpick`` command: a typer app; each command group lives in its own module."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from alpick import __version__
from alpick.cli import (
    cmd_convert,
    cmd_demo,
    cmd_embed,
    cmd_evaluate,
    cmd_generate,
    cmd_predictions,
    cmd_project,
    cmd_scores,
    cmd_select,
    cmd_serve,
    cmd_simulate,
    cmd_tag,
    cmd_tlt,
    cmd_train,
)
from alpick.cli.common import err, state
from alpick.errors import AlpickError

app = typer.Typer(
    name="alpick",
    help="Which images to label next: local active learning for object detection.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"alpick {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    project: Path | None = typer.Option(
        None, "--project", help="Project folder (default: found from here upward)."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    state.project_dir = project


for _module in (
    cmd_generate,
    cmd_convert,
    cmd_project,
    cmd_tag,
    cmd_embed,
    cmd_predictions,
    cmd_scores,
    cmd_select,
    cmd_train,
    cmd_evaluate,
    cmd_simulate,
    cmd_demo,
    cmd_tlt,
    cmd_serve,
):
    _module.register(app)


def main() -> None:
    """Entry point: run the app; user errors become one line on stderr and exit 1."""
    try:
        app()
    except AlpickError as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        sys.exit(130)


if __name__ == "__main__":
    main()
