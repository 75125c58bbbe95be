"""The geometry of an orchard scene, drawn as a material buffer and an apple buffer.

A scene is a stretch of one tree row, wider than a frame (the frames of a sequence are crops
of it). Everything is drawn back to front into two buffers. The *material* buffer (uint8) holds
a code per pixel: 0 for background (sky, far rows, ground; painted later), small codes for
leaves, bark, poles, wires and grass, and :data:`APPLE` where an apple was drawn. The *apple*
buffer (int32) holds ``k + 1`` for apple ``k``, drawn in the same order. Leaves drawn after an
apple overwrite its material code, so a pixel shows apple ``k`` exactly when its material is
``APPLE`` and its apple buffer is ``k + 1``: an apple fully hidden by leaves leaves no trace.

Sizes are in *units*: one unit is one pixel of a 720-pixel-wide MinneApple image, scaled to the
frame width and the condition's zoom.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from alpick.data.orchard import shapes
from alpick.data.orchard.conditions import Condition
from alpick.data.orchard.noise import F32, F64, ValueNoise, draw, noise_1d, skewed, uniform
from alpick.data.orchard.shapes import LEAF_CODES


@dataclass(frozen=True)
class Apples:
    """The apples of a scene, indexed by ``k`` (apple buffer value ``k + 1``).

    Attributes:
        cx: Centre x of the drawn ellipse, ``(K,)`` canvas pixels.
        cy: Centre y, ``(K,)``.
        rx: Horizontal radius, ``(K,)`` pixels.
        ry: Vertical radius, ``(K,)`` pixels.
        variety: Index into the condition's varieties, ``(K,)``.
        blush: Fraction of the skin in the main colour, ``(K,)`` in [0, 1].
    """

    cx: F64
    cy: F64
    rx: F64
    ry: F64
    variety: NDArray[np.int64]
    blush: F64


@dataclass(frozen=True)
class Layout:
    """A drawn scene.

    Attributes:
        material: Material codes, ``(height, width)`` uint8.
        apple: Apple buffer, ``(height, width)`` int32: ``k + 1`` where apple ``k`` was drawn
            last, 0 elsewhere; meaningful only where ``material == APPLE``.
        apples: Table of the scene's apples.
        unit: Pixels per MinneApple pixel.
        canopy: Presence of foliage at every pixel, ``(height, width)`` float32 in [0, 1]:
            where it is high, the background is the canopy's shaded inside, not the sky.
        horizon: Row where the far ground meets the sky (negative: none visible).
        soil_top: Row where bare soil starts, per column, ``(width,)``.
        canopy_bottom: Lower edge of the foliage, per column, ``(width,)``.
        closeup: Whether the canopy fills the frame (no sky, no ground).
    """

    material: NDArray[np.uint8]
    apple: NDArray[np.int32]
    apples: Apples
    canopy: F32
    unit: float
    horizon: float
    soil_top: F64
    canopy_bottom: F64
    closeup: bool


class _Canopy:
    """Where the foliage is: tree crowns fused into a ragged hedge with gaps.

    The crowns dip between trunks, so sky and the far rows show between the trees; value noise
    punches holes and frays the edges.
    """

    def __init__(self, rng: np.random.Generator, cond: Condition, w: int, h: int, u: float):
        self.u, self.w = u, w
        self.spacing = draw(rng, 240.0, 380.0) * u
        first = draw(rng, -self.spacing, 0.0)
        xs = np.arange(first, w + self.spacing, self.spacing)
        self.trunks = xs + uniform(rng, -25.0, 25.0, len(xs)) * u
        cols = np.arange(w, dtype=np.float64)
        right = np.clip(np.searchsorted(self.trunks, cols), 1, len(self.trunks) - 1)
        near = np.minimum(np.abs(cols - self.trunks[right - 1]), np.abs(self.trunks[right] - cols))
        dip = draw(rng, 40.0, 220.0) * u if cond.canopy_top[0] >= 0 else 0.0
        crown = np.clip(near / (0.5 * self.spacing), 0.0, 1.0)
        self.top = (
            h * draw(rng, *cond.canopy_top)
            + dip * crown * crown
            + (noise_1d(rng, w, 60 * u) - 0.5) * 90 * u
        )
        self.bottom = h * draw(rng, *cond.canopy_bottom) + (noise_1d(rng, w, 50 * u) - 0.5) * 70 * u
        self.coarse = ValueNoise(rng, h, w, 70 * u)
        self.fine = ValueNoise(rng, h, w, 24 * u)
        self.gap = draw(rng, 0.2, 0.34)

    def presence(self, x: F64, y: F64) -> F64:
        """How likely foliage is at points ``(x, y)``, ``(N,)`` in [0, 1]."""
        col = np.clip(x.astype(np.int64), 0, self.w - 1)
        edge = np.minimum(y - self.top[col], self.bottom[col] - y) / (40 * self.u)
        n = 0.6 * self.coarse.at(x, y) + 0.4 * self.fine.at(x, y)
        p: F64 = np.clip(edge, 0.0, 1.0) * np.clip((n - self.gap) / 0.2, 0.0, 1.0)
        return p

    def field(self, h: int) -> F32:
        """The presence at every pixel, ``(h, width)`` float32."""
        rows = np.arange(h, dtype=np.float32)[:, None]
        top = self.top.astype(np.float32)[None, :]
        bottom = self.bottom.astype(np.float32)[None, :]
        edge = np.minimum(rows - top, bottom - rows) / np.float32(40 * self.u)
        n = 0.6 * self.coarse.field(h, self.w) + 0.4 * self.fine.field(h, self.w)
        p: F32 = np.clip(edge, 0.0, 1.0) * np.clip((n - np.float32(self.gap)) / 0.2, 0.0, 1.0)
        return p


def _choose_varieties(
    rng: np.random.Generator, cond: Condition, n: int
) -> tuple[NDArray[np.int64], F64]:
    weights = np.array([v.weight for v in cond.varieties])
    cdf = np.cumsum(weights / weights.sum())
    variety = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1)
    lo = np.array([v.blush[0] for v in cond.varieties])[variety]
    hi = np.array([v.blush[1] for v in cond.varieties])[variety]
    return variety.astype(np.int64), lo + (hi - lo) * rng.random(n)


def build_layout(
    rng: np.random.Generator,
    cond: Condition,
    frame_width: int,
    width: int,
    height: int,
    bare: bool,
) -> Layout:
    """Draw one scene of ``width`` x ``height`` canvas pixels.

    Args:
        rng: The scene's generator (consumed).
        cond: The condition to draw.
        frame_width: Width of one output frame (sets the scale).
        width: Canvas width in pixels (at least ``frame_width``).
        height: Canvas height in pixels.
        bare: Whether the trees carry no apples.
    """
    u = frame_width / 720.0 * draw(rng, *cond.zoom)
    canopy = _Canopy(rng, cond, width, height, u)
    closeup = bool(canopy.bottom.min() > height and canopy.top.max() < 0)
    horizon = -1.0 if closeup else height * draw(rng, 0.42, 0.6)
    soil_top = height * draw(rng, 0.86, 0.96) + (noise_1d(rng, width, 60 * u) - 0.5) * 40 * u
    mat_img = Image.new("L", (width, height), 0)
    ids_img = Image.new("I", (width, height), 0)
    pen, ids = ImageDraw.Draw(mat_img), ImageDraw.Draw(ids_img)
    area = width * height / (u * u)
    margin = 20 * u
    leaf = (10.0 * u, 22.0 * u)

    def points(n: float) -> tuple[F64, F64]:
        return shapes.sample_points(rng, int(n), width, height, margin, canopy.presence)

    branches = shapes.trees(rng, pen, canopy.trunks, canopy.top, canopy.bottom, height, u)
    shapes.leaves(rng, pen, *points(area / 260), leaf, (LEAF_CODES[0], 24))
    if not closeup:
        shapes.trellis(rng, pen, width, height, u, float(canopy.top.min()))

    ax, ay, ar = np.zeros(0), np.zeros(0), np.zeros(0)
    presence = canopy.field(height)
    if not bare:
        fx, fy = points(area / 1000)
        canopy_area = area * float(presence.mean(dtype=np.float64))
        n_clusters = int(draw(rng, *cond.load) * canopy_area / 1e5 + rng.random())
        max_size = 8.0 if closeup else 5.0
        ax, ay, ar = shapes.clusters(rng, n_clusters, u, branches, (fx, fy), max_size)
    deep = rng.random(len(ax)) < 0.3
    order = np.concatenate([np.flatnonzero(deep), np.flatnonzero(~deep)])
    ax, ay, ar = ax[order], ay[order], ar[order]
    n_deep = int(deep.sum())

    parts = [shapes.apples(rng, pen, ids, (ax[:n_deep], ay[:n_deep], ar[:n_deep]), 1, 0.9)]
    shapes.leaves(rng, pen, *points(area / 300), leaf, (14, 46))
    front = (ax[n_deep:], ay[n_deep:], ar[n_deep:])
    parts.append(shapes.apples(rng, pen, ids, front, 1 + n_deep, 0.9))
    shapes.leaves(rng, pen, *points(area / 700), leaf, (30, LEAF_CODES[1]))

    if not closeup and not bare:
        n_fallen = int(draw(rng, 0.0, 1.0) * draw(rng, *cond.load) * width / (500 * u))
        fx = uniform(rng, 0.0, width, n_fallen)
        col = fx.astype(np.int64)
        lo = np.maximum(canopy.bottom[col] - 10 * u, horizon)
        fy = lo + (height - lo) * rng.random(n_fallen)
        fr = skewed(rng, 7.0, 20.0, n_fallen, power=2) * u
        parts.append(shapes.apples(rng, pen, ids, (fx, fy, fr), 1 + len(ax), 0.75))
        shapes.grass(rng, pen, fx, fy, 8, u)

    cx, cy, rx, ry = (np.concatenate([p[i] for p in parts]) for i in range(4))
    variety, blush = _choose_varieties(rng, cond, len(cx))
    return Layout(
        material=np.asarray(mat_img, dtype=np.uint8),
        apple=np.asarray(ids_img, dtype=np.int32),
        apples=Apples(cx, cy, rx, ry, variety, blush),
        canopy=presence,
        unit=u,
        horizon=horizon,
        soil_top=soil_top,
        canopy_bottom=canopy.bottom,
        closeup=closeup,
    )
