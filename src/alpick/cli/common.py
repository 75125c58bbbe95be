"""Shared CLI plumbing: the global --project option, consoles, opening the project, parsing
``WxH`` sizes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from alpick.errors import AlpickError

if TYPE_CHECKING:
    from alpick.api import Project, RayOptions

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


@dataclass
class _State:
    project_dir: Path | None = None
    debug: bool = False


state = _State()


def open_project() -> Project:
    """The project named by ``--project``, or found from the working directory upward.

    Raises:
        AlpickError: If there is no project there.
    """
    from alpick.api import Project

    return Project.open(state.project_dir)


def project_root_for_init() -> Path:
    """Where ``alpick init`` makes a project: ``--project`` or the working directory."""
    return (state.project_dir or Path.cwd()).resolve()


def in_project() -> bool:
    """Whether ``--project`` was given or a project is found from the working directory up."""
    from alpick.api import find_project_root

    return state.project_dir is not None or find_project_root() is not None


def parse_wxh(text: str, *, option: str, example: str = "256x448") -> tuple[int, int]:
    """``"256x448"`` -> ``(256, 448)``: two positive integers joined by ``x`` (or ``X``).

    Args:
        text: The option's value.
        option: The option's name, for the error (``--size``).
        example: A valid value, for the error.

    Raises:
        AlpickError: If the text is not ``WIDTHxHEIGHT`` with both sides positive.
    """
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match or int(match.group(1)) <= 0 or int(match.group(2)) <= 0:
        raise AlpickError(
            f"{option} must look like WIDTHxHEIGHT with positive sides (e.g. {example}), "
            f"got {text!r}"
        )
    return int(match.group(1)), int(match.group(2))


# Output parameters: every option or argument naming a file or folder a command writes takes
# one of these callbacks, so an unwritable place is refused while the command line is parsed,
# before any work or any change to the project (tests/cli/test_every_command.py finds the
# outputs through these callbacks and tries each with unwritable places).


def output_file(value: Path | None) -> Path | None:
    """Typer callback of a file a command writes (``-``, standard output, passes through)."""
    from alpick.api import check_output_file

    if value is not None and str(value) != "-":
        check_output_file(value)
    return value


def output_dir(value: Path | None) -> Path | None:
    """Typer callback of a folder a command creates or writes into."""
    from alpick.api import check_output_dir

    if value is not None:
        check_output_dir(value)
    return value


def _project_relative(value: Path) -> Path:
    """``value`` as a command reading it relative to the project folder sees it."""
    if value.is_absolute():
        return value
    from alpick.api import find_project_root

    root = state.project_dir or find_project_root()
    return value if root is None else Path(root) / value


def project_output_file(value: Path | None) -> Path | None:
    """Typer callback of a file written relative to the project folder (``tlt spec --out``)."""
    if value is not None:
        output_file(_project_relative(value))
    return value


def project_output_dir(value: Path | None) -> Path | None:
    """Typer callback of a folder written relative to the project folder (``annotate --to``)."""
    if value is not None:
        output_dir(_project_relative(value))
    return value


OUTPUT_CALLBACKS = (output_file, output_dir, project_output_file, project_output_dir)


#: Seeds are given to numpy and stored as SQLite integers: non-negative, signed 64-bit.
MAX_SEED = 2**63 - 1


def seed_option(value: int | None) -> int | None:
    """Typer callback of a ``--seed``: refuse values numpy or the database cannot take."""
    if value is not None and not 0 <= value <= MAX_SEED:
        raise AlpickError(f"--seed must be in [0, {MAX_SEED}] (2**63 - 1), got {value}")
    return value


# --ray on embed, predict and scores (simulate has --cpus-per-run/--gpus-per-run instead of
# the per-worker ones); docs/scale.md.


def ray_address(value: str | None) -> str | None:
    """Typer callback of ``--ray``: refuse it, saying how to install Ray, when Ray is missing."""
    if value is not None:
        from alpick.api import require_ray

        require_ray()
    return value


RAY = typer.Option(
    None,
    "--ray",
    metavar="ADDRESS",
    callback=ray_address,
    help="Run on a Ray cluster: auto (RAY_ADDRESS or `ray start` here), local (this machine "
    "only), HOST:PORT or ray://HOST:PORT. Needs alpick[ray]; see docs/scale.md.",
)
RAY_WORKERS = typer.Option(
    None, "--ray-workers", help="With --ray: model workers (default: one per GPU, else per CPUs)."
)
CPUS_PER_WORKER = typer.Option(1.0, "--cpus-per-worker", help="With --ray: CPUs of each worker.")
GPUS_PER_WORKER = typer.Option(
    None, "--gpus-per-worker", help="With --ray: GPUs of each worker (default 1 if there are any)."
)


def ray_settings(
    address: str | None, workers: int | None, cpus: float, gpus: float | None
) -> RayOptions | None:
    """The ``--ray`` options as the facade takes them (``None`` without ``--ray``)."""
    if address is None:
        return None
    from alpick.api import RayOptions

    return RayOptions(address, workers=workers, cpus_per_worker=cpus, gpus_per_worker=gpus)
