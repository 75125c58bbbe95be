"""WEIGHTS (and RANDOM): a fixed per-sample weight, normalised to [0, 1]."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Float64Array = NDArray[np.float64]


def normalized_weights(values: Float64Array) -> Float64Array:
    """Min-max scale ``(N,)`` values onto [0, 1]; all-equal values all become 1.

    The lowest value maps to 0, so with a positive strength it is picked only when nothing
    else is left (or another objective is 0 everywhere too).
    """
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return values.copy()
    lo, hi = float(values.min()), float(values.max())
    if hi == lo:
        return np.ones_like(values)
    return (values - lo) / (hi - lo)


def random_weights(n: int, rng: np.random.Generator) -> Float64Array:
    """One uniform [0, 1) weight per sample from ``rng`` (the RANDOM input), ``(n,)``."""
    return rng.random(n)
