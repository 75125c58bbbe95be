"""Shared CLI plumbing: the global --project option, consoles, opening the project."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

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
