"""Colours for a drawn scene: background, materials, shaded apples, the camera's look.

Works on the buffers of :mod:`alpick.data.orchard.layout` with numpy float32 arithmetic only
(``+ - * /``, ``sqrt``, comparisons), so the pixels are the same on every machine (see
:mod:`alpick.data.orchard.noise`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from alpick.data.orchard.conditions import RGB, Condition
from alpick.data.orchard.layout import Layout
from alpick.data.orchard.noise import F32, ValueNoise, draw, noise_1d
from alpick.data.orchard.shapes import (
    APPLE,
    BARK_CODES,
    GRASS_CODES,
    LEAF_CODES,
    POLE_DARK,
    POLE_LIGHT,
    WIRE,
)

U8 = NDArray[np.uint8]


def _rgb(c: RGB) -> F32:
    return np.array(c, dtype=np.float32)


def _palette(rng: np.random.Generator, cond: Condition) -> F32:
    """Colour of every material code, ``(256, 3)`` float32 (apples are shaded separately)."""
    lut = np.zeros((256, 3), dtype=np.float32)
    dark, light = _rgb(cond.leaf_dark), _rgb(cond.leaf_light)
    lo, hi = LEAF_CODES
    t = ((np.arange(lo, hi) - lo) / (hi - lo - 1)).astype(np.float32)[:, None]
    jitter = (1.0 + 0.2 * (rng.random((hi - lo, 3)) - 0.5)).astype(np.float32)
    lut[lo:hi] = (dark * (1.0 - t) + light * t) * jitter
    lo, hi = BARK_CODES
    lut[lo:hi] = _rgb((96, 80, 66)) * (0.65 + 0.5 * rng.random((hi - lo, 1)))
    pole = (170, 168, 162) if rng.random() < 0.6 else (124, 104, 84)
    lut[POLE_LIGHT] = pole
    lut[POLE_DARK] = _rgb(pole) * 0.7
    lut[WIRE] = (54, 56, 58)
    lo, hi = GRASS_CODES
    lut[lo:hi] = _rgb(cond.grass) * (0.7 + 0.6 * rng.random((hi - lo, 1)))
    return lut


def _background(rng: np.random.Generator, cond: Condition, layout: Layout) -> F32:
    """Sky, far tree rows, grass and soil, ``(height, width, 3)`` float32.

    Texture factors are computed on one channel and applied to the colours once.
    """
    h, w = layout.material.shape
    u = layout.unit
    dark = _rgb(cond.leaf_dark)
    if layout.closeup:
        shade = 0.35 + 0.6 * ValueNoise(rng, h, w, 16 * u).field(h, w)
        deep: F32 = shade[..., None] * dark
        return deep
    out = np.empty((h, w, 3), dtype=np.float32)
    hz = int(np.clip(np.ceil(layout.horizon), 0, h))
    rows = np.arange(h, dtype=np.float32)[:, None]
    t = np.clip(rows[:hz] / max(layout.horizon, 1.0), 0.0, 1.0)[..., None]
    out[:hz] = _rgb(cond.sky_top) * (1.0 - t) + _rgb(cond.sky_horizon) * t

    bumps = 0.6 * noise_1d(rng, w, 40 * u) + 0.4 * noise_1d(rng, w, 9 * u)
    far_h = ((25 + 90 * bumps) * u).astype(np.float32)
    top = int(np.clip(hz - np.ceil(far_h.max()), 0, h))
    tex = 0.7 + 0.6 * ValueNoise(rng, h, w, 7 * u).field(hz - top, w, top)
    in_band = rows[top:hz] > np.float32(layout.horizon) - far_h[None, :]
    far_col = _rgb(cond.far_trees) * 0.85 + _rgb(cond.sky_horizon) * 0.15
    out[top:hz][in_band] = tex[in_band][:, None] * far_col

    g = h - hz
    blades = ValueNoise(rng, h, w, 10 * u, 1.4 * u).field(g, w, hz)
    patches = ValueNoise(rng, h, w, 30 * u).field(g, w, hz)
    soil_tex = ValueNoise(rng, h, w, 6 * u).field(g, w, hz)
    depth = 0.8 + 0.3 * (rows[hz:] - hz) / max(g, 1)
    is_soil = rows[hz:] >= layout.soil_top.astype(np.float32)[None, :]
    mix = np.clip((patches - 0.3) * 3.0, 0.0, 1.0) * is_soil
    below = (rows[hz:] - layout.canopy_bottom.astype(np.float32)[None, :]) / np.float32(50 * u)
    shadow = 0.55 + 0.45 * np.clip(below, 0.0, 1.0)
    on_grass = (0.55 + 0.35 * blades + 0.3 * patches) * depth * shadow * (1.0 - mix)
    on_soil = (0.65 + 0.5 * soil_tex) * shadow * mix
    out[hz:] = on_grass[..., None] * _rgb(cond.grass) + on_soil[..., None] * _rgb(cond.soil)

    if cond.sun_glow > 0:
        sx, sy = draw(rng, 0.2, 0.8) * w, draw(rng, 0.1, 0.35) * h
        cols = np.arange(w, dtype=np.float32)[None, :]
        s2 = np.float32((150 * u) ** 2)
        glow = (cond.sun_glow * 160.0) * s2 / (s2 + (cols - sx) ** 2 + (rows - sy) ** 2)
        out += glow[..., None] * _rgb((1.0, 0.88, 0.66))

    # Where the canopy is dense, its shaded inside shows between the leaves, not the sky.
    s = np.clip((layout.canopy - 0.55) * 4.0, 0.0, 0.95)
    tex = ValueNoise(rng, h, w, 12 * u).field(h, w)
    out *= (1.0 - s)[..., None]
    out += (s * (0.35 + 0.5 * tex))[..., None] * dark
    return out


def _light(rng: np.random.Generator, cond: Condition, layout: Layout) -> F32:
    """Brightness of the foliage and fruit: sun flecks and the canopy's shaded inside."""
    h, w = layout.material.shape
    fleck = ValueNoise(rng, h, w, 18 * layout.unit).field(h, w)
    broad = ValueNoise(rng, h, w, 110 * layout.unit).field(h, w)
    rows = np.arange(h, dtype=np.float32)[:, None] / np.float32(h)
    d = np.float32(cond.dapple)
    f = np.clip((fleck - 0.5) * 2.5, -1.0, 1.0)
    light: F32 = (1.0 + d * f) * (0.75 + 0.5 * broad) * (1.1 - 0.2 * rows)
    return light


