"""Embedding sets: named ``(N, D)`` float32 matrices aligned to the project's samples."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alpick.errors import AlpickError
from alpick.store.arrays import fresh_file, load_npy, save_npy
from alpick.store.db import to_json, utc_now
from alpick.store.filesets import commit_set, find_set
from alpick.store.names import check_name
from alpick.store.records import EmbeddingSet

_COLUMNS = ("name", "model", "dim", "rows", "file", "meta", "created_at")
_NO_EMBEDDINGS = "run `alpick embed` or `alpick embed import`"


def sample_count(conn: sqlite3.Connection) -> int:
    """Number of samples in the project."""
    return int(conn.execute("SELECT count(*) FROM samples").fetchone()[0])


def check_rows(conn: sqlite3.Connection, rows: int, what: str) -> None:
    """Refuse an array of ``rows`` rows that is not aligned to the samples.

    Raises:
        AlpickError: If the project does not have exactly ``rows`` samples.
    """
    n = sample_count(conn)
    if rows != n:
        raise AlpickError(f"{what} has {rows} rows but the project has {n} samples")


def _record(row: tuple[Any, ...]) -> EmbeddingSet:
    name, model, dim, rows, file, meta, created = row
    return EmbeddingSet(name, model, dim, rows, file, json.loads(meta), created)


def save_embeddings(
    conn: sqlite3.Connection,
    state_dir: Path,
    name: str,
    array: NDArray[Any],
    *,
    model: str,
    meta: Mapping[str, Any] | None = None,
) -> EmbeddingSet:
    """Save ``array`` (``(N, D)``, row ``i`` = sample ``i`` of ``samples()``) as set ``name``.

    An existing set of that name is replaced atomically.

    Raises:
        AlpickError: On a bad name, a shape that is not ``(samples, D >= 1)``, non-finite
            values, an empty model name or metadata that is not JSON.
    """
    check_name("embeddings", name)
    matrix = np.asarray(array)
    if matrix.ndim != 2 or matrix.shape[1] < 1:
        raise AlpickError(f"embeddings must be a 2-D (samples, dim) array, got {matrix.shape}")
    if not np.issubdtype(matrix.dtype, np.number):
        raise AlpickError(f"embeddings must be numbers, got dtype {matrix.dtype}")
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    finite = np.isfinite(matrix)
    # A row of NaN is a sample with no embedding (an image `embed --skip-bad` could not read):
    # allowed, retried by the next `alpick embed`, never selected. Anything else non-finite is not.
    if not (finite.all(axis=1) | np.isnan(matrix).all(axis=1)).all():
        raise AlpickError("embeddings contain NaN or infinite values (other than whole NaN rows)")
    check_rows(conn, len(matrix), f"embeddings {name!r}")
    if not model or not isinstance(model, str):
        raise AlpickError("embeddings need a model name")
    try:
        meta_json = to_json(dict(meta or {}))
    except (TypeError, ValueError) as exc:
        raise AlpickError(f"embeddings metadata must be JSON-serializable: {exc}") from None
    file = fresh_file(state_dir / "embeddings", name, ".npy")
    save_npy(file, matrix)
    columns = {
        "model": model,
        "dim": int(matrix.shape[1]),
        "rows": len(matrix),
        "meta": meta_json,
        "created_at": utc_now(),
    }
    commit_set(
        conn,
        state_dir,
        "embedding_sets",
        name,
        file,
        columns,
        check=lambda c: check_rows(c, len(matrix), f"embeddings {name!r}"),
    )
    return embedding_set(conn, name)


def embedding_set(conn: sqlite3.Connection, name: str | None) -> EmbeddingSet:
    """The record of set ``name`` (``None``: the most recently saved).

    Raises:
        AlpickError: If there is no such set.
    """
    row = find_set(
        conn, "embedding_sets", _COLUMNS, name, kind="embeddings", none_hint=_NO_EMBEDDINGS
    )
    return _record(row)


def list_embedding_sets(conn: sqlite3.Connection) -> list[EmbeddingSet]:
    """All embedding sets, oldest first."""
    rows = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM embedding_sets ORDER BY id")
    return [_record(tuple(r)) for r in rows]


def load_embeddings(
    conn: sqlite3.Connection, state_dir: Path, name: str | None, *, partial: bool = False
) -> tuple[NDArray[np.float32], EmbeddingSet]:
    """The ``(N, D)`` matrix of set ``name`` (``None``: the latest) and its record.

    With ``partial``, a set made before images were added (fewer rows than samples: the first
    samples) is returned too, for extending it.

    Raises:
        AlpickError: If there is no such set, or images were added since it was made (it must
            then be recomputed), or its file is damaged.
    """
    record = embedding_set(conn, name)
    n = sample_count(conn)
    if record.rows != n and not (partial and record.rows < n):
        raise AlpickError(
            f"embeddings {record.name!r} have {record.rows} rows but the project has {n} "
            f"samples (images were added since); re-embed ({_NO_EMBEDDINGS})"
        )
    array = load_npy(state_dir / record.file)
    if array.shape != (record.rows, record.dim):
        raise AlpickError(
            f"embeddings file {state_dir / record.file} has shape {array.shape}, "
            f"expected {(record.rows, record.dim)}; re-embed ({_NO_EMBEDDINGS})"
        )
    return array.astype(np.float32, copy=False), record
