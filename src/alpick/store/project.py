"""The project: a folder with ``.alpick/alpick.db``. (Being built: issue 2.)"""

from __future__ import annotations

from pathlib import Path

from alpick.errors import AlpickError


class Project:
    """Placeholder until the store lands."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def open(cls, path: Path | None = None) -> Project:
        raise AlpickError("no alpick project here (run `alpick init`)")
