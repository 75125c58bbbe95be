"""Names a package exports but imports only on first use (PEP 562), so importing it stays cheap."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(module: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``name`` from the module ``where[name]``.

    Args:
        module: The exporting module's ``__name__``.
        where: Name to the module defining it: absolute, or relative to ``module`` when it
            starts with a dot (``".kitti"``).

    Example:
        >>> __getattr__ = lazy_exports(__name__, {"Detections": ".detections"})  # doctest: +SKIP
    """

    def __getattr__(name: str) -> Any:
        target = where.get(name)
        if target is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        package = module if target.startswith(".") else None
        value = getattr(importlib.import_module(target, package=package), name)
        setattr(sys.modules[module], name, value)  # later lookups skip __getattr__
        return value

    return __getattr__
