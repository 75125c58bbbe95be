"""The error scores raise for bad input: a ``ValueError`` the CLI prints as a one-line error."""

from __future__ import annotations

from alpick.errors import AlpickError


class ScoreError(AlpickError, ValueError):
    """Bad input to a score: unknown name or reduction, inconsistent box table, ..."""
