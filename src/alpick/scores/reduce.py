"""Per-image reductions of per-box values over the segments of a box table.

Everything is a vectorised segment reduction (``np.ufunc.reduceat`` on the non-empty segments
only, since ``reduceat`` misreads empty ones); an image with no boxes gets 0 explicitly.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from alpick.scores.errors import ScoreError

Float64Array = NDArray[np.float64]
Int64Array = NDArray[np.int64]

#: Names of the per-image reductions of per-box scores.
REDUCTIONS: tuple[str, ...] = ("max", "mean", "sum")


def check_reduction(name: str) -> str:
    """The canonical (lower-case) reduction name.

    Raises:
        ScoreError: If ``name`` is not one of :data:`REDUCTIONS`.
    """
    key = name.lower()
    if key not in REDUCTIONS:
        raise ScoreError(f"unknown reduction {name!r}; valid: {', '.join(REDUCTIONS)}")
    return key


def segment_reduce(values: Float64Array, offsets: Int64Array, reduction: str) -> Float64Array:
    """Reduce per-box ``values`` ``(M,)`` to one value per image ``(N,)``.

    Args:
        values: One value per box, ``(M,)``.
        offsets: Segment bounds, ``(N + 1,)``.
        reduction: ``"max"``, ``"mean"`` or ``"sum"``.

    Returns:
        ``(N,)`` float64; 0 for images with no boxes.

    Raises:
        ScoreError: For an unknown reduction.
    """
    key = check_reduction(reduction)
    values = np.asarray(values, dtype=np.float64)
    counts = np.diff(offsets)
    out = np.zeros(len(counts), dtype=np.float64)
    nonempty = counts > 0
    if not nonempty.any():
        return out
    starts = offsets[:-1][nonempty]
    if key == "max":
        out[nonempty] = np.maximum.reduceat(values, starts)
    else:
        sums = np.add.reduceat(values, starts)
        out[nonempty] = sums / counts[nonempty] if key == "mean" else sums
    return out


def segment_topk_mean(values: Float64Array, offsets: Int64Array, k: int) -> Float64Array:
    """Mean of the ``k`` largest per-box values of each image, ``(N,)``.

    An image with fewer than ``k`` boxes averages the boxes it has; one with none gets 0.
    Runs ``k`` rounds of "take each segment's maximum, remove its first occurrence", so it costs
    a few passes over the boxes per round and no sort.

    Raises:
        ScoreError: If ``k < 1``.
    """
    if k < 1:
        raise ScoreError(f"k must be >= 1, got {k}")
    work = np.array(values, dtype=np.float64)
    counts = np.diff(offsets)
    n = len(counts)
    out = np.zeros(n, dtype=np.float64)
    nonempty = counts > 0
    if not nonempty.any():
        return out
    starts = offsets[:-1][nonempty]
    seg_counts = counts[nonempty]
    sums = np.zeros(len(starts))
    position = np.arange(len(work), dtype=np.int64)
    rounds = int(min(k, seg_counts.max()))
    for r in range(rounds):
        live = seg_counts > r
        best = np.maximum.reduceat(work, starts)
        sums[live] += best[live]
        if r + 1 == rounds:
            break
        at_best = work == np.repeat(best, seg_counts)
        first = np.minimum.reduceat(np.where(at_best, position, len(work)), starts)
        work[first[live]] = -np.inf
    out[nonempty] = sums / np.minimum(seg_counts, k)
    return out
