"""Uncertainty scores from each box's class probabilities: least confidence, margin, entropy.

These match the open-source platform scorer value for value (lightly's ``ScorerObjectDetection``
with ``ScorerClassification``, releases 1.1-1.2):

* A box's probability vector is its ``class_probs`` row when known (a single column ``p`` is
  read as the binary vector ``[p, 1 - p]``). With only a confidence ``s`` and a label, it is
  built per image like ``ObjectDetectionOutput.from_scores``: ``K = max(max label in this image,
  1)``, ``K + 1`` entries, ``s`` on the label and ``(1 - s) / K`` on every other entry.
* Per box, with ``p1 >= p2`` the two largest entries and ``C`` the vector's length:
  least confidence ``1 - p1``, margin ``1 - (p1 - p2)``, entropy ``-sum p log2 p``; each is
  mapped linearly (``np.interp``, so clipped to [0, 1]) from [its value for a one-hot vector,
  its value for the uniform vector] onto [0, 1]: ``(1 - p1) / (1 - 1/C)``, ``1 - (p1 - p2)``,
  ``H / log2 C``.
* The image score is a reduction over its boxes (the platform uses ``max``), 0 with no boxes.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from alpick.scores.boxtable import BoxTable
from alpick.scores.errors import ScoreError
from alpick.scores.reduce import segment_reduce

Float64Array = NDArray[np.float64]
Int64Array = NDArray[np.int64]


#: Rows of class probabilities processed at once (keeps temporaries to a few MB).
_CHUNK_ROWS = 65_536

#: The smallest positive float64: ``x * log2(max(x, _TINY))`` is ``x log2 x`` with ``0 log 0 = 0``.
_TINY = np.nextafter(0.0, 1.0)


def _binary_if_single_column(probs: Float64Array) -> Float64Array:
    """A one-column probability matrix ``p`` as the two columns ``[p, 1 - p]``."""
    if probs.shape[1] == 1:
        return np.concatenate([probs, 1.0 - probs], axis=1)
    return probs


@dataclass(frozen=True)
class _FromScores:
    """The platform's ``from_scores`` construction, per box and per image.

    Attributes:
        s: Confidence of each box, ``(M,)``.
        k: The box's image's ``K = max(max label, 1)`` as float, ``(M,)``.
        c_image: Vector length ``C = K + 1`` of each image, ``(N,)``.
        counts: Boxes per image, ``(N,)``.
    """

    s: Float64Array
    k: Float64Array
    c_image: Int64Array
    counts: Int64Array

    def per_box(self, table: Float64Array) -> Float64Array:
        """``table[C]`` of each box's image, ``(M,)``."""
        return np.repeat(table[self.c_image], self.counts)


_FROM_SCORES: weakref.WeakKeyDictionary[BoxTable, _FromScores] = weakref.WeakKeyDictionary()


def _from_scores(boxes: BoxTable) -> _FromScores:
    """The (cached) ``from_scores`` parameters of a box table.

    Raises:
        ScoreError: If a confidence is outside [0, 1] (the platform rejects those too).
    """
    cached = _FROM_SCORES.get(boxes)
    if cached is not None:
        return cached
    s = boxes.confidence
    if len(s) and (s.min() < 0.0 or s.max() > 1.0):
        raise ScoreError("confidences must be in [0, 1] to build class probabilities")
    counts = boxes.counts()
    nonempty = counts > 0
    k_image = np.ones(boxes.n_images, dtype=np.int64)
    if nonempty.any():
        max_label = np.maximum.reduceat(boxes.class_id, boxes.offsets[:-1][nonempty])
        k_image[nonempty] = np.maximum(max_label, 1)
    k_box = np.repeat(k_image.astype(np.float64), counts)
    out = _FromScores(s=s, k=k_box, c_image=k_image + 1, counts=counts)
    _FROM_SCORES[boxes] = out
    return out


def _interp_unit(values: Float64Array, upper: Float64Array | float) -> Float64Array:
    """``np.interp(values, [0, upper], [0, 1])`` element-wise, in place, per-element ``upper``.

    Mirrors numpy's arithmetic (slope ``1 / upper`` times the value, 1 from ``upper`` on, 0 up
    to 0) so results equal the platform's per-image ``np.interp`` calls bit for bit.
    """
    at_top = values >= upper
    values *= np.divide(1.0, upper)
    values[at_top] = 1.0
    return np.maximum(values, 0.0, out=values)


def _per_length(fn: Callable[[int], float], c_max: int) -> Float64Array:
    """``fn(C)`` for ``C = 0 .. c_max`` (entries below 2 unused), ``(c_max + 1,)``."""
    return np.array([fn(c) if c >= 2 else 1.0 for c in range(c_max + 1)])


def _uniform_least_confidence(n_classes: int) -> float:
    """``1 - max`` of the uniform vector of length ``n_classes``, as the platform computes."""
    return float(1.0 - np.max(np.ones(n_classes) / n_classes))


def _uniform_entropy(n_classes: int) -> float:
    """Entropy in bits of the uniform vector of length ``n_classes``, as the platform computes."""
    u = np.ones(n_classes) / n_classes
    return float(-np.sum(u * np.log2(u)))


