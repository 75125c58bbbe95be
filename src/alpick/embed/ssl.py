"""Self-supervised fine-tuning of a backbone on the project's own images, with SimCLR.

The loss (``NTXentLoss``), projection head (``SimCLRProjectionHead``) and augmentations
(``SimCLRTransform``) are lightly's; this module only feeds them. Nothing here downloads.

Reproducible: each image's two views are drawn from a seed made of (seed, epoch, image index),
so the same call gives the same weights whatever the number of decoding workers. lightly's
Gaussian blur draws from numpy's global generator; its state is saved and restored around every
augmentation, so callers' numpy randomness is left as it was.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from alpick.embed.decode import ImageDecodeError, load_rgb
from alpick.embed.pipeline import default_num_workers, loader_batches, resolve_device
from alpick.embed.weights import state_dict_sha256
from alpick.errors import AlpickError
from alpick.progress import progress_bar

if TYPE_CHECKING:
    import torch
    from torch.utils.data import DataLoader

    from alpick.embed.backbones import Backbone

__all__ = ["finetune_simclr"]

_PROJECTION_DIM = 128


class _TwoViews:
    """Item ``i``: ``(view0, view1, ok)``, two augmented ``(3, S, S)`` float views of image i."""

    def __init__(self, paths: Sequence[Path], transform: Any, input_size: int, seed: int) -> None:
        self.paths = list(paths)
        self.transform = transform
        self.input_size = input_size
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, bool]:
        import torch
        from PIL import Image

        try:
            image = load_rgb(self.paths[index], min_size=2 * self.input_size)
        except ImageDecodeError:
            blank = torch.zeros((3, self.input_size, self.input_size))
            return blank, blank, False
        # Shrink big pictures so the shorter side is 2 x input size: crops keep detail, cheaply.
        short = min(image.size)
        if short > 2 * self.input_size:
            f = 2 * self.input_size / short
            size = (max(1, round(image.width * f)), max(1, round(image.height * f)))
            image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=3.0)
        item_seed = (self.seed * 1_000_003 + self.epoch) * 1_000_003 + index
        np_state = np.random.get_state()
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(item_seed % (2**63))
                np.random.seed(item_seed % (2**32))
                view0, view1 = self.transform(image)
        finally:
            np.random.set_state(np_state)
        return view0, view1, True


def finetune_simclr(
    paths: Sequence[Path],
    backbone: Backbone,
    *,
    epochs: int,
    batch_size: int = 32,
    input_size: int = 128,
    lr: float = 3e-4,
    temperature: float = 0.5,
    seed: int = 0,
    num_workers: int | None = None,
    device: str | None = None,
    progress: bool = True,
) -> Backbone:
    """Fine-tune a copy of ``backbone`` with SimCLR on the given images.

    The backbone's features go through lightly's ``SimCLRProjectionHead`` (D -> D -> 128) and the
    two views of each image are pulled together by lightly's ``NTXentLoss`` (AdamW, constant
    ``lr``). Images that cannot be decoded are skipped. The input backbone is not modified.

    Args:
        paths: The images to learn from (the project's images).
        backbone: The starting point, e.g. ``build_backbone()``.
        epochs: Passes over the images; must be positive.
        batch_size: Images per step (each gives two views); a final partial batch is dropped.
        input_size: Side of the square augmented views.
        lr: AdamW learning rate.
        temperature: NT-Xent temperature.
        seed: Seeds the projection head, the shuffling and the augmentations.
        num_workers: Decoding/augmenting processes; None picks a default.
        device: ``"cpu"``, ``"cuda"``...; None for CUDA when available.
        progress: Show a progress bar with images/s when the run takes a while.

    Returns:
        A new backbone in eval mode on the CPU, with ``source="simclr"``, ``weights_hash`` of its
        new state dict, no classifier head, and ``info`` recording the fine-tuning settings.

    Raises:
        AlpickError: If ``epochs < 1`` or fewer than two images can be decoded.
        KeyboardInterrupt: On Ctrl-C, after shutting the workers down; nothing is written.
    """
    import torch
    from lightly.loss import NTXentLoss
    from lightly.models.modules import SimCLRProjectionHead
    from lightly.transforms import SimCLRTransform

    if epochs < 1:
        raise AlpickError(f"SimCLR needs at least one epoch, got {epochs}")
    paths = [Path(p) for p in paths]
    if len(paths) < 2:
        raise AlpickError(f"SimCLR needs at least 2 images, got {len(paths)}")
    dev = resolve_device(device)
    transform = SimCLRTransform(
        input_size=input_size, normalize={"mean": list(backbone.mean), "std": list(backbone.std)}
    )
    dataset: Any = _TwoViews(paths, transform, input_size, seed)
    workers = default_num_workers(len(paths), batch_size) if num_workers is None else num_workers
    drop_last = len(paths) >= batch_size
    steps_images = (len(paths) // batch_size) * batch_size if drop_last else len(paths)

    with ExitStack() as stack:
        stack.enter_context(torch.random.fork_rng(devices=[]))
        torch.manual_seed(seed)
        model = copy.deepcopy(backbone.module).to(dev).train()
        head = SimCLRProjectionHead(backbone.dim, backbone.dim, _PROJECTION_DIM).to(dev)
        criterion = NTXentLoss(temperature=temperature)
        params = list(model.parameters()) + list(head.parameters())
        optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=1e-4)
        advance = stack.enter_context(
            progress_bar(epochs * steps_images, "SimCLR fine-tuning", enabled=progress)
        )
        used = 0
        for epoch in range(epochs):
            dataset.epoch = epoch
            order_seed = seed * 1_000_003 + epoch
            loader = _epoch_loader(dataset, batch_size, drop_last, workers, order_seed, dev)
            with loader_batches(loader) as batches:
                for view0, view1, ok in batches:
                    keep = ok.bool()
                    if int(keep.sum()) >= 2:
                        _step(model, head, criterion, optimizer, view0[keep], view1[keep], dev)
                        used += int(keep.sum())
                    advance(len(ok))
    if used == 0:
        raise AlpickError("SimCLR needs at least 2 readable images per batch; none were usable")
    settings = {
        "ssl_epochs": epochs,
        "ssl_input_size": input_size,
        "ssl_batch_size": batch_size,
        "ssl_lr": lr,
        "ssl_temperature": temperature,
        "ssl_seed": seed,
        "ssl_images": len(paths),
    }
    return _tuned_backbone(backbone, model.eval().cpu(), settings)


def _epoch_loader(
    dataset: Any, batch_size: int, drop_last: bool, workers: int, seed: int, dev: torch.device
) -> DataLoader[Any]:
    """One epoch's shuffled loader of view pairs, its order fixed by ``seed``."""
    import torch
    from torch.utils.data import DataLoader

    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=True,
        drop_last=drop_last,
        num_workers=workers,
        generator=torch.Generator().manual_seed(seed),
        pin_memory=dev.type == "cuda",
    )


def _tuned_backbone(
    backbone: Backbone, model: torch.nn.Module, settings: dict[str, Any]
) -> Backbone:
    """``backbone`` with the fine-tuned ``model``: new weights hash, ``settings`` in its info."""
    state = getattr(model, "net", model).state_dict()
    info = {**backbone.info, **settings, "base_weights_hash": backbone.weights_hash}
    return type(backbone)(
        name=backbone.name,
        module=model,
        dim=backbone.dim,
        mean=backbone.mean,
        std=backbone.std,
        weights_hash=state_dict_sha256(state),
        source="simclr",
        head=None,
        info=info,
    )


def _step(
    model: torch.nn.Module,
    head: torch.nn.Module,
    criterion: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    view0: torch.Tensor,
    view1: torch.Tensor,
    dev: torch.device,
) -> float:
    """One optimisation step on a batch of view pairs; returns the loss."""
    import torch

    view0 = view0.to(dev, non_blocking=True)
    view1 = view1.to(dev, non_blocking=True)
    with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
        z0 = head(model(view0))
        z1 = head(model(view1))
        loss = criterion(z0.float(), z1.float())
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return float(loss.detach())
