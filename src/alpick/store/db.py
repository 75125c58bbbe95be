"""The SQLite connection: opening, version checks, migrations and transactions."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alpick.errors import AlpickError
from alpick.fileio import atomic_path
from alpick.store.migrations import MIGRATIONS

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this alpick writes."""


def _plain(value: Any) -> Any:
    # numpy scalars and arrays (``.item()`` / ``.tolist()``) and paths become plain JSON values.
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serializable")


def to_json(value: Any) -> str:
    """``value`` as JSON text (numpy values and paths converted; NaN refused).

    Raises:
        TypeError, ValueError: If it cannot be written as strict JSON.
    """
    return json.dumps(value, allow_nan=False, default=_plain)


def utc_now() -> str:
    """The current time as ISO 8601 UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: committed when the block ends, rolled back if it raises.

    The connection must be in autocommit mode (``isolation_level=None``), as :func:`connect`
    makes it, so that the transaction boundaries are exactly these.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _schema_version(conn: sqlite3.Connection, path: Path) -> int:
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise AlpickError(f"{path} is not an alpick database ({exc})") from None
    if version == 0 and tables:
        raise AlpickError(f"{path} is an SQLite database but not an alpick one")
    if version > SCHEMA_VERSION:
        raise AlpickError(
            f"database {path} written by a newer alpick (schema {version} > {SCHEMA_VERSION}); "
            "upgrade alpick"
        )
    return version


def migrate(conn: sqlite3.Connection, migrations: Sequence[Sequence[str]] = MIGRATIONS) -> int:
    """Bring the schema up to ``len(migrations)``, all pending steps in one transaction.

    Returns:
        The version the database had before.
    """
    target = len(migrations)
    with transaction(conn):
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        for step in migrations[version:target]:
            for statement in step:
                conn.execute(statement)
        if version < target:
            conn.execute(f"PRAGMA user_version = {target:d}")
    return version


def connect(path: Path) -> sqlite3.Connection:
    """Open an existing alpick database, refusing newer schemas, migrating older ones.

    Raises:
        AlpickError: If the file is missing, not an alpick database, or from a newer alpick.
    """
    if not path.is_file():
        raise AlpickError(f"no alpick database at {path}")
    conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    try:
        version = _schema_version(conn, path)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        if version < SCHEMA_VERSION:
            migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def create(path: Path, settings: dict[str, str]) -> None:
    """Create a database at ``path`` with the current schema and ``settings``, atomically.

    The database is built under a temporary name beside ``path`` and renamed into place, so a
    crash leaves either no database or a complete one.

    Raises:
        AlpickError: If ``path`` already exists.
    """
    if path.exists():
        raise AlpickError(f"{path} already exists")
    with atomic_path(path) as tmp:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            migrate(conn)
            with transaction(conn):
                conn.executemany("INSERT INTO settings VALUES (?, ?)", sorted(settings.items()))
        finally:
            conn.close()
