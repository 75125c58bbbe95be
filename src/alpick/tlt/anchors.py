"""YOLOv4 anchor shapes by k-means with an IoU distance, as TLT/TAO's ``kmeans`` tool does.

Boxes are compared as if aligned at the origin (only width and height matter) with the distance
``1 - IoU``. Each box is first scaled from its image to the network's input size, the clusters'
centres move to the *median* of their members until the assignment stops changing, and the
centres are sorted by area and split into three groups: small, mid, big. TLT's tool starts from
random boxes and crashes on an empty cluster; here the start is k-means++ (with the IoU
distance) and an empty cluster is moved to the box worst served by the others, so the result is
deterministic for a seed and always has ``n`` distinct anchors; the best of a few starts (by mean
IoU of each box with its best anchor) is kept, as k-means alone often ends in a local optimum.
"""

from __future__ import annotations

import re

import numpy as np
from numpy.typing import ArrayLike, NDArray

from alpick.detector.anchors import anchor_iou, iou_kmeans, mean_best_iou
from alpick.errors import AlpickError

__all__ = [
    "anchor_iou",
    "format_anchors",
    "mean_best_iou",
    "output_size",
    "parse_anchors",
    "yolo_anchors",
]

F64 = NDArray[np.float64]


def output_size(image_size: tuple[int, int], *, multiple: int = 32) -> tuple[int, int]:
    """The network input size for images of ``image_size``: each side rounded DOWN to ``multiple``.

    Rounding down never upsamples (720 x 1280 -> 704 x 1280, the tutorial's spec); a side
    smaller than ``multiple`` becomes ``multiple``.

    Args:
        image_size: Image width and height in pixels.
        multiple: YOLOv4's stride; TLT requires multiples of 32.

    Raises:
        AlpickError: If a side is not positive.
    """
    w, h = (int(v) for v in image_size)
    if w <= 0 or h <= 0:
        raise AlpickError(f"image size must be positive, got {w}x{h}")
    return max(multiple, w // multiple * multiple), max(multiple, h // multiple * multiple)


def _scaled_boxes(wh: ArrayLike, image_size: ArrayLike, out_size: tuple[int, int]) -> F64:
    boxes = np.asarray(wh, np.float64)
    if boxes.ndim != 2 or boxes.shape[1] != 2:
        raise AlpickError(f"box sizes must be (M, 2) widths and heights, got shape {boxes.shape}")
    sizes = np.asarray(image_size, np.float64)
    if sizes.shape == (2,):
        sizes = np.broadcast_to(sizes, boxes.shape)
    if sizes.shape != boxes.shape:
        raise AlpickError(f"image sizes must be (2,) or (M, 2) like the boxes, got {sizes.shape}")
    if not (np.isfinite(boxes).all() and np.isfinite(sizes).all()) or (sizes <= 0).any():
        raise AlpickError("box and image sizes must be finite, image sizes positive")
    keep = (boxes > 0).all(axis=1)  # degenerate boxes carry no shape
    return boxes[keep] / sizes[keep] * np.asarray(out_size, np.float64)


def yolo_anchors(
    wh: ArrayLike,
    image_size: ArrayLike,
    output_size: tuple[int, int],
    *,
    n: int = 9,
    seed: int = 0,
    n_init: int = 5,
    max_steps: int = 1000,
) -> tuple[F64, F64, F64]:
    """Anchor shapes for a YOLOv4 spec from the labelled boxes.

    Args:
        wh: Box widths and heights in pixels of the original images, ``(M, 2)``. Boxes with a
            zero side are ignored.
        image_size: The images' width and height, ``(2,)`` for all boxes or ``(M, 2)`` per box.
        output_size: The network input width and height (the spec's output_width/height).
        n: Number of anchors, a multiple of 3 (TLT uses 9).
        seed: Seed of the k-means++ starts; same input and seed give the same anchors.
        n_init: Number of starts; the anchors with the highest mean best IoU win.
        max_steps: Iteration cap (k-means stops earlier once the assignment is stable).

    Returns:
        ``(small, mid, big)``, each ``(n // 3, 2)`` widths/heights in output pixels, sorted by
        area within and across groups.

    Raises:
        AlpickError: If ``n`` is not a positive multiple of 3, or there are fewer than ``n``
            distinct box sizes (duplicated anchors would be useless).
    """
    if n <= 0 or n % 3:
        raise AlpickError(f"the number of anchors must be a positive multiple of 3, got {n}")
    boxes = _scaled_boxes(wh, image_size, output_size)
    distinct = len(np.unique(boxes, axis=0))
    if distinct < n:
        raise AlpickError(
            f"need at least {n} boxes of distinct sizes for {n} anchors, got {distinct}; "
            "label more images or use a tag with more boxes"
        )
    rng = np.random.default_rng(seed)
    runs = [iou_kmeans(boxes, n, rng, max_steps) for _ in range(max(1, n_init))]
    centres = max(runs, key=lambda c: float(anchor_iou(boxes, c).max(axis=1).mean()))
    order = np.lexsort((centres[:, 0], centres[:, 0] * centres[:, 1]))
    small, mid, big = np.split(centres[order], 3)
    return small, mid, big


def format_anchors(anchors: ArrayLike) -> str:
    """TLT's anchor string: ``"[(w, h), (w, h), (w, h)]"`` with two decimals."""
    pairs = np.asarray(anchors, np.float64).reshape(-1, 2)
    return "[" + ", ".join(f"({w:.2f}, {h:.2f})" for w, h in pairs) + "]"


_PAIR = re.compile(r"\(\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*\)")


def parse_anchors(text: str) -> F64:
    """The ``(K, 2)`` array of an anchor string such as ``"[(29.33, 27.00), ...]"``.

    Raises:
        AlpickError: If the text is not a list of ``(w, h)`` pairs.
    """
    body = text.strip()
    pairs = _PAIR.findall(body)
    rebuilt = _PAIR.sub("", body).replace(",", "").replace(" ", "")
    if not pairs or rebuilt != "[]":
        raise AlpickError(f"not an anchor list: {text!r} (expected '[(w, h), ...]')")
    try:
        return np.asarray([(float(w), float(h)) for w, h in pairs], np.float64)
    except ValueError as exc:
        raise AlpickError(f"not an anchor list: {text!r}") from exc
