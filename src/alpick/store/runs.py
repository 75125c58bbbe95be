"""Detector training runs: name, folder and configuration."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from alpick.errors import AlpickError
from alpick.store.db import to_json, transaction, utc_now
from alpick.store.names import check_name
from alpick.store.records import Run

_SELECT = "SELECT name, path, config, created_at FROM runs"


def record_run(conn: sqlite3.Connection, name: str, path: str, config: Mapping[str, Any]) -> Run:
    """Record run ``name``; recording it again updates its path and config.

    Raises:
        AlpickError: On a bad name or a config that is not JSON.
    """
    check_name("run", name)
    try:
        config_json = to_json(dict(config))
    except (TypeError, ValueError) as exc:
        raise AlpickError(f"run config must be JSON-serializable: {exc}") from None
    with transaction(conn):
        conn.execute(
            "INSERT INTO runs (name, path, config, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET path = excluded.path, config = excluded.config, "
            "created_at = excluded.created_at",
            (name, str(path), config_json, utc_now()),
        )
    return get_run(conn, name)


def get_run(conn: sqlite3.Connection, name: str) -> Run:
    """The run called ``name``.

    Raises:
        AlpickError: If there is none (listing the known runs).
    """
    row = conn.execute(_SELECT + " WHERE name = ?", (name,)).fetchone()
    if row is None:
        known = [r[0] for r in conn.execute("SELECT name FROM runs ORDER BY id")]
        raise AlpickError(f"unknown run {name!r} (runs: {', '.join(known) or 'none yet'})")
    return Run(row[0], row[1], json.loads(row[2]), row[3])


def list_runs(conn: sqlite3.Connection) -> list[Run]:
    """All runs, oldest first."""
    return [Run(r[0], r[1], json.loads(r[2]), r[3]) for r in conn.execute(_SELECT + " ORDER BY id")]