def _apples(cond: Condition, layout: Layout, ys: NDArray[np.int64], xs: NDArray[np.int64]) -> F32:
    """Shaded colours of the apple pixels at ``(ys, xs)``, ``(N, 3)`` float32."""
    a = layout.apples
    k = layout.apple[ys, xs].astype(np.int64) - 1
    nx = ((xs - a.cx[k]) / a.rx[k]).astype(np.float32)
    ny = ((ys - a.cy[k]) / a.ry[k]).astype(np.float32)
    d2 = np.minimum(nx * nx + ny * ny, 1.0)
    nz = np.sqrt(1.0 - d2)
    lx, ly, lz = (np.float32(v) for v in cond.light)
    lam = np.clip(nx * lx + ny * ly + nz * lz, 0.0, 1.0)
    main = np.array([v.main for v in cond.varieties], dtype=np.float32)[a.variety[k]]
    ground = np.array([v.ground for v in cond.varieties], dtype=np.float32)[a.variety[k]]
    blush = a.blush[k].astype(np.float32)
    mix = np.clip(1.6 * blush - 0.3 - 0.5 * ny * (1.0 - blush), 0.0, 1.0)[:, None]
    skin = main * mix + ground * (1.0 - mix)
    shade = (cond.ambient + cond.diffuse * lam) * (0.7 + 0.3 * nz)
    color = skin * shade[:, None]
    spec = lam * lam
    for _ in range(3):
        spec = spec * spec
    color = color + (cond.specular * 230.0 * spec)[:, None]
    if cond.rim > 0:
        rim = d2 * d2 * np.clip(0.3 - ny, 0.0, 1.0) * np.float32(cond.rim)
        color = color + (rim * 200.0)[:, None] * _rgb((1.0, 0.8, 0.55))
    out: F32 = color.astype(np.float32)
    return out


def _blur_rows(a: NDArray[np.uint16]) -> NDArray[np.uint16]:
    """``[1, 2, 1] / 4`` along axis 0 with the edge rows repeated, rounded (integers only)."""
    v = a * np.uint16(2)
    v[1:] += a[:-1]
    v[:-1] += a[1:]
    v[0] += a[0]
    v[-1] += a[-1]
    v += np.uint16(2)
    v >>= np.uint16(2)
    return v


def _blur(img: U8) -> U8:
    """A ``[1, 2, 1] / 4`` blur along both axes: softens the drawn edges like a lens."""
    a = _blur_rows(img.astype(np.uint16))
    a = _blur_rows(a.swapaxes(0, 1)).swapaxes(0, 1)
    out: U8 = a.astype(np.uint8)
    return out


def paint(rng: np.random.Generator, cond: Condition, layout: Layout) -> U8:
    """Colour a drawn scene, ``(height, width, 3)`` uint8."""
    mat = layout.material
    lut = _palette(rng, cond)
    background = _background(rng, cond, layout)
    light = _light(rng, cond, layout)
    drawn = mat > 0
    out = lut[mat]
    np.copyto(out, background, where=~drawn[..., None])
    out *= np.where(drawn, light, np.float32(1.0))[..., None]
    ys, xs = np.nonzero(mat == APPLE)
    out[ys, xs] = _apples(cond, layout, ys, xs) * light[ys, xs][:, None]
    # The camera: colour gain, contrast around mid-grey, haze; one affine map per channel.
    keep = np.float32(1.0 - cond.haze_amount)
    gain = _rgb(cond.gain) * np.float32(cond.contrast) * keep
    offset = np.float32(118.0 * (1.0 - cond.contrast)) * keep + _rgb(cond.haze) * (1.0 - keep)
    out *= gain
    out += offset + np.float32(0.5)
    np.clip(out, 0.0, 255.0, out=out)
    return _blur(out.astype(np.uint8))
