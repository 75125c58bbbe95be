"""Scores computed from a prediction set when none were stored (``alpick demo``'s CORAL step
scores on the fly, for instance), with the engine in :mod:`alpick.scores`."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from alpick.scores import BoxTable, compute_scores
from alpick.serve.reader import PackedPredictions, SampleTable


def prediction_scores(
    pred: PackedPredictions, table: SampleTable, *, min_confidence: float = 0.0
) -> dict[str, NDArray[np.float64]]:
    """Every score of :data:`alpick.scores.SCORES`, one value per row of ``table``.

    Samples the set has no entry for have no boxes. Uncertainties are reduced with ``max``
    (what ``alpick scores`` and ``alpick select`` use by default).
    """
    n = len(table.ids)
    counts = np.zeros(n, dtype=np.int64)
    rows = np.searchsorted(table.ids, pred.sample_ids)
    known = (rows < n) & (table.ids[np.minimum(rows, max(n - 1, 0))] == pred.sample_ids)
    per_sample = np.diff(pred.offsets)
    keep_boxes = np.repeat(known, per_sample)
    counts[rows[known]] = per_sample[known]
    boxes = BoxTable(
        offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        confidence=pred.confidence[keep_boxes].astype(np.float64),
        class_id=pred.class_id[keep_boxes],
        class_probs=None if pred.class_probs is None else pred.class_probs[keep_boxes],
    )
    return compute_scores(boxes, None, reduction="max", min_confidence=min_confidence)
