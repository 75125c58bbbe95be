"""Shared fixtures for the embed tests: tiny generated images and one pretrained backbone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alpick.embed import Backbone, build_backbone

MakeImages = Callable[..., list[Path]]


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread() -> None:
    """One compute thread: the test machine is shared, and spinning threads oversubscribe it."""
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def effnet() -> Backbone:
    """The default backbone with its packaged ImageNet weights (built once per session)."""
    return build_backbone()


@pytest.fixture
def make_images(tmp_path: Path) -> MakeImages:
    """``make_images(n, size=(w, h), seed=0)``: write n distinct RGB PNGs, return their paths."""

    def make(n: int, size: tuple[int, int] = (80, 48), seed: int = 0) -> list[Path]:
        rng = np.random.default_rng(seed)
        folder = tmp_path / f"images_{seed}"
        folder.mkdir(exist_ok=True)
        paths = []
        for i in range(n):
            # Smooth blobs rather than pure noise, so images differ the way photos do.
            small = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)
            image = Image.fromarray(small).resize(size, Image.Resampling.BICUBIC)
            path = folder / f"img_{i:03d}.png"
            image.save(path)
            paths.append(path)
        return paths

    return make
