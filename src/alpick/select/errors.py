"""The error selection raises for bad input: a ``ValueError`` the CLI prints in one line."""

from __future__ import annotations

from alpick.errors import AlpickError


class SelectionError(AlpickError, ValueError):
    """Bad selection input: invalid config, missing input, more samples than the pool, ..."""
