"""Tiny synthetic detection scenes (shaded discs on a texture) for tests and benchmarks.

Not an orchard (see ``alpick.data.orchard`` for that): just enough structure for a detector to
learn in a few steps, with sizes, clutter and occlusion under control. Boxes are the extents of
each disc's *visible* pixels, the way MinneApple's masks give them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from alpick.formats.detections import Detections

# Disc colours per class (RGB): red, yellow, blue, magenta.
CLASS_COLOURS = ((200, 30, 30), (225, 205, 40), (40, 70, 210), (190, 40, 190))


def _texture(rng: np.random.Generator, w: int, h: int) -> NDArray[np.float32]:
    """Greenish-brown background: blotches at two scales plus pixel noise, ``(H, W, 3)``."""
    img = np.zeros((h, w, 3), np.float32)
    for cell, amp in ((32, 50.0), (8, 25.0)):
        gh, gw = h // cell + 2, w // cell + 2
        tone = rng.uniform(-1, 1, (gh, gw, 1)).astype(np.float32)
        coarse = 0.75 * tone + 0.25 * rng.uniform(-1, 1, (gh, gw, 3)).astype(np.float32)
        big = np.asarray(
            Image.fromarray(((coarse + 1) * 127.5).astype(np.uint8)).resize(
                (gw * cell, gh * cell), Image.Resampling.BICUBIC
            ),
            np.float32,
        )[:h, :w]
        img += (big / 127.5 - 1) * amp
    img += np.array([70, 110, 50], np.float32)
    img += rng.normal(0, 6, (h, w, 3)).astype(np.float32)
    return img


def disc_scene(
    rng: np.random.Generator,
    *,
    size: tuple[int, int] = (128, 128),
    n_discs: tuple[int, int] = (1, 3),
    radius: tuple[float, float] = (8.0, 20.0),
    n_classes: int = 1,
    occlusion: float = 0.0,
) -> tuple[NDArray[np.uint8], Detections]:
    """One scene and its boxes.

    Args:
        rng: Source of all randomness.
        size: (width, height) in pixels.
        n_discs: Inclusive range of the number of discs.
        radius: Range of disc radii in pixels.
        n_classes: Discs get one of this many classes (a colour each, up to 4).
        occlusion: Chance that a disc gets a leaf-coloured ellipse drawn over part of it.

    Returns:
        The image ``(H, W, 3)`` uint8 and the visible extent of each disc (class id = colour).
    """
    w, h = size
    img = _texture(rng, w, h)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    owner = np.full((h, w), -1, np.int64)
    classes: list[int] = []
    for i in range(int(rng.integers(n_discs[0], n_discs[1] + 1))):
        r = float(rng.uniform(*radius))
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        cls = int(rng.integers(0, n_classes))
        d = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / r
        inside = d <= 1
        shade = (1.0 - 0.45 * d**2)[..., None]
        colour = np.array(CLASS_COLOURS[cls], np.float32) * rng.uniform(0.8, 1.1)
        img[inside] = (colour * shade)[inside]
        hl = np.sqrt((xx - cx + r / 3) ** 2 + (yy - cy + r / 3) ** 2) < r / 4
        img[hl & inside] = img[hl & inside] * 0.5 + 120
        owner[inside] = i
        classes.append(cls)
        if rng.uniform() < occlusion:
            ex, ey = cx + rng.uniform(-r, r), cy + rng.uniform(-r, r)
            ax, ay = rng.uniform(0.4, 0.9) * r, rng.uniform(0.2, 0.5) * r
            leaf = ((xx - ex) / ax) ** 2 + ((yy - ey) / ay) ** 2 <= 1
            img[leaf] = np.array([40, 120, 40], np.float32) * rng.uniform(0.7, 1.2)
            owner[leaf] = -1
    boxes, ids = [], []
    for i, cls in enumerate(classes):
        ys, xs = np.nonzero(owner == i)
        if len(xs) and xs.max() > xs.min() and ys.max() > ys.min():
            boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
            ids.append(cls)
    det = Detections(np.array(boxes, np.float32).reshape(-1, 4), np.array(ids, np.int64))
    return np.clip(img, 0, 255).astype(np.uint8), det


def write_disc_dataset(
    out_dir: Path,
    n_images: int,
    *,
    seed: int,
    size: tuple[int, int] = (128, 128),
    n_discs: tuple[int, int] = (1, 3),
    radius: tuple[float, float] = (8.0, 20.0),
    n_classes: int = 1,
    occlusion: float = 0.0,
) -> list[tuple[Path, Detections]]:
    """Write ``n_images`` scenes as PNGs into ``out_dir``; return (path, boxes) pairs."""
    rng = np.random.default_rng(seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    samples = []
    for k in range(n_images):
        img, det = disc_scene(
            rng, size=size, n_discs=n_discs, radius=radius, n_classes=n_classes, occlusion=occlusion
        )
        path = out_dir / f"disc_{k:04d}.png"
        Image.fromarray(img).save(path)
        samples.append((path, det))
    return samples
