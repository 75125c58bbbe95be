"""What the pages show, as plain JSON-ready data: the overview, the grid, a sample, the map."""

from __future__ import annotations

import base64
import sqlite3
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alpick.errors import AlpickError
from alpick.serve.errors import ApiError
from alpick.serve.reader import PackedPredictions, Reader
from alpick.serve.simulations import find_simulations
from alpick.store import embeddings as _embeddings
from alpick.store import predictions as _predictions
from alpick.store import runs as _runs
from alpick.store import scores as _scores
from alpick.store import tags as _tags

MAX_PAGE = 200


def b64(array: NDArray[Any]) -> str:
    """Little-endian bytes of ``array`` as base64 (the front end reads typed arrays)."""
    data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
    return base64.b64encode(data).decode("ascii")


def tag_members(conn: sqlite3.Connection, name: str) -> list[int]:
    """The sample ids of tag ``name``, in order.

    Raises:
        ApiError: 404 for an unknown tag.
    """
    try:
        return _tags.get_tag(conn, name).sample_ids
    except AlpickError as exc:
        raise ApiError(404, str(exc)) from None


def overview(reader: Reader, conn: sqlite3.Connection) -> dict[str, Any]:
    """Counts, tags (a tree through ``parent``), the sets, runs and simulations."""
    table = reader.samples(conn)
    counts = reader.gt_counts(conn, table)
    tags = [
        {
            "name": t.name,
            "parent": t.parent,
            "method": t.method,
            "config": t.config,
            "seed": t.seed,
            "created_at": t.created_at,
            "size": len(t.sample_ids),
        }
        for t in _tags.list_tags(conn)
    ]
    meta = reader.metadata(table)
    return {
        "project": reader.root.name,
        "samples": len(table.ids),
        "annotated": reader.annotated(table),
        "with_boxes": int((counts > 0).sum()),
        "boxes": int(counts.sum()),
        "classes": reader.classes(conn),
        "tags": tags,
        "prediction_sets": [
            {
                "name": p.name,
                "source": p.source,
                "classes": p.classes,
                "samples": p.samples,
                "boxes": p.boxes,
                "created_at": p.created_at,
            }
            for p in _predictions.list_prediction_sets(conn)
        ],
        "score_sets": [
            {
                "name": s.name,
                "prediction_set": s.prediction_set,
                "scores": s.score_names,
                "rows": s.rows,
                "created_at": s.created_at,
            }
            for s in _scores.list_score_sets(conn)
        ],
        "embedding_sets": [
            {
                "name": e.name,
                "model": e.model,
                "dim": e.dim,
                "rows": e.rows,
                "created_at": e.created_at,
            }
            for e in _embeddings.list_embedding_sets(conn)
        ],
        "runs": [{"name": r.name, "created_at": r.created_at} for r in _runs.list_runs(conn)],
        "scores": list(reader.scores(conn)),
        "metadata": list(meta),
        "simulations": [
            {"name": s.name, "rounds": len(s.rounds)} for s in find_simulations(reader.root)
        ],
    }


@dataclass(frozen=True)
class GridQuery:
    """The grid's filters, sort and page (validated by the route)."""

    offset: int = 0
    limit: int = 48
    tag: str | None = None
    not_tag: str | None = None
    score: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    meta: str | None = None
    meta_value: str | None = None
    sort: str | None = None
    descending: bool = True
    predictions: str | None = None


def _boxes_of(pred: PackedPredictions | None, sample_id: int) -> list[list[float]]:
    if pred is None:
        return []
    part = pred.boxes(sample_id)
    xyxy, cls, conf = pred.xyxy[part], pred.class_id[part], pred.confidence[part]
    return [
        [*(round(float(v), 1) for v in box), int(c), round(float(s), 4)]
        for box, c, s in zip(xyxy, cls, conf, strict=True)
    ]


def grid(reader: Reader, conn: sqlite3.Connection, q: GridQuery) -> dict[str, Any]:
    """One page of samples after filtering and sorting, with their boxes."""
    table = reader.samples(conn)
    n = len(table.ids)
    keep = np.ones(n, dtype=bool)
    if q.tag:
        mask = np.zeros(n, dtype=bool)
        mask[table.rows(tag_members(conn, q.tag))] = True
        keep &= mask
    if q.not_tag:
        keep[table.rows(tag_members(conn, q.not_tag))] = False
    score = None
    if q.score:
        score = reader.score(conn, q.score)
        if q.min_score is not None:
            keep &= score >= q.min_score
        if q.max_score is not None:
            keep &= score <= q.max_score
    elif q.min_score is not None or q.max_score is not None:
        raise ApiError(400, "min_score and max_score need a score")
    if q.meta:
        meta = reader.metadata(table)
        if q.meta not in meta:
            raise ApiError(404, f"unknown metadata column {q.meta!r} (columns: {', '.join(meta)})")
        if q.meta_value is not None:
            keep &= np.asarray(meta[q.meta], dtype=object) == q.meta_value
    rows = np.flatnonzero(keep)
    sort_values = None
    if q.sort and q.sort != "id":
        sort_values = reader.score(conn, q.sort)
        order = np.argsort(-sort_values[rows] if q.descending else sort_values[rows], kind="stable")
        rows = rows[order]
    elif q.sort == "id" and q.descending:
        rows = rows[::-1]
    page = rows[q.offset : q.offset + q.limit]
    ids = [int(table.ids[r]) for r in page]
    pred = reader.predictions(conn, q.predictions)
    gt = reader.gt_boxes(conn, ids)
    shown = sort_values if sort_values is not None else score
    items = [
        {
            "id": sid,
            "path": table.paths[r],
            "width": int(table.width[r]),
            "height": int(table.height[r]),
            "score": None if shown is None else round(float(shown[r]), 6),
            "gt": gt[sid],
            "pred": _boxes_of(pred, sid),
        }
        for sid, r in zip(ids, page.tolist(), strict=True)
    ]
    return {
        "total": len(rows),
        "offset": q.offset,
        "limit": q.limit,
        "items": items,
        "classes": reader.classes(conn),
        "pred_classes": [] if pred is None else pred.classes,
        "predictions": None if pred is None else pred.name,
    }


