"""``object_frequency``: prefer images with many objects of many classes.

Per image, the first object of each class counts 1 and each further object of that class counts
``frequency_penalty`` (0.25); the sums of the whole query set are then mapped linearly
(``np.interp``) from [their minimum, their maximum] onto [``min_score`` (0.9), 1]. When every
image has the same sum, every image gets 1.0 (what ``np.interp`` does with equal end points).
This is the platform scorer's ``object_frequency``, value for value.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from alpick.scores.boxtable import BoxTable
from alpick.scores.errors import ScoreError

Float64Array = NDArray[np.float64]
Int64Array = NDArray[np.int64]

#: Largest image x class grid counted with a dense bincount before falling back to sorting.
_DENSE_LIMIT = 50_000_000


def distinct_classes_per_image(boxes: BoxTable) -> Int64Array:
    """Number of different classes among each image's boxes, ``(N,)``."""
    n = boxes.n_images
    if boxes.n_boxes == 0:
        return np.zeros(n, dtype=np.int64)
    image = boxes.image_index()
    n_cls = int(boxes.class_id.max()) + 1
    if n * n_cls <= _DENSE_LIMIT:
        grid = np.bincount(image * n_cls + boxes.class_id, minlength=n * n_cls)
        return np.count_nonzero(grid.reshape(n, n_cls), axis=1).astype(np.int64)
    keys = np.unique(image * n_cls + boxes.class_id)
    return np.bincount(keys // n_cls, minlength=n).astype(np.int64)


def object_counts(boxes: BoxTable, *, frequency_penalty: float = 0.25) -> Float64Array:
    """The penalised object count of each image before the linear map, ``(N,)``."""
    distinct = distinct_classes_per_image(boxes)
    repeats = boxes.counts() - distinct
    return distinct.astype(np.float64) + frequency_penalty * repeats


def object_frequency(
    boxes: BoxTable,
    *,
    reduction: str = "max",
    frequency_penalty: float = 0.25,
    min_score: float = 0.9,
) -> Float64Array:
    """The ``object_frequency`` score of each image, ``(N,)``, in [``min_score``, 1].

    Args:
        boxes: The predictions of the whole query set.
        reduction: Ignored (an image-level score); accepted so all scores share a signature.
        frequency_penalty: Weight of each further object of a class already counted, in [0, 1].
        min_score: The score of the image with the fewest objects, in [0, 1].

    Raises:
        ScoreError: If ``frequency_penalty`` or ``min_score`` is outside [0, 1].
    """
    del reduction
    for name, value in (("frequency_penalty", frequency_penalty), ("min_score", min_score)):
        if not 0.0 <= value <= 1.0:
            raise ScoreError(f"{name} must be in [0, 1], got {value}")
    counts = object_counts(boxes, frequency_penalty=frequency_penalty)
    if len(counts) == 0:
        return counts
    lo, hi = float(counts.min()), float(counts.max())
    return np.asarray(np.interp(counts, (lo, hi), (min_score, 1.0)), dtype=np.float64)
