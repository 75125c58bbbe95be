"""The selection page: a tag's picks in order, with the score and distance that made each win.

A tag made by ``alpick select`` records its config and the sets it read (``config.inputs``).
From those, each pick gets the value of the score its config weighs (from the score set the
selection read) and its distance, on the L2-normalized embeddings it read, to the nearest sample
chosen before it (the preselected ones and the earlier picks): the quantity k-center greedy
maximizes at each step.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alpick.serve.errors import ApiError
from alpick.serve.reader import Reader
from alpick.serve.views import tag_members
from alpick.store import tags as _tags

#: Distances are computed for at most this many picks (each costs one pass over the picks).
MAX_DISTANCE_PICKS = 5000


def _pick_scores(
    reader: Reader, conn: sqlite3.Connection, config: dict[str, Any]
) -> tuple[str | None, NDArray[np.float64] | None]:
    """The score the config weighs, as the selection read it: from the score set it recorded,
    else computed from the prediction set it recorded (with its ``min_confidence``)."""
    names = [
        s.get("score")
        for s in config.get("strategies", [])
        if isinstance(s, dict) and s.get("score")
    ]
    origin = (config.get("inputs") or {}).get("scores") or {}
    if not names or not isinstance(origin, dict):
        return None, None
    score = str(names[0]).lower()
    stored = reader.scores(conn)
    set_name = origin.get("score_set")
    if set_name is not None:
        key = f"{set_name}/{score}"
        return (key, stored[key]) if key in stored else (None, None)
    pred = origin.get("prediction_set")
    if not isinstance(pred, str):
        return None, None
    threshold = origin.get("min_confidence", 0.0)
    try:
        computed = reader.computed_scores(conn, pred, float(threshold or 0.0))
    except (ApiError, ValueError, TypeError):
        return None, None
    if score not in computed:
        return None, None
    return f"{pred}/{score} (computed, min_confidence {threshold})", computed[score]


def selection(reader: Reader, conn: sqlite3.Connection, name: str) -> dict[str, Any]:
    """The picks of tag ``name`` over its parent, in pick order, with what made them win.

    Raises:
        ApiError: 404 for an unknown tag.
    """
    members = tag_members(conn, name)
    tag = _tags.get_tag(conn, name)
    before = tag_members(conn, tag.parent) if tag.parent else []
    before_set = set(before)
    picks = [i for i in members if i not in before_set]
    table = reader.samples(conn)
    key, score = _pick_scores(reader, conn, tag.config)
    distance: list[float | None] = [None] * len(picks)
    emb_name = (tag.config.get("inputs") or {}).get("embeddings")
    if emb_name and picks:
        try:
            emb = reader.embeddings(conn, str(emb_name))
        except ApiError:
            emb = None
        if emb is not None:
            counted = picks[:MAX_DISTANCE_PICKS]
            rows = table.rows(counted)
            pick_vecs = emb.unit[rows].astype(np.float64)
            nearest = np.full(len(rows), np.inf)
            for start in range(0, len(before), 4096):
                centers = emb.unit[table.rows(before[start : start + 4096])].astype(np.float64)
                d = np.sqrt(
                    np.maximum(
                        (pick_vecs**2).sum(1)[:, None]
                        + (centers**2).sum(1)[None, :]
                        - 2 * pick_vecs @ centers.T,
                        0.0,
                    )
                )
                nearest = np.minimum(nearest, d.min(axis=1))
            for i in range(len(rows)):
                distance[i] = None if np.isinf(nearest[i]) else float(nearest[i])
                step = np.linalg.norm(pick_vecs - pick_vecs[i], axis=1)
                nearest = np.minimum(nearest, step)
    items = []
    for order, sid in enumerate(picks):
        row = table.row_of.get(sid)
        items.append(
            {
                "order": order + 1,
                "id": sid,
                "path": table.paths[row] if row is not None else "?",
                "score": None if score is None or row is None else float(score[row]),
                "distance": distance[order],
            }
        )
    return {
        "name": tag.name,
        "parent": tag.parent,
        "method": tag.method,
        "seed": tag.seed,
        "created_at": tag.created_at,
        "config": tag.config,
        "preselected": len(before),
        "score": key,
        "embeddings": emb_name,
        "picks": items,
    }
