"""The embedding pipeline: image files in, one feature row per file out.

Worker processes of a torch ``DataLoader`` decode and resize the images (see
:mod:`alpick.embed.decode`) while the main process runs the network, so decoding overlaps compute.
Workers ship small ``uint8`` pixels; normalisation happens on the compute device. The network runs
in eval mode under ``torch.inference_mode()``, so a row depends only on its own image: the same
file gives the same row (within float rounding) whatever batch it is embedded in, which is what
lets the project embed new images incrementally and reuse old rows.

A file that cannot be decoded never stops the run: its row is NaN and it is listed, with the
reason, in :attr:`EmbedResult.failed`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from alpick.embed.decode import ImageDecodeError, load_resized
from alpick.progress import progress_bar

if TYPE_CHECKING:
    import torch
    from torch.utils.data import DataLoader

    from alpick.embed.backbones import Backbone

__all__ = [
    "EmbedResult",
    "OnBatch",
    "default_num_workers",
    "embed_images",
    "loader_batches",
    "resolve_device",
]

log = logging.getLogger(__name__)

OnBatch = Callable[[NDArray[np.int64], NDArray[np.float32]], None]
"""Called after each batch with the batch's row indices ``(b,)`` and their rows ``(b, D)``."""


@dataclass
class EmbedResult:
    """Embeddings of a list of image files, in the order of the list.

    Attributes:
        embeddings: ``(N, D)`` float32; the row of a file that failed to decode is all NaN.
        failed: ``(path, reason)`` for each file that failed, in input order.
    """

    embeddings: NDArray[np.float32]
    failed: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def ok(self) -> NDArray[np.bool_]:
        """``(N,)`` True where the row is a real embedding (the file decoded)."""
        return np.asarray(np.isfinite(self.embeddings).all(axis=1))


class _ImageDataset:
    """Item ``i``: ``(i, pixels (S, S, 3) uint8 tensor, reason)``; reason is "" when decoded."""

    def __init__(self, paths: Sequence[Path], size: int) -> None:
        self.paths = list(paths)
        self.size = size

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[int, torch.Tensor, str]:
        import torch

        try:
            pixels = torch.from_numpy(load_resized(self.paths[index], self.size).copy())
            reason = ""
        except ImageDecodeError as exc:
            pixels, reason = torch.zeros((self.size, self.size, 3), dtype=torch.uint8), str(exc)
        except Exception as exc:  # a decoder bug must not end the whole run
            pixels = torch.zeros((self.size, self.size, 3), dtype=torch.uint8)
            reason = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        return index, pixels, reason


def resolve_device(device: str | None) -> torch.device:
    """``device`` as a torch device; None picks CUDA when available, else the CPU."""
    import torch

    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def default_num_workers(n_images: int, batch_size: int) -> int:
    """Decoding processes for a run: none for a run of a batch or two, else up to the cores.

    On a machine with C cores the network uses the cores too, so C - 1 workers (at least 1, at
    most 8) keep decoding ahead of compute without starving it (measured in ``bench/embed.py``).
    """
    if n_images <= 2 * batch_size:
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(8, (cores or 1) - 1))


