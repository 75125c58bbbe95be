"""TYPICALITY: favour samples in dense regions of the embedding space.

Typicality is the inverse of the mean distance to the ``k`` nearest neighbours (TypiClust,
Hacohen et al. 2022). Exact k-nearest neighbours of every sample costs ``O(N^2)``; we measure
distances to a random reference subset of at most ``n_reference`` samples (4,096 by default)
instead, in blocks, so the cost is ``O(N x n_reference)`` time and ``O(block x n_reference)``
memory. With ``R`` references the ``k``-th nearest reference stands for roughly the
``k N / R``-th nearest sample: a coarser neighbourhood that ranks density the same way on
average. The objective is the typicality divided by its maximum, in (0, 1].
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Float32Array = NDArray[np.float32]
Float64Array = NDArray[np.float64]

#: Default neighbours and reference subset size.
DEFAULT_K = 20
DEFAULT_REFERENCES = 4_096
_BLOCK_ROWS = 2_048


def typicality(
    features: Float32Array,
    *,
    rng: np.random.Generator,
    k: int = DEFAULT_K,
    n_reference: int = DEFAULT_REFERENCES,
) -> Float64Array:
    """Normalised typicality of each sample, ``(N,)`` in (0, 1].

    Args:
        features: ``(N, D)`` float32 (the engine passes L2-normalised embeddings).
        rng: Draws the reference subset.
        k: Neighbours to average (capped at the references available).
        n_reference: Size of the reference subset.
    """
    x = np.ascontiguousarray(features, dtype=np.float32)
    n = len(x)
    if n <= 1:
        return np.ones(n)
    refs = np.sort(rng.choice(n, size=min(n, n_reference), replace=False))
    ref_t = np.ascontiguousarray(x[refs].T)
    sq = np.einsum("ij,ij->i", x, x)
    ref_sq = sq[refs]
    kk = max(1, min(k, len(refs) - 1))
    is_ref = np.full(n, -1, dtype=np.int64)
    is_ref[refs] = np.arange(len(refs))
    mean_dist = np.empty(n)
    for lo in range(0, n, _BLOCK_ROWS):
        hi = min(lo + _BLOCK_ROWS, n)
        d2 = x[lo:hi] @ ref_t
        d2 *= -2.0
        d2 += ref_sq
        d2 += sq[lo:hi, None]
        np.maximum(d2, 0.0, out=d2)
        rows = np.flatnonzero(is_ref[lo:hi] >= 0)
        d2[rows, is_ref[lo:hi][rows]] = np.inf  # a sample is not its own neighbour
        nearest = np.partition(d2, kk - 1, axis=1)[:, :kk]
        mean_dist[lo:hi] = np.sqrt(nearest.astype(np.float64)).mean(axis=1)
    typ = 1.0 / (mean_dist + 1e-12)
    return typ / typ.max()