def sample(
    reader: Reader,
    conn: sqlite3.Connection,
    sample_id: int,
    *,
    predictions: str | None,
    embeddings: str | None,
    k: int,
) -> dict[str, Any]:
    """Everything about one sample: boxes, class probabilities, scores, tags, neighbours."""
    table = reader.samples(conn)
    row = table.row(sample_id)
    pred = reader.predictions(conn, predictions)
    boxes = []
    if pred is not None:
        part = pred.boxes(sample_id)
        probs = None if pred.class_probs is None else pred.class_probs[part]
        for i, (box, c, s) in enumerate(
            zip(pred.xyxy[part], pred.class_id[part], pred.confidence[part], strict=True)
        ):
            boxes.append(
                {
                    "xyxy": [round(float(v), 1) for v in box],
                    "class": pred.classes[int(c)] if int(c) < len(pred.classes) else str(int(c)),
                    "class_id": int(c),
                    "confidence": round(float(s), 4),
                    "probs": None if probs is None else [round(float(p), 4) for p in probs[i]],
                }
            )
    tags = [
        r[0]
        for r in conn.execute(
            "SELECT t.name FROM tag_members m JOIN tags t ON t.id = m.tag_id "
            "WHERE m.sample_id = ? ORDER BY t.id",
            (sample_id,),
        )
    ]
    neighbours: list[dict[str, Any]] = []
    emb_name = None
    try:
        emb = reader.embeddings(conn, embeddings)
    except ApiError:
        if embeddings:
            raise
        emb = None
    if emb is not None:
        emb_name = emb.name
        dist = np.linalg.norm(emb.unit - emb.unit[row], axis=1)
        dist[row] = np.inf
        count = min(k, len(dist) - 1)
        if count > 0:
            near = np.argpartition(dist, count - 1)[:count] if count < len(dist) else np.arange(0)
            near = near[np.argsort(dist[near], kind="stable")]
            neighbours = [
                {"id": int(table.ids[j]), "path": table.paths[j], "distance": float(dist[j])}
                for j in near.tolist()
            ]
    meta = reader.metadata(table)
    return {
        "id": sample_id,
        "path": table.paths[row],
        "width": int(table.width[row]),
        "height": int(table.height[row]),
        "classes": reader.classes(conn),
        "gt": reader.gt_boxes(conn, [sample_id])[sample_id],
        "predictions": None if pred is None else pred.name,
        "boxes": boxes,
        "scores": {key: float(v[row]) for key, v in reader.scores(conn).items()},
        "tags": tags,
        "metadata": {col: values[row] for col, values in meta.items()},
        "embeddings": emb_name,
        "neighbours": neighbours,
        "prev": int(table.ids[row - 1]) if row > 0 else None,
        "next": int(table.ids[row + 1]) if row + 1 < len(table.ids) else None,
    }


def map_points(reader: Reader, conn: sqlite3.Connection, name: str | None) -> dict[str, Any]:
    """The 2-D map: ids and coordinates as base64 typed arrays (int32 ids, float32 x, y)."""
    table = reader.samples(conn)
    emb = reader.embeddings(conn, name)
    xy = emb.coords
    return {
        "embeddings": emb.name,
        "n": len(table.ids),
        "ids": b64(table.ids.astype(np.int32)),
        "xy": b64(xy.reshape(-1).astype(np.float32)),
        "bounds": [
            float(xy[:, 0].min()),
            float(xy[:, 1].min()),
            float(xy[:, 0].max()),
            float(xy[:, 1].max()),
        ]
        if len(xy)
        else [0, 0, 1, 1],
    }


def color_values(reader: Reader, conn: sqlite3.Connection, color: str) -> dict[str, Any]:
    """Per-row values to colour the map by: ``tag:NAME``, ``score:SET/NAME`` or ``meta:COL``.

    Returns:
        ``kind`` (``tag``, ``score`` or ``category``), ``values`` (base64 float32, one per
        row), and ``min``/``max`` (scores) or ``categories`` (metadata).

    Raises:
        ApiError: 400 for a malformed spec, 404 for an unknown tag, score or column.
    """
    table = reader.samples(conn)
    n = len(table.ids)
    kind, _, name = color.partition(":")
    if not name:
        raise ApiError(400, "color must be tag:NAME, score:SET/NAME or meta:COLUMN")
    if kind == "tag":
        values = np.zeros(n, dtype=np.float32)
        values[table.rows(tag_members(conn, name))] = 1.0
        return {"kind": "tag", "values": b64(values), "min": 0.0, "max": 1.0}
    if kind == "score":
        score = reader.score(conn, name)
        return {
            "kind": "score",
            "values": b64(score.astype(np.float32)),
            "min": float(score.min()) if n else 0.0,
            "max": float(score.max()) if n else 1.0,
        }
    if kind == "meta":
        meta = reader.metadata(table)
        if name not in meta:
            raise ApiError(404, f"unknown metadata column {name!r}")
        categories, codes = np.unique(np.asarray(meta[name], dtype=object), return_inverse=True)
        return {
            "kind": "category",
            "values": b64(codes.astype(np.float32)),
            "categories": [str(c) for c in categories.tolist()],
        }
    raise ApiError(400, f"unknown colour kind {kind!r} (tag, score or meta)")
