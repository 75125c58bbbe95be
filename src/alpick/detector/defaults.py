"""Settings derived from the data: input size, pyramid levels, anchor shapes, schedule length.

A :class:`~alpick.detector.config.TrainConfig` leaves ``input_size``, ``levels`` and
``aspect_ratios`` at ``None`` ("fit the data") unless the user sets them; :func:`fit_config`
fills them from the training images and their boxes and says why, so a user's own small
dataset trains well without flags:

- **input size**: the images' median size, aspect ratio kept, long side capped at
  ``MAX_SIDE`` (CPU cost grows with the pixels), but not shrunk so far that the smaller boxes
  fall under ``MIN_BOX`` pixels; each side a multiple of 32;
- **anchor shapes**: the IoU k-means that ``alpick tlt spec`` uses for YOLOv4's anchors, on the
  boxes at the input size; the clusters' aspect ratios (height / width, snapped to a short grid)
  become the anchors' ratios (the most common one, and others that fit at least 15% of the
  boxes);
- **pyramid levels**: those whose anchors (2 x stride, three scales) fit the boxes from the 2nd
  to the 98th percentile of their size (stride 4 only when there are boxes that small: its head
  is the most expensive part of a step);
- **schedule**: in optimizer steps (:func:`~alpick.detector.train.auto_steps`), so a 40-image
  set gets many epochs and a 4,000-image set a few.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from alpick.detector.anchors import anchor_iou, iou_kmeans
from alpick.detector.config import TrainConfig
from alpick.formats.detections import Detections

MAX_SIDE = 640  # longest input side chosen by default
MIN_BOX = 4.0  # px: the 10th percentile of box sides is kept at least this large
RATIO_GRID = (1 / 4, 1 / 3, 1 / 2, 1.0, 2.0, 3.0, 4.0)
MIN_RATIO_SHARE = 0.15  # boxes a second or third anchor shape must fit
# RetinaNet's anchors at level L: 2 * 2**L * (1, 2**(1/3), 2**(2/3)), sizes 2**(L+1)..2**(L+1.67).
SCALES = (1.0, 2 ** (1 / 3), 2 ** (2 / 3))


def image_sizes(paths: Sequence[Path]) -> np.ndarray:
    """``(N, 2)`` widths and heights, read from the image headers (no pixel is decoded)."""
    sizes = []
    for path in paths:
        with Image.open(path) as img:
            sizes.append(img.size)
    return np.asarray(sizes, np.int64).reshape(-1, 2)


def _box_sizes(dets: Sequence[Detections], sizes: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Every box's width and height once its image is resized to ``target``."""
    out = []
    for det, size in zip(dets, sizes, strict=True):
        if len(det):
            clipped = det.clip(*(int(v) for v in size))
            wh = clipped.xyxy[:, 2:] - clipped.xyxy[:, :2]
            out.append(wh[(wh > 0).all(axis=1)] * (target / size))
    return np.concatenate(out) if out else np.zeros((0, 2))


def fit_input_size(sizes: np.ndarray, dets: Sequence[Detections]) -> tuple[tuple[int, int], str]:
    """The input size for images of ``sizes`` with boxes ``dets``, and why."""
    median = np.median(sizes, axis=0)
    scale = min(1.0, MAX_SIDE / float(median.max()))
    why = f"median image {median[0]:.0f}x{median[1]:.0f}"
    if scale < 1:
        boxes = _box_sizes(dets, sizes, median)
        small = float(np.percentile(boxes.min(axis=1), 10)) if len(boxes) else 0.0
        if small > 0 and small * scale < MIN_BOX:
            scale = min(1.0, MIN_BOX / small)
            why += f", small boxes ({small:.1f} px at the 10th percentile) keep it from shrinking"
        else:
            why += f", long side capped at {MAX_SIDE}"
    w, h = (max(64, round(float(v) * scale / 32) * 32) for v in median)
    return (w, h), why + ", sides multiples of 32"


