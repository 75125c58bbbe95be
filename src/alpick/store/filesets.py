"""Named sets backed by an array file (embeddings, predictions, scores): the shared mechanics.

Writing a set is: write the array file under a fresh name (temp file + rename), then in one
transaction replace the set's row; if the transaction fails the new file is removed, and only
after it commits is the file of the set it replaced removed. A reader therefore always finds a
row whose file is complete. When the save runs inside a larger transaction
(``ProjectStore.transaction``), "commits" and "fails" are that transaction's: a rollback of the
whole removes the new file and keeps the old one.

A ``kill -9`` between writing the file and committing leaves the file behind, named by no row.
Such a file is harmless by design: nothing reads a file that no row names, and
:func:`~alpick.store.arrays.fresh_file` never writes over an existing file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from alpick.errors import AlpickError
from alpick.store.db import on_commit, on_rollback, transaction

_TABLES = frozenset({"embedding_sets", "prediction_sets", "score_sets"})


def commit_set(
    conn: sqlite3.Connection,
    state_dir: Path,
    table: str,
    name: str,
    file: Path,
    columns: Mapping[str, Any],
    *,
    check: Callable[[sqlite3.Connection], None] | None = None,
) -> None:
    """Record set ``name`` (replacing any set of that name) whose array ``file`` is written.

    Args:
        conn: The database.
        state_dir: The ``.alpick`` folder; ``file`` is stored relative to it.
        table: One of the set tables.
        name: The set's name.
        file: The complete array file, already in place.
        columns: The row's other columns.
        check: Run inside the transaction before writing; raise to abort.
    """
    if table not in _TABLES:
        raise ValueError(f"not a set table: {table}")
    rel = file.relative_to(state_dir).as_posix()
    names = ["name", "file", *columns]
    insert = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    try:
        with transaction(conn):
            on_rollback(conn, lambda: file.unlink(missing_ok=True))
            if check is not None:
                check(conn)
            old = conn.execute(f"SELECT file FROM {table} WHERE name = ?", (name,)).fetchone()
            conn.execute(f"DELETE FROM {table} WHERE name = ?", (name,))
            conn.execute(insert, [name, rel, *columns.values()])
            if old is not None and old[0] != rel:
                replaced = state_dir / old[0]
                on_commit(conn, lambda: replaced.unlink(missing_ok=True))
    except BaseException:
        file.unlink(missing_ok=True)  # also when the transaction could not even begin
        raise


def find_set(
    conn: sqlite3.Connection,
    table: str,
    columns: Sequence[str],
    name: str | None,
    *,
    kind: str,
    none_hint: str,
) -> tuple[Any, ...]:
    """The row (``columns``) of set ``name``, or of the most recently saved set when ``None``.

    Raises:
        AlpickError: If there is no such set (listing the known ones) or none at all.
    """
    if table not in _TABLES:
        raise ValueError(f"not a set table: {table}")
    select = f"SELECT {', '.join(columns)} FROM {table}"
    if name is None:
        row = conn.execute(select + " ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            raise AlpickError(f"no {kind} ({none_hint})")
        return tuple(row)
    row = conn.execute(select + " WHERE name = ?", (name,)).fetchone()
    if row is None:
        known = [r[0] for r in conn.execute(f"SELECT name FROM {table} ORDER BY id")]
        raise AlpickError(
            f"unknown {kind} {name!r} ({kind}: {', '.join(known) if known else 'none yet'})"
        )
    return tuple(row)
