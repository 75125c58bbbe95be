"""Shared CLI plumbing: the global --project option, consoles, opening the project, parsing
``WxH`` sizes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from alpick.errors import AlpickError

if TYPE_CHECKING:
    from alpick.api import Project

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


@dataclass
class _State:
    project_dir: Path | None = None


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
