"""Anchor shapes by k-means with an IoU distance (pure numpy; shared with ``alpick tlt spec``).

Boxes are compared as if aligned at the origin (only width and height matter) with the distance
``1 - IoU``. The start is k-means++ with that distance, the centres move to the *median* of
their members until the assignment stops changing, and an empty cluster is moved to the box
worst served by the others, so the result is deterministic for a seed and always has ``k``
distinct centres.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]


def anchor_iou(wh: F64, centres: F64) -> F64:
    """IoU of boxes aligned at the origin: ``(M, 2)``, ``(K, 2)`` widths/heights -> ``(M, K)``."""
    inter = np.minimum(wh[:, None, 0], centres[None, :, 0]) * np.minimum(
        wh[:, None, 1], centres[None, :, 1]
    )
    area = wh[:, 0] * wh[:, 1]
    c_area = centres[:, 0] * centres[:, 1]
    return inter / (area[:, None] + c_area[None, :] - inter)


def mean_best_iou(wh: ArrayLike, anchors: ArrayLike) -> float:
    """Average over boxes of the IoU with their best anchor (how well the anchors fit)."""
    boxes = np.asarray(wh, np.float64).reshape(-1, 2)
    if not len(boxes):
        return 0.0
    return float(anchor_iou(boxes, np.asarray(anchors, np.float64).reshape(-1, 2)).max(1).mean())


def _kmeans_pp(boxes: F64, k: int, rng: np.random.Generator) -> F64:
    centres = [boxes[rng.integers(len(boxes))]]
    dist = 1.0 - anchor_iou(boxes, np.asarray(centres))[:, 0]
    for _ in range(1, k):
        weight = dist**2
        pick = rng.choice(len(boxes), p=weight / weight.sum())
        centres.append(boxes[pick])
        dist = np.minimum(dist, 1.0 - anchor_iou(boxes, boxes[pick : pick + 1])[:, 0])
    return np.asarray(centres)


def iou_kmeans(boxes: F64, k: int, rng: np.random.Generator, max_steps: int = 1000) -> F64:
    """``k`` cluster centres (widths, heights) of ``boxes`` ``(M, 2)`` under ``1 - IoU``."""
    centres = _kmeans_pp(boxes, k, rng)
    assign = np.full(len(boxes), -1)
    for _ in range(max_steps):
        iou = anchor_iou(boxes, centres)
        new = iou.argmax(axis=1)
        counts = np.bincount(new, minlength=k)
        if (counts == 0).any():  # move empty clusters to the boxes worst served
            best = iou.max(axis=1)
            for empty in np.flatnonzero(counts == 0):
                far = int(best.argmin())
                centres[empty] = boxes[far]
                new[far], best[far] = empty, 1.0
        if np.array_equal(new, assign):
            break
        assign = new
        for j in range(k):
            members = boxes[assign == j]
            if len(members):
                centres[j] = np.median(members, axis=0)
    return centres
