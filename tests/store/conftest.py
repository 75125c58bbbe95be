"""Fixtures for the store tests: a small pool of images with KITTI labels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

MakePool = Callable[..., Path]


def write_pool(
    root: Path,
    names: list[str],
    *,
    boxes: int = 2,
    size: tuple[int, int] = (40, 30),
    labels: bool = True,
) -> Path:
    """Write ``names`` as PNGs under ``root/data/raw/images`` with ``boxes`` KITTI boxes each."""
    images = root / "data/raw/images"
    label_dir = root / "data/raw/labels"
    for i, name in enumerate(names):
        path = images / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", size, (i % 256, (3 * i) % 256, 7)).save(path)
        if labels:
            lab = (label_dir / name).with_suffix(".txt")
            lab.parent.mkdir(parents=True, exist_ok=True)
            lines = [
                f"apple 0.00 0 0.00 {k} {k + 1} {k + 10} {k + 12} 0 0 0 0 0 0 0"
                for k in range(boxes)
            ]
            lab.write_text("\n".join(lines) + ("\n" if lines else ""))
    return root


@pytest.fixture
def pool_writer() -> Callable[..., Path]:
    """:func:`write_pool`, for tests that need other names or roots."""
    return write_pool


@pytest.fixture
def make_pool(tmp_path: Path) -> MakePool:
    """``make_pool(n, **kw)`` writes images ``img_000.png``.. into ``tmp_path`` and returns it."""

    def make(n: int = 5, *, start: int = 0, **kwargs: object) -> Path:
        names = [f"img_{i:03d}.png" for i in range(start, start + n)]
        return write_pool(tmp_path, names, **kwargs)  # type: ignore[arg-type]

    return make
