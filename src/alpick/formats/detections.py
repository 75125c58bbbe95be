"""The one detections type: aligned numpy arrays, validated on construction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float32]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Detections:
    """Boxes of one image, ground truth or predicted.

    Attributes:
        xyxy: Boxes in pixels, ``(N, 4)`` as x0, y0, x1, y1 with x0 <= x1 and y0 <= y1.
        class_id: Class index of each box, ``(N,)``; names live in a :class:`Classes` list.
        confidence: Score of each box, ``(N,)``, or ``None`` for ground truth.
        class_probs: Per-class probabilities of each box, ``(N, C)``, or ``None`` when unknown.

    Raises:
        ValueError: If shapes disagree, a box is inverted or a value is not finite.
    """

    xyxy: FloatArray
    class_id: IntArray
    confidence: FloatArray | None = None
    class_probs: FloatArray | None = None

    def __post_init__(self) -> None:
        xyxy = np.asarray(self.xyxy, dtype=np.float32).reshape(-1, 4)
        class_id = np.asarray(self.class_id, dtype=np.int64).reshape(-1)
        n = len(xyxy)
        if len(class_id) != n:
            raise ValueError(f"class_id has {len(class_id)} entries for {n} boxes")
        if not np.isfinite(xyxy).all():
            raise ValueError("box coordinates must be finite")
        if n and ((xyxy[:, 2] < xyxy[:, 0]).any() or (xyxy[:, 3] < xyxy[:, 1]).any()):
            raise ValueError("boxes must have x0 <= x1 and y0 <= y1")
        if n and (class_id < 0).any():
            raise ValueError("class ids must be >= 0")
        object.__setattr__(self, "xyxy", xyxy)
        object.__setattr__(self, "class_id", class_id)
        if self.confidence is not None:
            conf = np.asarray(self.confidence, dtype=np.float32).reshape(-1)
            if len(conf) != n:
                raise ValueError(f"confidence has {len(conf)} entries for {n} boxes")
            if not np.isfinite(conf).all():
                raise ValueError("confidences must be finite")
            object.__setattr__(self, "confidence", conf)
        if self.class_probs is not None:
            probs = np.asarray(self.class_probs, dtype=np.float32)
            if probs.ndim != 2 or len(probs) != n:
                raise ValueError(f"class_probs must be (N, C) with N = {n}, got {probs.shape}")
            object.__setattr__(self, "class_probs", probs)

    @classmethod
    def unchecked(
        cls,
        xyxy: FloatArray,
        class_id: IntArray,
        confidence: FloatArray | None = None,
        class_probs: FloatArray | None = None,
    ) -> Detections:
        """Build from arrays that a bulk reader has already validated, without checking again.

        For readers that check many images in one vectorised pass (e.g. ``load_kitti_dir``): the
        arrays must already be float32 ``(N, 4)``, int64 ``(N,)``, float32 ``(N,)`` and meet
        every rule of the class. Anything else should use the normal constructor.
        """
        det = object.__new__(cls)
        object.__setattr__(det, "xyxy", xyxy)
        object.__setattr__(det, "class_id", class_id)
        object.__setattr__(det, "confidence", confidence)
        object.__setattr__(det, "class_probs", class_probs)
        return det

    @classmethod
    def empty(cls, *, with_confidence: bool = False) -> Detections:
        """No boxes (with an empty confidence array when ``with_confidence``)."""
        return cls(
            xyxy=np.zeros((0, 4), np.float32),
            class_id=np.zeros(0, np.int64),
            confidence=np.zeros(0, np.float32) if with_confidence else None,
        )

    @classmethod
    def merge(cls, parts: Sequence[Detections]) -> Detections:
        """Concatenate detections (all with confidence, or none)."""
        if not parts:
            return cls.empty()
        has_conf = [p.confidence is not None for p in parts]
        if any(has_conf) and not all(has_conf):
            raise ValueError("cannot merge detections with and without confidence")
        probs: FloatArray | None = None
        if all(p.class_probs is not None for p in parts):
            probs = np.concatenate([p.class_probs for p in parts if p.class_probs is not None])
        return cls(
            xyxy=np.concatenate([p.xyxy for p in parts]),
            class_id=np.concatenate([p.class_id for p in parts]),
            confidence=(
                np.concatenate([p.confidence for p in parts if p.confidence is not None])
                if all(has_conf)
                else None
            ),
            class_probs=probs,
        )

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index: NDArray[np.bool_] | NDArray[np.int64] | slice) -> Detections:
        """Select boxes with a boolean mask, an index array or a slice."""
        return Detections(
            xyxy=self.xyxy[index],
            class_id=self.class_id[index],
            confidence=None if self.confidence is None else self.confidence[index],
            class_probs=None if self.class_probs is None else self.class_probs[index],
        )

    def clip(self, width: float, height: float) -> Detections:
        """Boxes clipped to an image of ``width`` x ``height`` pixels."""
        xyxy = self.xyxy.copy()
        xyxy[:, [0, 2]] = xyxy[:, [0, 2]].clip(0, width)
        xyxy[:, [1, 3]] = xyxy[:, [1, 3]].clip(0, height)
        return Detections(xyxy, self.class_id, self.confidence, self.class_probs)

    def area(self) -> FloatArray:
        """Area of each box, ``(N,)``."""
        return (self.xyxy[:, 2] - self.xyxy[:, 0]) * (self.xyxy[:, 3] - self.xyxy[:, 1])


@dataclass
class Classes:
    """An ordered list of class names; ids are positions. Grows when a new name is looked up."""

    names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._index = {n: i for i, n in enumerate(self.names)}

    def id(self, name: str) -> int:
        """The id of ``name``, appending it if new."""
        if name not in self._index:
            self._index[name] = len(self.names)
            self.names.append(name)
        return self._index[name]

    def ids(self, names: Iterable[str]) -> list[int]:
        return [self.id(n) for n in names]

    def name(self, class_id: int) -> str:
        """The name of ``class_id``; ids beyond the list are named by their number."""
        return self.names[class_id] if 0 <= class_id < len(self.names) else str(class_id)

    def __len__(self) -> int:
        return len(self.names)


def xyxy_to_xywh(xyxy: FloatArray) -> FloatArray:
    """``(N, 4)`` corners to ``(N, 4)`` top-left + width/height."""
    out = np.asarray(xyxy, np.float32).copy().reshape(-1, 4)
    out[:, 2:] -= out[:, :2]
    return out


def xywh_to_xyxy(xywh: ArrayLike) -> FloatArray:
    """``(N, 4)`` top-left + width/height to ``(N, 4)`` float32 corners.

    The sums are taken in float64 and rounded to float32 once, so ``x + w`` read from a file
    gives the float32 nearest to the exact corner.
    """
    boxes = np.asarray(xywh, np.float64).reshape(-1, 4)
    return np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], axis=1).astype(np.float32)
