"""alpick: local-first active learning for object detection.

Importing this package is instant: heavy libraries (torch, matplotlib) are imported only inside
the code that needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["AlpickError", "Project", "__version__"]

from alpick.errors import AlpickError

if TYPE_CHECKING:
    from alpick.api import Project


def __getattr__(name: str) -> Any:
    if name == "Project":
        from alpick.api import Project

        return Project
    raise AttributeError(f"module 'alpick' has no attribute {name!r}")
