"""The shapes of an orchard scene: leaves, trunks and branches, trellis, apples, grass blades.

Each function draws many shapes of one kind with PIL into the material buffer (mode "L", one
code per pixel); apples are also drawn into the apple buffer (mode "I", ``k + 1`` per apple).
Shape parameters are drawn in vectorised numpy first; the loops only call PIL.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import ImageDraw

from alpick.data.orchard.noise import F64, bell, directions, draw, skewed, uniform

LEAF_CODES = (1, 64)
"""Leaf tones, darkest first (half-open range)."""
BARK_CODES = (72, 80)
POLE_LIGHT, POLE_DARK, WIRE = 80, 81, 84
GRASS_CODES = (96, 128)
APPLE = 255
"""Material code of a visible apple pixel."""

# A leaf: a pointed oval, as (along, across) points of a unit half-length leaf.
_LEAF = np.array([(1.0, 0.0), (0.5, 0.4), (-0.3, 0.42), (-1.0, 0.0), (-0.3, -0.4), (0.5, -0.38)])

Presence = Callable[[F64, F64], F64]
Segment = tuple[float, float, float, float]


def sample_points(
    rng: np.random.Generator, n: int, w: int, h: int, margin: float, presence: Presence
) -> tuple[F64, F64]:
    """About ``n * mean(presence)`` points, kept where a uniform draw falls under the presence."""
    x = uniform(rng, -margin, w + margin, n)
    y = uniform(rng, -margin, h + margin, n)
    keep = rng.random(n) < presence(x, y)
    return x[keep], y[keep]


def leaves(
    rng: np.random.Generator,
    pen: ImageDraw.ImageDraw,
    x: F64,
    y: F64,
    size: tuple[float, float],
    codes: tuple[int, int],
) -> None:
    """Leaves centred at ``(x, y)``, half-lengths in ``size`` pixels, tones in ``codes``."""
    n = len(x)
    c, s = directions(rng, n)
    half = skewed(rng, size[0], size[1], n, power=2)
    ratio = uniform(rng, 0.36, 0.58, n)
    along = _LEAF[None, :, 0] * half[:, None]
    across = _LEAF[None, :, 1] * (half * ratio)[:, None]
    px = x[:, None] + along * c[:, None] - across * s[:, None]
    py = y[:, None] + along * s[:, None] + across * c[:, None]
    poly = np.round(np.stack([px, py], axis=2)).astype(np.int64).reshape(n, -1).tolist()
    tone = rng.integers(codes[0], codes[1], n).tolist()
    for pts, code in zip(poly, tone, strict=True):
        pen.polygon(pts, fill=code)


def trees(
    rng: np.random.Generator,
    pen: ImageDraw.ImageDraw,
    xs: F64,
    top: F64,
    bottom: F64,
    h: int,
    u: float,
) -> list[Segment]:
    """Trunks at ``xs`` rising into the canopy, with side branches.

    Args:
        rng: Source of the shapes.
        pen: Material buffer.
        xs: Trunk positions at the ground, canvas columns.
        top: Canopy top per column, ``(width,)``.
        bottom: Canopy bottom per column, ``(width,)``.
        h: Canvas height.
        u: Pixels per unit.

    Returns:
        The branches, as ``(x0, y0, x1, y1)`` segments.
    """
    w = len(top)
    segments: list[Segment] = []
    for x in xs.tolist():
        col = int(np.clip(x, 0, w - 1))
        crown = float(top[col]) + draw(rng, 60.0, 160.0) * u
        ground = h + 10 * u
        lean = draw(rng, -25.0, 25.0) * u
        base, tip = draw(rng, 7.0, 12.0) * u, 2.5 * u
        bark = int(rng.integers(*BARK_CODES))
        outline = [(x - base, ground), (x + base, ground)]
        outline += [(x + lean + tip, crown), (x + lean - tip, crown)]
        pen.polygon(outline, fill=bark)
        low = min(float(bottom[col]), float(h)) + 10 * u
        for _ in range(int(rng.integers(6, 12))):
            by = draw(rng, crown, max(crown + 1.0, low))
            bx = x + lean * (ground - by) / max(ground - crown, 1.0)
            side = 1.0 if rng.random() < 0.5 else -1.0
            length = draw(rng, 50.0, 170.0) * u
            ex, ey = bx + side * length, by - length * draw(rng, -0.2, 0.5)
            mx = (bx + ex) / 2 + draw(rng, -10.0, 10.0) * u
            my = (by + ey) / 2 + draw(rng, -14.0, 10.0) * u
            width = max(1, round(draw(rng, 2.0, 5.5) * u))
            pen.line([(bx, by), (mx, my), (ex, ey)], fill=bark, width=width, joint="curve")
            segments += [(bx, by, mx, my), (mx, my, ex, ey)]
    return segments


def trellis(
    rng: np.random.Generator, pen: ImageDraw.ImageDraw, w: int, h: int, u: float, top: float
) -> None:
    """Posts every few trees and 2-4 sagging wires between them.

    Args:
        rng: Source of the shapes.
        pen: Material buffer.
        w: Canvas width.
        h: Canvas height.
        u: Pixels per unit.
        top: Highest row of the canopy (wires start below it, or near the image top).
    """
    spacing = draw(rng, 520.0, 900.0) * u
    poles = np.arange(draw(rng, -spacing / 2, spacing / 2), w + spacing, spacing)
    half = max(1.0, 5.0 * u)
    for x in poles.tolist():
        pole_top = draw(rng, -0.1, 0.1) * h
        pen.rectangle([x - half, pole_top, x + half, h], fill=POLE_LIGHT)
        pen.rectangle([x + half / 3, pole_top, x + half, h], fill=POLE_DARK)
    lo = max(top / h, 0.05)
    heights = np.sort(uniform(rng, lo, max(lo + 0.05, 0.7), int(rng.integers(2, 5)))) * h
    width = max(1, round(1.3 * u))
    step = max(8.0, 30 * u)
    xs = np.arange(-step, w + 2 * step, step)
    anchors = np.concatenate([[xs[0] - spacing], poles, [xs[-1] + spacing]])
    right = np.searchsorted(anchors, xs, side="right")
    a, b = anchors[right - 1], anchors[np.minimum(right, len(anchors) - 1)]
    t = (xs - a) / np.maximum(b - a, 1.0)
    for y in heights.tolist():
        sag = draw(rng, 4.0, 16.0) * u
        ys = y + 4.0 * sag * t * (1.0 - t)
        pen.line(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=WIRE, width=width)


def clusters(
    rng: np.random.Generator,
    n: int,
    u: float,
    branches: list[Segment],
    free_points: tuple[F64, F64],
    max_size: float,
) -> tuple[F64, F64, F64]:
    """``n`` clusters of apples, half hanging from branches: centres x, y and radii.

    Args:
        rng: Source of the placement.
        n: Number of clusters.
        u: Pixels per unit.
        branches: Branch segments to hang clusters on.
        free_points: Candidate centres inside the foliage, ``(x, y)``.
        max_size: Cluster sizes run from 1 to ``max_size``, skewed towards 1.
    """
    radius = skewed(rng, 7.0, 25.0, n, power=2) * u
    segs = np.array(branches, dtype=np.float64).reshape(-1, 4)
    fx, fy = free_points
    on_branch = (rng.random(n) < 0.5) & (len(segs) > 0) | (len(fx) == 0)
    s = segs[rng.integers(0, max(len(segs), 1), n)] if len(segs) else np.zeros((n, 4))
    t = rng.random(n)
    free = rng.integers(0, max(len(fx), 1), n)
    bx = s[:, 0] + (s[:, 2] - s[:, 0]) * t
    by = s[:, 1] + (s[:, 3] - s[:, 1]) * t + radius
    cx = np.where(on_branch, bx, fx[free] if len(fx) else bx)
    cy = np.where(on_branch, by, fy[free] if len(fy) else by)
    size = 1 + skewed(rng, 0.0, max_size, n, power=3).astype(np.int64)
    owner = np.repeat(np.arange(n), size)
    first = np.concatenate([[True], owner[1:] != owner[:-1]]) if len(owner) else owner > 0
    dx, dy = directions(rng, len(owner))
    dist = np.where(first, 0.0, uniform(rng, 1.1, 2.2, len(owner))) * radius[owner]
    ax = cx[owner] + dx * dist
    ay = cy[owner] + np.abs(dy) * dist * 0.8
    ar = radius[owner] * bell(rng, 1.0, 0.12, len(owner))
    return ax, ay, ar


def apples(
    rng: np.random.Generator,
    pen: ImageDraw.ImageDraw,
    ids: ImageDraw.ImageDraw,
    ellipse: tuple[F64, F64, F64],
    first: int,
    squash: float,
) -> tuple[F64, F64, F64, F64]:
    """Apples as ellipses: ``APPLE`` into the material, ``first + i`` into the apple buffer.

    Args:
        rng: Source of the squash.
        pen: Material buffer.
        ids: Apple buffer.
        ellipse: Centres x, y and radii, ``(N,)`` each.
        first: Value written for the first apple.
        squash: Smallest height-to-width ratio.

    Returns:
        Centres x, y and radii x, y of the ellipses as drawn (after rounding to pixels).
    """
    cx, cy, r = ellipse
    rx = np.maximum(r, 1.5)
    ry = rx * uniform(rng, squash, 1.0, len(r))
    box = np.round(np.stack([cx - rx, cy - ry, cx + rx, cy + ry], axis=1)).astype(np.int64)
    box[:, 2] = np.maximum(box[:, 2], box[:, 0] + 2)
    box[:, 3] = np.maximum(box[:, 3], box[:, 1] + 2)
    for i, b in enumerate(box.tolist()):
        pen.ellipse(b, fill=APPLE)
        ids.ellipse(b, fill=first + i)
    boxf = box.astype(np.float64)
    return (
        (boxf[:, 0] + boxf[:, 2]) / 2,
        (boxf[:, 1] + boxf[:, 3]) / 2,
        (boxf[:, 2] - boxf[:, 0] + 1) / 2,
        (boxf[:, 3] - boxf[:, 1] + 1) / 2,
    )


def grass(
    rng: np.random.Generator, pen: ImageDraw.ImageDraw, x: F64, y: F64, per: int, u: float
) -> None:
    """``per`` grass blades rising around each point ``(x, y)`` (hiding fallen fruit)."""
    n = len(x) * per
    bx = np.repeat(x, per) + uniform(rng, -18.0, 18.0, n) * u
    by = np.repeat(y, per) + uniform(rng, -4.0, 14.0, n) * u
    tall = uniform(rng, 6.0, 22.0, n) * u
    lean = uniform(rng, -0.5, 0.5, n) * tall
    lines = np.round(np.stack([bx, by, bx + lean, by - tall], axis=1)).astype(np.int64).tolist()
    tone = rng.integers(*GRASS_CODES, n).tolist()
    width = max(1, round(1.6 * u))
    for line, code in zip(lines, tone, strict=True):
        pen.line(line, fill=code, width=width)
