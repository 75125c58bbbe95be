"""THRESHOLD: keep only the samples whose value passes a comparison, before selecting."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from alpick.select.config import Operation


def threshold_mask(
    values: NDArray[np.float64], threshold: float, operation: Operation
) -> NDArray[np.bool_]:
    """``(N,)`` bool: which samples pass ``value <op> threshold``."""
    values = np.asarray(values, dtype=np.float64)
    if operation == Operation.SMALLER:
        return values < threshold
    if operation == Operation.SMALLER_EQUAL:
        return values <= threshold
    if operation == Operation.BIGGER:
        return values > threshold
    return values >= threshold
