"""``objectness_least_confidence``: ``1 - mean(confidence)`` over an image's boxes.

0 for an image with no boxes; the platform scorer's formula, value for value.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from alpick.scores.boxtable import BoxTable
from alpick.scores.reduce import segment_reduce

Float64Array = NDArray[np.float64]


def objectness_least_confidence(boxes: BoxTable, *, reduction: str = "max") -> Float64Array:
    """``1 - mean(confidence)`` per image, ``(N,)``, 0 with no boxes.

    Args:
        boxes: The predictions.
        reduction: Ignored (the formula fixes the mean); accepted so all scores share a
            signature.
    """
    del reduction
    mean = segment_reduce(boxes.confidence, boxes.offsets, "mean")
    return np.where(boxes.counts() > 0, 1.0 - mean, 0.0)