def embed_images(
    paths: Sequence[Path],
    backbone: Backbone,
    *,
    input_size: int = 224,
    batch_size: int = 32,
    num_workers: int | None = None,
    device: str | None = None,
    progress: bool = True,
    on_batch: OnBatch | None = None,
) -> EmbedResult:
    """Embed image files with a backbone.

    Args:
        paths: The image files; any subset of a project, in any order.
        backbone: The network (put in eval mode and moved to ``device`` by this call).
        input_size: Images are resized (aspect not kept) to this many pixels square.
        batch_size: Images per forward pass.
        num_workers: Decoding processes; None for :func:`default_num_workers`, 0 to decode in
            this process.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``...; None for CUDA when available.
        progress: Show a progress bar with images/s on stderr when the run takes a while.
        on_batch: Called after each batch (e.g. to save rows as they come).

    Returns:
        The rows in the order of ``paths`` and the files that failed, with reasons.

    Raises:
        KeyboardInterrupt: On Ctrl-C, after shutting the worker processes down.
    """
    import torch

    paths = [Path(p) for p in paths]
    if input_size < 16:
        raise ValueError(f"input_size must be at least 16, got {input_size}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    embeddings = np.full((len(paths), backbone.dim), np.nan, dtype=np.float32)
    reasons: dict[int, str] = {}
    if not paths:
        return EmbedResult(embeddings)
    dev = resolve_device(device)
    # Channels-last: the pixels already come that way, and depthwise convolutions (EfficientNet,
    # MobileNet) run several times faster in it on the CPU.
    module = backbone.module.eval().to(dev).to(memory_format=torch.channels_last)
    scale = torch.tensor(backbone.std, device=dev).view(1, 3, 1, 1) * 255.0
    shift = torch.tensor(backbone.mean, device=dev).view(1, 3, 1, 1) * 255.0
    workers = default_num_workers(len(paths), batch_size) if num_workers is None else num_workers
    done = np.zeros(len(paths), dtype=bool)

    def run_batch(index: torch.Tensor, pixels: torch.Tensor, why: list[str]) -> None:
        rows = index.numpy().astype(np.int64)
        good = np.array([r == "" for r in why], dtype=bool)
        for row, reason in zip(rows.tolist(), why, strict=True):
            if reason:
                reasons[row] = reason
        if good.any():
            x = pixels[torch.from_numpy(good)] if not good.all() else pixels
            # (B, S, S, 3) uint8 -> (B, 3, S, S) float, channels-last in memory, normalised.
            x = x.to(dev, non_blocking=True).permute(0, 3, 1, 2).float()
            x = (x - shift) / scale
            with torch.autocast(dev.type, enabled=dev.type == "cuda"):
                features = module(x)
            embeddings[rows[good]] = features.float().cpu().numpy()
        done[rows] = True
        if on_batch is not None:
            on_batch(rows, embeddings[rows])

    with (
        progress_bar(len(paths), f"embedding ({backbone.name})", enabled=progress) as advance,
        torch.inference_mode(),
    ):
        try:
            everything = list(range(len(paths)))
            _run(paths, everything, input_size, batch_size, workers, dev, run_batch, advance)
        except RuntimeError as exc:
            if workers == 0 or "DataLoader worker" not in str(exc):
                raise
            # A worker died (killed for memory, a decoder crash): finish in this process.
            log.warning("a decoding worker died (%s); continuing without workers", exc)
            pending = np.flatnonzero(~done).tolist()
            _run(paths, pending, input_size, batch_size, 0, dev, run_batch, advance)
    failed = [(paths[i], reasons[i]) for i in sorted(reasons)]
    return EmbedResult(embeddings, failed)


def _run(
    paths: list[Path],
    indices: list[int],
    input_size: int,
    batch_size: int,
    workers: int,
    dev: torch.device,
    run_batch: Callable[[Any, Any, list[str]], None],
    advance: Callable[[int], None],
) -> None:
    """Decode ``paths[indices]`` in batches and hand each batch to ``run_batch``."""
    from torch.utils.data import DataLoader, Subset

    dataset: Any = _ImageDataset(paths, input_size)
    if len(indices) != len(paths):
        dataset = Subset(dataset, indices)
    loader: DataLoader[Any] = DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=False,
        num_workers=workers,
        pin_memory=dev.type == "cuda",
        prefetch_factor=2 if workers > 0 else None,
    )
    with loader_batches(loader) as batches:
        for index, pixels, why in batches:
            run_batch(index, pixels, list(why))
            advance(len(why))


@contextmanager
def loader_batches(loader: DataLoader[Any]) -> Iterator[Iterator[Any]]:
    """Iterate a DataLoader, shutting its workers down on exit, Ctrl-C included.

    Without this, workers live on until the iterator happens to be garbage-collected.
    """
    iterator = iter(loader)
    try:
        yield iterator
    finally:
        shutdown = getattr(iterator, "_shutdown_workers", None)
        if shutdown is not None:
            shutdown()
