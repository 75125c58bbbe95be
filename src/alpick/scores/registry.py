"""The score registry: names to functions, and :func:`compute_scores` over a box table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from alpick.scores.boxtable import BoxTable
from alpick.scores.detection_extras import uncertainty_entropy_sum, uncertainty_entropy_topk_mean
from alpick.scores.errors import ScoreError
from alpick.scores.frequency import object_frequency
from alpick.scores.objectness import objectness_least_confidence
from alpick.scores.reduce import check_reduction
from alpick.scores.uncertainty import (
    uncertainty_entropy,
    uncertainty_least_confidence,
    uncertainty_margin,
)

Float64Array = NDArray[np.float64]


class ScoreFn(Protocol):
    """A score: a box table of N images in, one float64 per image ``(N,)`` out."""

    def __call__(self, boxes: BoxTable, *, reduction: str = "max") -> Float64Array: ...


#: Every score by its registry name (lower case), in the order ``alpick scores`` writes them.
SCORES: dict[str, ScoreFn] = {
    "object_frequency": object_frequency,
    "objectness_least_confidence": objectness_least_confidence,
    "uncertainty_least_confidence": uncertainty_least_confidence,
    "uncertainty_margin": uncertainty_margin,
    "uncertainty_entropy": uncertainty_entropy,
    "uncertainty_entropy_topk_mean": uncertainty_entropy_topk_mean,
    "uncertainty_entropy_sum": uncertainty_entropy_sum,
}

#: The scores whose per-box values the ``reduction`` argument reduces; the others are
#: image-level or fix their own reduction.
REDUCIBLE: frozenset[str] = frozenset(
    {"uncertainty_least_confidence", "uncertainty_margin", "uncertainty_entropy"}
)


def score_name(name: str) -> str:
    """The canonical (lower-case) registry name of ``name``.

    Raises:
        ScoreError: If no score has that name.
    """
    key = name.strip().lower()
    if key not in SCORES:
        raise ScoreError(f"unknown score {name!r}; valid: {', '.join(SCORES)}")
    return key


def check_min_confidence(value: float) -> float:
    """``value`` if it is a number in [0, 1] (``nan`` is not).

    Raises:
        ScoreError: Otherwise.
    """
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise ScoreError(f"--min-confidence must be a number in [0, 1], got {value!r}")
    return float(value)


def compute_scores(
    boxes: BoxTable,
    names: Sequence[str] | None = None,
    *,
    reduction: str = "max",
    min_confidence: float = 0.0,
) -> dict[str, Float64Array]:
    """Compute scores for every image of a box table.

    Args:
        boxes: The predictions of the whole query set (``object_frequency`` is relative to it).
        names: Score names (case-insensitive); ``None`` for all of :data:`SCORES`.
        reduction: How per-box uncertainty scores become one per image: ``max`` (the platform's),
            ``mean`` or ``sum``; see :data:`REDUCIBLE`.
        min_confidence: Boxes with a confidence below this are dropped before scoring.

    Returns:
        Canonical name to ``(N,)`` float64 scores, in the order asked.

    Raises:
        ScoreError: For an unknown score or reduction.
    """
    keys = list(SCORES) if names is None else [score_name(n) for n in names]
    red = check_reduction(reduction)
    check_min_confidence(min_confidence)
    if min_confidence > 0.0:
        boxes = boxes.select_boxes(boxes.confidence >= min_confidence)
    return {key: SCORES[key](boxes, reduction=red) for key in dict.fromkeys(keys)}
