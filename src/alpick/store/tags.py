"""Tags in the database: named, immutable, ordered sets of samples with their provenance."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from alpick.errors import AlpickError
from alpick.store.db import select_in, to_json, transaction, utc_now
from alpick.store.names import check_name
from alpick.store.records import Tag

_SELECT = (
    "SELECT t.id, t.name, p.name, t.method, t.config, t.seed, t.created_at "
    "FROM tags t LEFT JOIN tags p ON p.id = t.parent_id"
)


def _tag(row: tuple[Any, ...], members: list[int]) -> Tag:
    return Tag(
        name=row[1],
        parent=row[2],
        method=row[3],
        config=json.loads(row[4]),
        seed=row[5],
        created_at=row[6],
        sample_ids=members,
    )


def list_tags(conn: sqlite3.Connection) -> list[Tag]:
    """All tags, oldest first."""
    rows = conn.execute(_SELECT + " ORDER BY t.id").fetchall()
    members: dict[int, list[int]] = {row[0]: [] for row in rows}
    for tag_id, sample_id in conn.execute(
        "SELECT tag_id, sample_id FROM tag_members ORDER BY tag_id, position"
    ):
        members[tag_id].append(sample_id)
    return [_tag(row, members[row[0]]) for row in rows]


def _unknown(conn: sqlite3.Connection, name: str) -> AlpickError:
    known = [r[0] for r in conn.execute("SELECT name FROM tags ORDER BY id")]
    listing = ", ".join(known) if known else "none yet"
    return AlpickError(f"unknown tag {name!r} (tags: {listing})")


def get_tag(conn: sqlite3.Connection, name: str) -> Tag:
    """The tag called ``name``.

    Raises:
        AlpickError: If there is none; the message lists the known tags.
    """
    row = conn.execute(_SELECT + " WHERE t.name = ?", (name,)).fetchone()
    if row is None:
        raise _unknown(conn, name)
    members = [
        r[0]
        for r in conn.execute(
            "SELECT sample_id FROM tag_members WHERE tag_id = ? ORDER BY position", (row[0],)
        )
    ]
    return _tag(row, members)


def create_tag(
    conn: sqlite3.Connection,
    name: str,
    sample_ids: Iterable[int],
    *,
    parent: str | None,
    method: str,
    config: Mapping[str, Any] | None,
    seed: int | None,
) -> Tag:
    """Insert a tag and its members in one transaction, after validating everything.

    Raises:
        AlpickError: On an invalid or taken name, an unknown parent, unknown or repeated sample
            ids, a config that is not JSON, or a seed that is not an integer.
    """
    check_name("tag", name)
    ids = [int(i) for i in sample_ids]
    if not method or not isinstance(method, str):
        raise AlpickError("a tag's method must be a non-empty string")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise AlpickError(f"seed must be an integer, got {seed!r}")
    try:
        config_json = to_json(dict(config or {}))
    except (TypeError, ValueError) as exc:
        raise AlpickError(f"tag config must be JSON-serializable: {exc}") from None
    if len(set(ids)) != len(ids):
        raise AlpickError(f"tag {name!r} lists a sample more than once")
    with transaction(conn):  # checks inside: nothing can change between check and write
        if conn.execute("SELECT 1 FROM tags WHERE name = ?", (name,)).fetchone():
            raise AlpickError(f"tag {name!r} already exists (tags are immutable; pick a new name)")
        parent_id = None
        if parent is not None:
            found = conn.execute("SELECT id FROM tags WHERE name = ?", (parent,)).fetchone()
            if found is None:
                raise _unknown(conn, parent)
            parent_id = found[0]
        known = {r[0] for r in select_in(conn, "SELECT id FROM samples WHERE id IN ({})", ids)}
        missing = [i for i in ids if i not in known]
        if missing:
            raise AlpickError(f"unknown sample id(s) {missing[:5]} for tag {name!r}")
        cur = conn.execute(
            "INSERT INTO tags (name, parent_id, method, config, seed, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (name, parent_id, method, config_json, seed, utc_now()),
        )
        conn.executemany(
            "INSERT INTO tag_members (tag_id, sample_id, position) VALUES (?, ?, ?)",
            [(cur.lastrowid, sid, pos) for pos, sid in enumerate(ids)],
        )
    return get_tag(conn, name)


def delete_tag(conn: sqlite3.Connection, name: str) -> None:
    """Delete a tag and its membership.

    Raises:
        AlpickError: If it is unknown or is the parent of another tag (named in the message).
    """
    with transaction(conn):
        row = conn.execute("SELECT id FROM tags WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise _unknown(conn, name)
        children = [r[0] for r in conn.execute("SELECT name FROM tags WHERE parent_id = ?", row)]
        if children:
            raise AlpickError(
                f"tag {name!r} is the parent of {', '.join(repr(c) for c in children)}; "
                "delete those first"
            )
        conn.execute("DELETE FROM tag_members WHERE tag_id = ?", row)
        conn.execute("DELETE FROM tags WHERE id = ?", row)
