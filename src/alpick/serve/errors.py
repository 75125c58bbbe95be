"""The web app's one error type: an HTTP status and a one-line message, sent as JSON."""

from __future__ import annotations


class ApiError(Exception):
    """A client or not-found error the app answers as ``{"error": message}`` with ``status``.

    Attributes:
        status: The HTTP status (4xx).
        message: One line, safe to show (no file-system paths outside the project).
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
