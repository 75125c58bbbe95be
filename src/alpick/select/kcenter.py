"""k-center greedy (CORESET): repeatedly pick the sample farthest from every center.

The classic 2-approximation of the k-center problem (Gonzalez 1985; the "core-set" active
learning of Sener & Savarese 2018). Each pick costs one streaming pass over the features
(:class:`~alpick.select.distance.MinDistance`), so 1,000 picks among 1,000,000 x 128 embeddings
take about as long as 1,000 matrix-vector products.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from alpick.select.distance import MinDistance
from alpick.select.errors import SelectionError

Int64Array = NDArray[np.int64]


def greedy_farthest(
    distances: MinDistance,
    n: int,
    *,
    first_from: Int64Array | None,
    rng: np.random.Generator,
    stop_distance: float | None = None,
) -> Int64Array:
    """Pick up to ``n`` samples, each the farthest from all centers so far.

    Samples already excluded in ``distances`` are never picked; each pick is excluded and
    becomes a center (except the last, whose distances would never be read).

    Args:
        distances: The nearest-center state; its excluded samples are not candidates.
        n: How many samples to pick.
        first_from: When ``distances`` has no center yet, the first pick is
            ``first_from[rng.integers(len(first_from))]``; ignored otherwise.
        rng: Source of the first pick.
        stop_distance: Stop early once the farthest candidate is closer than this (Euclidean
            distance) to a center.

    Returns:
        The picks in order, ``(<= n,)`` int64.
    """
    picks: list[int] = []
    while len(picks) < n:
        if distances.n_centers == 0:
            if first_from is None or len(first_from) == 0:
                raise SelectionError("no candidate for the first pick")
            pick = int(first_from[rng.integers(len(first_from))])
        else:
            pick = distances.farthest()
            if stop_distance is not None:
                best = float(np.sqrt(max(float(distances.d2[pick]), 0.0)))
                if best < stop_distance:
                    break
        picks.append(pick)
        distances.exclude(pick)
        if len(picks) < n:  # the last pick's distances would never be read
            distances.add_center(pick)
    return np.asarray(picks, dtype=np.int64)


def k_center_greedy(
    features: ArrayLike,
    preselected: ArrayLike,
    n: int,
    *,
    rng: np.random.Generator | None = None,
) -> Int64Array:
    """Pick ``n`` new samples by k-center greedy, the preselected ones as initial centers.

    Args:
        features: ``(N, D)`` float32 features (CORESET passes L2-normalised embeddings).
        preselected: ``(N,)`` bool mask of the samples already selected (initial centers).
        n: How many NEW samples to pick.
        rng: With no preselected sample, the first pick is ``rng.integers(N)``;
            default ``np.random.default_rng(0)``.

    Returns:
        The ``n`` picked row indices in pick order, ``(n,)`` int64; never a preselected one.

    Raises:
        SelectionError: (a ``ValueError``) if shapes disagree, values are not finite, ``n`` is
            negative or more than the samples not preselected.

    Example:
        >>> x = np.array([[0, 0], [1, 0], [10, 0], [11, 0]], np.float32)
        >>> k_center_greedy(x, np.array([True, False, False, False]), 1).tolist()
        [3]
    """
    distances = MinDistance(features)
    pre = np.asarray(preselected, dtype=bool).reshape(-1)
    if len(pre) != len(distances):
        raise SelectionError(f"preselected has {len(pre)} entries for {len(distances)} samples")
    available = len(pre) - int(pre.sum())
    if n < 0 or n > available:
        raise SelectionError(f"cannot pick {n} samples: {available} are not preselected")
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    pre_idx = np.flatnonzero(pre)
    if len(pre_idx):
        distances.add_centers(pre_idx)
        distances.exclude(pre_idx)
    rng = np.random.default_rng(0) if rng is None else rng
    return greedy_farthest(distances, n, first_from=np.arange(len(pre), dtype=np.int64), rng=rng)
