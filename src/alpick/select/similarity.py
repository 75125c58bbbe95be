"""SIMILARITY: favour samples close to a query set (e.g. a tag of hard examples)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Float32Array = NDArray[np.float32]
Float64Array = NDArray[np.float64]

_BLOCK_ROWS = 4_096
_BLOCK_QUERIES = 1_024


def query_similarity(features: Float32Array, query: NDArray[np.bool_]) -> Float64Array:
    """Highest cosine similarity of each sample to a query sample, mapped to [0, 1].

    Args:
        features: ``(N, D)`` L2-normalised float32 features.
        query: ``(N,)`` bool mask of the query samples (at least one).

    Returns:
        ``(N,)``: ``(1 + max cosine) / 2``; the query samples themselves score 1.
    """
    x = np.ascontiguousarray(features, dtype=np.float32)
    queries = np.flatnonzero(np.asarray(query, dtype=bool))
    out = np.full(len(x), -np.inf)
    for q_lo in range(0, len(queries), _BLOCK_QUERIES):
        q_t = np.ascontiguousarray(x[queries[q_lo : q_lo + _BLOCK_QUERIES]].T)
        for lo in range(0, len(x), _BLOCK_ROWS):
            hi = min(lo + _BLOCK_ROWS, len(x))
            np.maximum(out[lo:hi], (x[lo:hi] @ q_t).max(axis=1), out=out[lo:hi])
    return np.clip((1.0 + out) / 2.0, 0.0, 1.0)
