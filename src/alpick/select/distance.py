"""Streaming nearest-center distances: the one code path behind every DIVERSITY selection.

k-center greedy is memory-bound: each new center needs the distance of every sample to it, so
each pick streams the ``(N, D)`` matrix once. :class:`MinDistance` keeps one ``(N,)`` float32
vector of squared distances to the nearest center and updates it with one matrix-vector product
per new center, using precomputed squared norms (``d2 = |x|^2 - 2 x.c + |c|^2``). The product
runs over up to a million rows per BLAS call (small chunks cost more in threading overhead than
they save in cache: measured 1.6x slower at 65,536 rows), into one reused ``(rows,)`` buffer, so
the extra element-wise passes touch only ``(N,)`` vectors, a 1/D fraction of the matrix.
Many initial centers are added with blocked matrix products whose memory is
``O(chunk x block)``, never ``N x centers``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from alpick.select.errors import SelectionError

Float32Array = NDArray[np.float32]
Int64Array = NDArray[np.int64]

#: Rows per matrix-vector product of the streaming update (a 4 MiB buffer).
STREAM_ROWS = 1_048_576
#: Rows and centers per block when adding many centers at once (a 16 MiB temporary).
BLOCK_ROWS = 4_096
BLOCK_CENTERS = 1_024


def l2_normalize(features: ArrayLike, *, inplace: bool = False) -> Float32Array:
    """Rows scaled to unit L2 norm, float32 ``(N, D)``; all-zero rows stay zero.

    With ``inplace``, a writeable C-contiguous float32 ``features`` is scaled where it lies and
    returned (no second ``(N, D)`` matrix: 512 MiB at 1,000,000 x 128); anything else is
    copied as without it.

    Raises:
        SelectionError: If ``features`` is not 2-D or holds non-finite values.
    """
    x = np.asarray(features, dtype=np.float32)
    if x.ndim != 2:
        raise SelectionError(f"embeddings must be (N, D), got shape {x.shape}")
    norms = np.sqrt(np.einsum("ij,ij->i", x, x))
    if not np.isfinite(norms).all():
        raise SelectionError("embeddings must be finite")
    norms[norms == 0] = 1.0
    reuse = inplace and x.flags.c_contiguous and x.flags.writeable
    out = x if reuse else np.empty(x.shape, dtype=np.float32)  # one pass either way
    np.divide(x, norms[:, None], out=out)
    return out


class MinDistance:
    """Squared distance of every sample to its nearest center, updated one center at a time.

    Excluded samples (centers, non-candidates) hold ``-inf`` so that :meth:`farthest` never
    returns them; everything else starts at ``+inf`` (no center yet).

    Attributes:
        features: The samples, ``(N, D)`` float32, C-contiguous.
        d2: Squared distance to the nearest center, ``(N,)`` float32 (``-inf`` = excluded).
        n_centers: How many centers were added.

    Raises:
        SelectionError: If ``features`` is not 2-D or holds non-finite values.
    """

    def __init__(self, features: ArrayLike, *, stream_rows: int = STREAM_ROWS) -> None:
        x = np.ascontiguousarray(features, dtype=np.float32)
        if x.ndim != 2:
            raise SelectionError(f"features must be (N, D), got shape {x.shape}")
        self.features: Float32Array = x
        self._sq: Float32Array = np.einsum("ij,ij->i", x, x)
        if not np.isfinite(self._sq).all():
            raise SelectionError("features must be finite")
        self.d2: Float32Array = np.full(len(x), np.inf, dtype=np.float32)
        self.n_centers = 0
        self._rows = max(1, int(stream_rows))
        self._buf = np.empty(min(self._rows, max(len(x), 1)), dtype=np.float32)

    def __len__(self) -> int:
        return len(self.features)

    def exclude(self, index: int | Int64Array) -> None:
        """Never return these samples from :meth:`farthest` (their distance becomes ``-inf``)."""
        self.d2[index] = -np.inf

    def add_center(self, index: int) -> None:
        """Make sample ``index`` a center: one streaming pass over the features."""
        x, d2, sq, rows = self.features, self.d2, self._sq, self._rows
        center = x[index] * np.float32(-2.0)  # -2 x.c in the product: exact, one pass fewer
        center_sq = sq[index]
        for lo in range(0, len(x), rows):
            hi = min(lo + rows, len(x))
            buf = self._buf[: hi - lo]
            np.matmul(x[lo:hi], center, out=buf)
            buf += sq[lo:hi]
            buf += center_sq
            np.maximum(buf, 0.0, out=buf)  # rounding can make a duplicate's distance negative
            np.minimum(d2[lo:hi], buf, out=d2[lo:hi])
        self.n_centers += 1

    def add_centers(self, indices: Int64Array) -> None:
        """Make many samples centers at once (blocked matrix products, bounded memory)."""
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        x, d2, sq = self.features, self.d2, self._sq
        for b in range(0, len(indices), BLOCK_CENTERS):
            block = indices[b : b + BLOCK_CENTERS]
            centers_t = np.ascontiguousarray(x[block].T)
            centers_sq = sq[block]
            for lo in range(0, len(x), BLOCK_ROWS):
                hi = min(lo + BLOCK_ROWS, len(x))
                gram = x[lo:hi] @ centers_t
                gram *= -2.0
                gram += centers_sq
                nearest = gram.min(axis=1)
                nearest += sq[lo:hi]
                np.maximum(nearest, 0.0, out=nearest)
                np.minimum(d2[lo:hi], nearest, out=d2[lo:hi])
        self.n_centers += len(indices)

    def farthest(self) -> int:
        """The sample farthest from every center (lowest index on ties)."""
        return int(np.argmax(self.d2))

    def distances(self, indices: Int64Array) -> NDArray[np.float64]:
        """Distances (not squared) of ``indices`` to their nearest center (float64)."""
        return np.sqrt(self.d2[indices].astype(np.float64))
