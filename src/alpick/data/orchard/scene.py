"""Render a planned sequence: draw its scene once, crop one frame per camera position.

A sequence's canvas is wider than a frame; the camera walks along the row by a few percent of
the frame width per frame, with a little vertical shake and exposure flicker. Consecutive
frames are therefore near-duplicates: same trees, same apples, shifted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from alpick.data.orchard.layout import build_layout
from alpick.data.orchard.noise import draw, uniform
from alpick.data.orchard.paint import paint
from alpick.data.orchard.plan import SequencePlan, condition_of
from alpick.data.orchard.shapes import APPLE

MIN_SIDE = 64
"""Smallest frame width or height, in pixels."""


@dataclass(frozen=True)
class Frame:
    """One rendered image with its instance mask and boxes.

    Attributes:
        image: RGB pixels, ``(height, width, 3)`` uint8.
        mask: Apple ids, ``(height, width)`` uint16: 0 is background, ids run 1..K and mark
            only the visible pixels of each apple.
        ids: Mask id of each recorded box, ``(N,)`` int64, increasing.
        boxes: Exact extent of each id's pixels, ``(N, 4)`` int64 as x0, y0, x1, y1 with
            ``x1 = max x + 1`` and ``y1 = max y + 1``; ids whose pixels form a single row or
            column are left out.
    """

    image: NDArray[np.uint8]
    mask: NDArray[np.uint16]
    ids: NDArray[np.int64]
    boxes: NDArray[np.int64]


def mask_boxes(mask: NDArray[np.integer]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The boxes of an instance mask, as a MinneApple converter reads them.

    Args:
        mask: Instance ids, ``(height, width)``; 0 is background.

    Returns:
        ``(ids, boxes)``: the ids in increasing order, ``(N,)``, and their extents, ``(N, 4)``
        as x0, y0, x1 (max x + 1), y1 (max y + 1). Ids covering a single row or column of
        pixels (width or height <= 1) are dropped.
    """
    ys, xs = np.nonzero(mask)
    values = mask[ys, xs].astype(np.int64)
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 4), dtype=np.int64)
    top = int(values.max()) + 1
    big = np.iinfo(np.int64).max
    x0 = np.full(top, big, dtype=np.int64)
    y0 = np.full(top, big, dtype=np.int64)
    x1 = np.full(top, -1, dtype=np.int64)
    y1 = np.full(top, -1, dtype=np.int64)
    np.minimum.at(x0, values, xs)
    np.minimum.at(y0, values, ys)
    np.maximum.at(x1, values, xs)
    np.maximum.at(y1, values, ys)
    ids = np.flatnonzero(x1 >= 0)
    boxes = np.stack([x0[ids], y0[ids], x1[ids] + 1, y1[ids] + 1], axis=1)
    keep = (boxes[:, 2] - boxes[:, 0] > 1) & (boxes[:, 3] - boxes[:, 1] > 1)
    return ids[keep].astype(np.int64), boxes[keep]


def _frame_mask(
    material: NDArray[np.uint8], apple: NDArray[np.int32], n_apples: int
) -> NDArray[np.uint16]:
    """Renumber the visible apples of a crop to ids 1..K, in the scene's drawing order."""
    visible = material == APPLE
    k = apple[visible]
    present = np.zeros(n_apples + 1, dtype=bool)
    present[k] = True
    present[0] = False
    new_id = np.cumsum(present).astype(np.uint16)
    mask = np.zeros(material.shape, dtype=np.uint16)
    mask[visible] = new_id[k]
    return mask


def render_sequence(seq: SequencePlan, size: tuple[int, int]) -> list[Frame]:
    """Render the ``seq.n_used`` frames of a planned sequence.

    The scene and the camera path are drawn for all ``seq.n_frames`` planned frames, so a
    frame does not depend on how many of them are used.

    Args:
        seq: The planned sequence.
        size: Frame size as (width, height), each at least :data:`MIN_SIDE`.

    Raises:
        ValueError: If the size is too small.
    """
    width, height = size
    if width < MIN_SIDE or height < MIN_SIDE:
        raise ValueError(f"frame size must be at least {MIN_SIDE}x{MIN_SIDE}, got {size}")
    rng = seq.rng()
    cond = condition_of(seq)
    n = seq.n_frames
    step = draw(rng, 0.03, 0.09) * width
    shake = round(0.02 * height) if n > 1 else 0
    xs = np.round(np.arange(n) * step + uniform(rng, -0.2, 0.2, n) * step)
    xs = np.clip(xs - xs.min(), 0, None).astype(np.int64)
    walk = np.cumsum(np.round(uniform(rng, -0.45, 0.45, n) * shake))
    ys = np.clip(shake + walk, 0, 2 * shake).astype(np.int64)
    exposure = np.round((1.0 + uniform(rng, -0.04, 0.04, n)) * 128).astype(np.uint16)
    canvas_w, canvas_h = width + int(xs.max()), height + 2 * shake
    layout = build_layout(rng, cond, width, canvas_w, canvas_h, seq.bare)
    pixels = paint(rng, cond, layout)
    frames: list[Frame] = []
    n_apples = len(layout.apples.cx)
    for f in range(seq.n_used):
        x0, y0 = int(xs[f]), int(ys[f])
        crop = pixels[y0 : y0 + height, x0 : x0 + width].astype(np.uint16) * exposure[f]
        image = np.minimum(crop >> 7, 255).astype(np.uint8)
        window = (slice(y0, y0 + height), slice(x0, x0 + width))
        mask = _frame_mask(layout.material[window], layout.apple[window], n_apples)
        ids, boxes = mask_boxes(mask)
        frames.append(Frame(image, mask, ids, boxes))
    return frames