def _xlog2x(x: Float64Array) -> Float64Array:
    """``x * log2(x)`` element-wise with ``0 log 0 = 0`` (for ``x >= 0``)."""
    return np.multiply(x, np.log2(np.maximum(x, _TINY)))


def _top2(probs: Float64Array) -> tuple[Float64Array, Float64Array]:
    """The largest and second largest entry of each row of ``(M, C)``, ``(M,)`` each."""
    m, c = probs.shape
    p1 = np.empty(m)
    p2 = np.empty(m)
    for lo in range(0, m, _CHUNK_ROWS):
        block = probs[lo : lo + _CHUNK_ROWS]
        a = np.maximum(block[:, 0], block[:, 1])
        b = np.minimum(block[:, 0], block[:, 1])
        for j in range(2, c):
            col = block[:, j]
            np.maximum(b, np.minimum(a, col), out=b)
            np.maximum(a, col, out=a)
        p1[lo : lo + len(block)] = a
        p2[lo : lo + len(block)] = b
    return p1, p2


def _row_entropy_bits(probs: Float64Array) -> Float64Array:
    """Row entropies in bits of ``(M, C)`` probabilities, ``0 log 0 = 0``."""
    out = np.empty(len(probs))
    for lo in range(0, len(probs), _CHUNK_ROWS):
        block = probs[lo : lo + _CHUNK_ROWS]
        out[lo : lo + len(block)] = -np.sum(_xlog2x(block), axis=1)
    return out


def box_least_confidence(boxes: BoxTable) -> Float64Array:
    """Per box ``(1 - p1) / (1 - 1/C)``, clipped to [0, 1], ``(M,)``."""
    if boxes.class_probs is not None:
        probs = _binary_if_single_column(boxes.class_probs)
        raw = np.nan_to_num(1.0 - probs.max(axis=1), copy=False)
        return _interp_unit(raw, _uniform_least_confidence(probs.shape[1]))
    fs = _from_scores(boxes)
    raw = np.subtract(1.0, fs.s)
    raw /= fs.k
    np.maximum(raw, fs.s, out=raw)  # p1 = max(s, (1 - s) / K)
    np.subtract(1.0, raw, out=raw)
    upper = _per_length(_uniform_least_confidence, int(fs.c_image.max(initial=2)))
    return _interp_unit(raw, fs.per_box(upper))


def box_margin(boxes: BoxTable) -> Float64Array:
    """Per box ``1 - (p1 - p2)``, clipped to [0, 1], ``(M,)``."""
    if boxes.class_probs is not None:
        p1, p2 = _top2(_binary_if_single_column(boxes.class_probs))
    else:
        fs = _from_scores(boxes)
        q = np.subtract(1.0, fs.s)
        q /= fs.k
        p1 = np.maximum(fs.s, q)
        # K >= 2: at least two entries equal q, so the runner-up is q; K = 1: min(s, q)
        p2 = np.where(fs.k >= 2.0, q, np.minimum(fs.s, q))
    p1 -= p2
    raw = np.subtract(1.0, p1, out=p1)
    return _interp_unit(np.nan_to_num(raw, copy=False), 1.0)


_BOX_ENTROPY: weakref.WeakKeyDictionary[BoxTable, Float64Array] = weakref.WeakKeyDictionary()


def box_entropy(boxes: BoxTable) -> Float64Array:
    """Per box ``H / log2 C`` (entropy in bits), clipped to [0, 1], ``(M,)``, read-only.

    Cached per table: three scores reduce it.
    """
    cached = _BOX_ENTROPY.get(boxes)
    if cached is not None:
        return cached
    if boxes.class_probs is not None:
        probs = _binary_if_single_column(boxes.class_probs)
        raw = np.nan_to_num(_row_entropy_bits(probs), copy=False)
        out = _interp_unit(raw, _uniform_entropy(probs.shape[1]))
    else:
        fs = _from_scores(boxes)
        q = np.subtract(1.0, fs.s)
        q /= fs.k
        raw = _xlog2x(q)
        raw *= fs.k
        raw += _xlog2x(fs.s)
        np.negative(raw, out=raw)
        upper = _per_length(_uniform_entropy, int(fs.c_image.max(initial=2)))
        out = _interp_unit(np.nan_to_num(raw, copy=False), fs.per_box(upper))
    out.setflags(write=False)
    _BOX_ENTROPY[boxes] = out
    return out


def uncertainty_least_confidence(boxes: BoxTable, *, reduction: str = "max") -> Float64Array:
    """Image score: the reduction of :func:`box_least_confidence`, ``(N,)``, 0 with no boxes."""
    return segment_reduce(box_least_confidence(boxes), boxes.offsets, reduction)


def uncertainty_margin(boxes: BoxTable, *, reduction: str = "max") -> Float64Array:
    """Image score: the reduction of :func:`box_margin`, ``(N,)``, 0 with no boxes."""
    return segment_reduce(box_margin(boxes), boxes.offsets, reduction)


def uncertainty_entropy(boxes: BoxTable, *, reduction: str = "max") -> Float64Array:
    """Image score: the reduction of :func:`box_entropy`, ``(N,)``, 0 with no boxes."""
    return segment_reduce(box_entropy(boxes), boxes.offsets, reduction)
