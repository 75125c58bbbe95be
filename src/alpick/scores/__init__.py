"""Active-learning scores from predicted boxes: pure array code (box table in, arrays out).

The platform's scores (``object_frequency``, ``objectness_least_confidence``,
``uncertainty_least_confidence``, ``uncertainty_margin``, ``uncertainty_entropy``) match its
open-source scorer value for value; see ``docs/selection.md``.
"""

from __future__ import annotations

from alpick.scores.boxtable import BoxTable
from alpick.scores.errors import ScoreError
from alpick.scores.reduce import REDUCTIONS, segment_reduce, segment_topk_mean
from alpick.scores.registry import REDUCIBLE, SCORES, ScoreFn, compute_scores, score_name

__all__ = [
    "REDUCIBLE",
    "REDUCTIONS",
    "SCORES",
    "BoxTable",
    "ScoreError",
    "ScoreFn",
    "compute_scores",
    "score_name",
    "segment_reduce",
    "segment_topk_mean",
]
