"""The box table: the predicted boxes of N images as flat arrays, ready for segment reductions.

A :class:`BoxTable` is what every score reads. Image ``i`` owns boxes
``offsets[i]:offsets[i + 1]``; an image with no boxes has an empty segment. Building it from a
list of :class:`~alpick.formats.detections.Detections` concatenates once, so 100,000 images
convert in well under a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from alpick.formats.detections import Detections
from alpick.scores.errors import ScoreError

Float64Array = NDArray[np.float64]
Int64Array = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class BoxTable:
    """Predicted boxes of N images, flattened.

    Attributes:
        offsets: Segment bounds, ``(N + 1,)`` non-decreasing, ``offsets[0] == 0``,
            ``offsets[-1] == M``.
        confidence: Score of each box, ``(M,)`` (float64).
        class_id: Predicted class of each box, ``(M,)`` (int64, >= 0).
        class_probs: Per-class probabilities of each box, ``(M, C)`` (float64), or ``None`` when
            only a confidence and a label are known.

    Raises:
        ScoreError: If the arrays disagree in shape or hold invalid values.
    """

    offsets: Int64Array
    confidence: Float64Array
    class_id: Int64Array
    class_probs: Float64Array | None = None

    def __post_init__(self) -> None:
        offsets = np.ascontiguousarray(self.offsets, dtype=np.int64).reshape(-1)
        conf = np.ascontiguousarray(self.confidence, dtype=np.float64).reshape(-1)
        cls = np.ascontiguousarray(self.class_id, dtype=np.int64).reshape(-1)
        m = len(conf)
        if len(offsets) == 0 or offsets[0] != 0 or offsets[-1] != m:
            raise ScoreError(f"offsets must start at 0 and end at the box count {m}")
        if (np.diff(offsets) < 0).any():
            raise ScoreError("offsets must be non-decreasing")
        if len(cls) != m:
            raise ScoreError(f"class_id has {len(cls)} entries for {m} boxes")
        if m and cls.min() < 0:
            raise ScoreError("class ids must be >= 0")
        if not np.isfinite(conf).all():
            raise ScoreError("confidences must be finite")
        object.__setattr__(self, "offsets", offsets)
        object.__setattr__(self, "confidence", conf)
        object.__setattr__(self, "class_id", cls)
        if self.class_probs is not None:
            probs = np.ascontiguousarray(self.class_probs, dtype=np.float64)
            if probs.ndim != 2 or len(probs) != m or probs.shape[1] == 0:
                raise ScoreError(f"class_probs must be (M, C) with M = {m}, C >= 1")
            if not np.isfinite(probs).all():
                raise ScoreError("class probabilities must be finite")
            object.__setattr__(self, "class_probs", probs)

    @property
    def n_images(self) -> int:
        """Number of images N."""
        return len(self.offsets) - 1

    @property
    def n_boxes(self) -> int:
        """Number of boxes M over all images."""
        return len(self.confidence)

    def counts(self) -> Int64Array:
        """Boxes per image, ``(N,)``."""
        return np.diff(self.offsets)

    def image_index(self) -> Int64Array:
        """The image each box belongs to, ``(M,)``."""
        return np.repeat(np.arange(self.n_images, dtype=np.int64), self.counts())

    def select_boxes(self, keep: NDArray[np.bool_]) -> BoxTable:
        """The table with only the boxes where ``keep`` (``(M,)`` bool) is true; images stay."""
        keep = np.asarray(keep, dtype=bool)
        if keep.shape != (self.n_boxes,):
            raise ScoreError(f"box mask must be ({self.n_boxes},), got {keep.shape}")
        kept = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
        return BoxTable(
            offsets=kept[self.offsets],
            confidence=self.confidence[keep],
            class_id=self.class_id[keep],
            class_probs=None if self.class_probs is None else self.class_probs[keep],
        )

    @classmethod
    def from_counts(
        cls,
        counts: ArrayLike,
        confidence: ArrayLike,
        class_id: ArrayLike,
        class_probs: ArrayLike | None = None,
    ) -> BoxTable:
        """A table from boxes per image ``(N,)`` and the flat per-box arrays."""
        counts_arr = np.asarray(counts, dtype=np.int64).reshape(-1)
        if (counts_arr < 0).any():
            raise ScoreError("box counts must be >= 0")
        offsets = np.zeros(len(counts_arr) + 1, dtype=np.int64)
        np.cumsum(counts_arr, out=offsets[1:])
        return cls(
            offsets=offsets,
            confidence=np.asarray(confidence, dtype=np.float64),
            class_id=np.asarray(class_id, dtype=np.int64),
            class_probs=None if class_probs is None else np.asarray(class_probs, np.float64),
        )

    @classmethod
    def from_detections(cls, detections: Sequence[Detections]) -> BoxTable:
        """A table from one :class:`Detections` per image (concatenates once).

        A box without a confidence (ground truth, or a format without scores) gets the maximum
        of its class probabilities when those are known, else 1.0. Class probabilities are
        kept when every image that has boxes carries them, with the same number of classes.

        Raises:
            ScoreError: If some images carry class probabilities and others do not, or their
                numbers of classes differ.
        """
        counts = np.fromiter((len(d) for d in detections), dtype=np.int64, count=len(detections))
        nonempty = [d for d in detections if len(d)]
        if not nonempty:
            return cls.from_counts(counts, np.zeros(0), np.zeros(0, np.int64))
        with_probs = [d.class_probs is not None for d in nonempty]
        probs: Float64Array | None = None
        if any(with_probs):
            if not all(with_probs):
                raise ScoreError("some images have class probabilities and others do not")
            widths = {d.class_probs.shape[1] for d in nonempty if d.class_probs is not None}
            if len(widths) != 1:
                raise ScoreError(f"class probabilities have different widths: {sorted(widths)}")
            probs = np.concatenate(
                [d.class_probs for d in nonempty if d.class_probs is not None]
            ).astype(np.float64)
        confs = [_confidence_of(d) for d in nonempty]
        return cls.from_counts(
            counts,
            np.concatenate(confs).astype(np.float64),
            np.concatenate([d.class_id for d in nonempty]),
            probs,
        )


def _confidence_of(d: Detections) -> NDArray[np.floating]:
    """The confidence of each box of ``d``; see :meth:`BoxTable.from_detections`."""
    if d.confidence is not None:
        return d.confidence
    if d.class_probs is not None:
        return np.asarray(d.class_probs.max(axis=1))
    return np.ones(len(d), dtype=np.float32)
