"""Shared fixtures: tiny synthetic disc images and one tiny trained run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from alpick.detector.config import TrainConfig
from alpick.detector.synthetic import write_disc_dataset
from alpick.detector.train import TrainResult, train_detector
from alpick.formats.detections import Detections

Samples = list[tuple[Path, Detections]]


@pytest.fixture(scope="session", autouse=True)
def _one_thread() -> Iterator[None]:
    """One torch thread: on a shared, busy CPU several threads wait on each other for minutes."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


TINY = dict(input_size=(64, 64), batch_size=2, checkpoint_every=0, fpn_width=32, head_convs=1)


@pytest.fixture(scope="session")
def tiny() -> dict[str, object]:
    """TrainConfig settings for fast runs: 64x64 input, small pyramid, no extra checkpoints."""
    return dict(TINY)


@pytest.fixture(scope="session")
def discs(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    """Eight 128x128 images with one to three red discs each."""
    return write_disc_dataset(tmp_path_factory.mktemp("discs"), 8, seed=1, size=(128, 128))


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, discs: Samples) -> TrainResult:
    """A one-epoch run on four images at 64x64: fast, untrained, but a complete run folder."""
    out = tmp_path_factory.mktemp("run")
    config = TrainConfig(epochs=1, **TINY)  # type: ignore[arg-type]
    return train_detector(discs[:4], ["disc"], out, config=config, progress=False)
