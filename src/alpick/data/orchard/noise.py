"""Random primitives that give the same numbers on every machine.

Byte-identical output across machines rules out anything whose last bit depends on the CPU or
the maths library: numpy's vectorised ``sin``/``exp``/``pow`` may use different SIMD kernels on
different processors, and ``Generator.normal`` or ``.exponential`` consult ``exp``/``log`` when
they reject a sample. So the generator draws only with ``Generator.random``, ``.integers`` and
``.permutation``, and computes with ``+ - * /`` and ``sqrt`` (all correctly rounded by IEEE 754).
Directions come from the rational parametrisation of the circle instead of ``cos``/``sin``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
F32 = NDArray[np.float32]


def draw(rng: np.random.Generator, lo: float, hi: float) -> float:
    """One uniform draw in ``[lo, hi)``."""
    return lo + (hi - lo) * float(rng.random())


def uniform(rng: np.random.Generator, lo: float, hi: float, n: int) -> F64:
    """Uniform draws in ``[lo, hi)``, ``(n,)``."""
    return lo + (hi - lo) * rng.random(n)


def skewed(rng: np.random.Generator, lo: float, hi: float, n: int, power: int = 2) -> F64:
    """Draws in ``[lo, hi)`` crowded towards ``lo``: ``lo + (hi - lo) * u**power``, ``(n,)``."""
    u = rng.random(n)
    v = np.ones(n)
    for _ in range(power):
        v = v * u
    return lo + (hi - lo) * v


def bell(rng: np.random.Generator, mean: float, spread: float, n: int) -> F64:
    """Roughly normal draws (the mean of three uniforms), within ``mean ± spread``, ``(n,)``."""
    u = (rng.random(n) + rng.random(n) + rng.random(n)) / 3.0
    return mean + spread * (2.0 * u - 1.0)


def directions(rng: np.random.Generator, n: int) -> tuple[F64, F64]:
    """Unit vectors ``(cos, sin)``, ``(n,)`` each, spread over the whole circle.

    Uses ``cos = (1 - t²) / (1 + t²)``, ``sin = 2t / (1 + t²)`` for ``t`` in ``[-1, 1)`` (a half
    circle), then flips half of them: no trigonometric function is evaluated.
    """
    t = 2.0 * rng.random(n) - 1.0
    d = 1.0 + t * t
    c = (1.0 - t * t) / d
    s = 2.0 * t / d
    flip = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    return c * flip, s * flip


def _smoothstep(f: F64) -> F64:
    return f * f * (3.0 - 2.0 * f)


class ValueNoise:
    """Smooth 2-D noise in ``[0, 1]``: random values on a coarse grid, smoothly interpolated.

    Args:
        rng: Source of the grid values.
        height: Height of the area to cover, in pixels.
        width: Width of the area to cover, in pixels.
        cell: Grid spacing in pixels (the size of the blobs).
        cell_x: Horizontal grid spacing, when it differs (e.g. small for vertical streaks).
    """

    def __init__(
        self,
        rng: np.random.Generator,
        height: int,
        width: int,
        cell: float,
        cell_x: float | None = None,
    ) -> None:
        self.cell_y = max(float(cell), 1.0)
        self.cell_x = max(float(cell if cell_x is None else cell_x), 1.0)
        rows = int(height / self.cell_y) + 4
        cols = int(width / self.cell_x) + 4
        self.grid = rng.random((rows, cols))

    @staticmethod
    def _coords(v: F64, cell: float, size: int) -> tuple[NDArray[np.int64], F64]:
        g = np.clip(v / cell + 1.0, 0.0, size - 2.000001)
        i = g.astype(np.int64)
        return i, _smoothstep(g - i)

    def at(self, x: F64, y: F64) -> F64:
        """The noise at points ``(x, y)``, each ``(N,)``; returns ``(N,)``."""
        rows, cols = self.grid.shape
        ix, fx = self._coords(np.asarray(x, dtype=np.float64), self.cell_x, cols)
        iy, fy = self._coords(np.asarray(y, dtype=np.float64), self.cell_y, rows)
        g = self.grid
        top = g[iy, ix] * (1.0 - fx) + g[iy, ix + 1] * fx
        bottom = g[iy + 1, ix] * (1.0 - fx) + g[iy + 1, ix + 1] * fx
        out: F64 = top * (1.0 - fy) + bottom * fy
        return out

    def field(self, height: int, width: int, top: int = 0) -> F32:
        """The noise on the pixel grid, rows ``top`` to ``top + height``, ``(height, width)``."""
        rows, cols = self.grid.shape
        ix, fx = self._coords(np.arange(width, dtype=np.float64), self.cell_x, cols)
        iy, fy = self._coords(np.arange(top, top + height, dtype=np.float64), self.cell_y, rows)
        g = self.grid.astype(np.float32)
        fx32 = fx.astype(np.float32)
        fy32 = fy.astype(np.float32)[:, None]
        across = g[:, ix] * (1.0 - fx32) + g[:, ix + 1] * fx32
        out: F32 = across[iy] * (1.0 - fy32) + across[iy + 1] * fy32
        return out


def noise_1d(rng: np.random.Generator, length: int, cell: float) -> F64:
    """Smooth 1-D noise in ``[0, 1]`` along ``length`` pixels, ``(length,)``."""
    noise = ValueNoise(rng, 1, length, cell)
    return noise.at(np.arange(length, dtype=np.float64), np.zeros(length))
