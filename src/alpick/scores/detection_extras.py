"""Detection-specific scores beyond the platform's, built on the per-box entropy.

* ``uncertainty_entropy_topk_mean``: the mean normalised entropy of the ``k`` (3) most uncertain
  boxes of an image (all its boxes when it has fewer). Unlike ``max`` one stray box does not
  decide the image; unlike ``mean`` many confident boxes do not drown a few uncertain ones.
* ``uncertainty_entropy_sum``: the sum of the normalised entropies of an image's boxes, i.e.
  the mean entropy weighted by the box count: busy, uncertain images first (orchard images with
  hundreds of apples are where a detector learns most).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from alpick.scores.boxtable import BoxTable
from alpick.scores.reduce import segment_reduce, segment_topk_mean
from alpick.scores.uncertainty import box_entropy

Float64Array = NDArray[np.float64]

#: How many boxes ``uncertainty_entropy_topk_mean`` averages.
TOPK = 3


def uncertainty_entropy_topk_mean(
    boxes: BoxTable, *, reduction: str = "max", k: int = TOPK
) -> Float64Array:
    """Mean normalised entropy of the ``k`` most uncertain boxes per image, ``(N,)``.

    Args:
        boxes: The predictions.
        reduction: Ignored (the score fixes its own reduction).
        k: How many boxes to average (>= 1).
    """
    del reduction
    return segment_topk_mean(box_entropy(boxes), boxes.offsets, k)


def uncertainty_entropy_sum(boxes: BoxTable, *, reduction: str = "max") -> Float64Array:
    """Sum of the normalised box entropies per image (box-count-weighted entropy), ``(N,)``.

    Args:
        boxes: The predictions.
        reduction: Ignored (the score fixes its own reduction).
    """
    del reduction
    return segment_reduce(box_entropy(boxes), boxes.offsets, "sum")
