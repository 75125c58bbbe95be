"""The ``alpick`` command: a typer app; each command group lives in its own module."""

from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

import typer

from alpick import __version__
from alpick.cli import (
    cmd_convert,
    cmd_demo,
    cmd_embed,
    cmd_evaluate,
    cmd_generate,
    cmd_labels,
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
    debug: bool = typer.Option(
        False,
        "--debug",
        help="Show the Python traceback of an internal error (also: ALPICK_DEBUG=1; "
        "--debug may follow the command too).",
    ),
) -> None:
    state.project_dir = project
    state.debug = state.debug or debug


for _module in (
    cmd_generate,
    cmd_convert,
    cmd_project,
    cmd_tag,
    cmd_embed,
    cmd_predictions,
    cmd_labels,
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


def _log_dir() -> Path:
    """Where an internal error's details go: the project's ``.alpick/logs`` when one is found
    (and writable), else ``alpick-logs`` in the temporary folder."""
    import tempfile

    try:
        from alpick.api import find_project_root

        root = state.project_dir or find_project_root()
        if root is not None and (Path(root) / ".alpick").is_dir():
            logs = Path(root) / ".alpick" / "logs"
            logs.mkdir(exist_ok=True)
            if os.access(logs, os.W_OK):
                return logs
    except Exception:  # the safety net must not fail itself
        pass
    logs = Path(tempfile.gettempdir()) / "alpick-logs"
    logs.mkdir(exist_ok=True)
    return logs


def _write_log(argv: Sequence[str], details: str) -> Path | None:
    """Write the traceback to a fresh log file; its path, or ``None`` if nothing could be
    written anywhere."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    text = f"alpick {__version__}\nargs: {list(argv)!r}\ncwd: {os.getcwd()}\n\n{details}"
    try:
        path = _log_dir() / f"error-{stamp}-{os.getpid()}.log"
        path.write_text(text, encoding="utf-8")
        return path
    except Exception:
        return None


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on ``argv`` (default: ``sys.argv[1:]``) and return the exit status.

    The last line of defence: an :class:`AlpickError` prints ``error: <message>`` (exit 1); any
    other exception prints one line, ``error: internal error: <type>: <message> — details in
    <log>``, with the traceback written to that log file (exit 1); ``--debug`` or
    ``ALPICK_DEBUG=1`` also prints the traceback. Usage errors keep exit 2; Ctrl-C exits 130.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    cut = args.index("--") if "--" in args else len(args)
    debug = "--debug" in args[:cut] or os.environ.get("ALPICK_DEBUG", "") not in ("", "0")
    args = [a for a in args[:cut] if a != "--debug"] + args[cut:]
    state.debug = debug
    try:
        app(args=args, prog_name="alpick")
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        err.print(str(code), markup=False, soft_wrap=True)
        return 1
    except AlpickError as exc:
        if debug:
            err.print(traceback.format_exc(), markup=False, soft_wrap=True)
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        return 1
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        return 130
    except BrokenPipeError:  # `alpick ... | head`: the reader left; not an error of ours
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes stdout
        return 141
    except Exception as exc:  # the last line of defence
        details = traceback.format_exc()
        log = _write_log(args, details)
        if debug or log is None:
            err.print(details, markup=False, soft_wrap=True)
        where = f" — details in {log}" if log is not None else ""
        err.print(
            f"error: internal error: {type(exc).__name__}: {_one_line(str(exc))}{where}",
            markup=False,
            soft_wrap=True,
        )
        return 1
    finally:
        state.project_dir = None
        state.debug = False
    return 0


def main() -> None:
    """Entry point: :func:`run` on the command line, exit with its status."""
    sys.exit(run())


if __name__ == "__main__":
    main()