def fit_anchors(wh: np.ndarray, *, seed: int = 0) -> tuple[tuple[int, ...], tuple[float, ...], str]:
    """Pyramid levels and anchor aspect ratios for boxes of sizes ``wh`` (input pixels)."""
    wh = wh[(wh > 0).all(axis=1)]
    if len(np.unique(wh, axis=0)) < 3:
        return (2, 3, 4, 5), (1.0,), "too few boxes to fit: every level, square anchors"
    k = min(9, len(np.unique(wh, axis=0)))
    rng = np.random.default_rng(seed)
    centres = iou_kmeans(wh, k, rng)
    share = np.bincount(anchor_iou(wh, centres).argmax(axis=1), minlength=k) / len(wh)
    snapped: dict[float, float] = {}
    for (w, h), weight in zip(centres, share, strict=True):
        ratio = min(RATIO_GRID, key=lambda r: abs(math.log(r) - math.log(h / w)))
        snapped[ratio] = snapped.get(ratio, 0.0) + float(weight)
    ranked = sorted(snapped.items(), key=lambda kv: -kv[1])
    # a shape earns anchors of its own when enough boxes have it: each ratio multiplies the
    # anchors per location, so the head's outputs and the loss, by one more
    ratios = sorted(r for i, (r, w) in enumerate(ranked[:3]) if i == 0 or w >= MIN_RATIO_SHARE)
    side = np.sqrt(wh[:, 0] * wh[:, 1])
    lo, hi = np.percentile(side, [2, 98])
    # the level whose middle anchor (2**(L+1) * 2**(1/3)) is nearest in log scale
    first = int(np.clip(round(math.log2(lo) - 1 - 1 / 3), 2, 5))
    last = int(np.clip(round(math.log2(hi) - 1 - 1 / 3), first, 5))
    levels = tuple(range(first, last + 1))
    why = (
        f"IoU k-means ({k} clusters) on {len(wh)} boxes of {lo:.0f}-{hi:.0f} px "
        f"(2nd-98th percentile): aspect ratios {', '.join(f'{r:g}' for r in ratios)}, "
        f"levels P{first}-P{last}"
    )
    return levels, tuple(ratios), why


def fit_config(
    config: TrainConfig, samples: Sequence[tuple[Path, Detections]]
) -> tuple[TrainConfig, list[str]]:
    """``config`` with every setting left to the data filled in, and one line per choice.

    Settings the user gave are kept (and said to be theirs).
    """
    from alpick.detector.train import plan_schedule

    paths = [Path(p) for p, _ in samples]
    dets = [d for _, d in samples]
    reasons: list[str] = []
    updates: dict[str, object] = {}
    sizes = image_sizes(paths) if not config.fitted else np.zeros((0, 2))
    if config.input_size is None:
        size, why = fit_input_size(sizes, dets)
        updates["input_size"] = size
        reasons.append(f"input size {size[0]}x{size[1]}: {why}")
    else:
        reasons.append(f"input size {config.input_size[0]}x{config.input_size[1]}: given")
    target = np.asarray(updates.get("input_size", config.input_size), np.float64)
    if config.levels is None or config.aspect_ratios is None:
        levels, ratios, why = fit_anchors(_box_sizes(dets, sizes, target), seed=config.seed)
        if config.levels is None:
            updates["levels"] = levels
        if config.aspect_ratios is None:
            updates["aspect_ratios"] = ratios
        reasons.append(f"anchors: {why}")
    fitted = replace(config, **updates)  # type: ignore[arg-type]
    plan = plan_schedule(fitted, len(samples))
    source = "given" if config.steps or config.epochs else "default for this many images"
    reasons.append(
        f"schedule: {plan.steps} steps of {config.batch_size} images = {plan.epochs} epochs of "
        f"{len(samples)} images ({source}), lr {config.lr:g}, warm-up {plan.warmup} steps"
    )
    cached = "feature cache on (flips only)" if config.feature_cache else "no feature cache"
    frozen = (
        f"backbone frozen through stride {2**config.freeze}" if config.freeze else "no stage frozen"
    )
    reasons.append(f"{frozen}; {cached}")
    return fitted, reasons
