"""Outputs of the frozen backbone stages, computed once per image and reused.

The first backbone stages are frozen during training (``TrainConfig.freeze``), so what they make
of an image never changes: not between epochs, not between the rounds of a simulation, not
between its strategies and seeds. :class:`FeatureCache` keeps those outputs (float32 on the CPU,
so that predictions from the cache equal those without it) keyed by the image file and by a
fingerprint of the frozen weights, so every later training step and prediction starts at the
first trainable stage. Horizontal flips are applied to the cached maps (:func:`stack_entries`,
:func:`flip_targets`): the only augmentation a cache allows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from alpick.detector.data import load_rgb, resize_image

CacheEntry = dict[str, Tensor]


def prefix_fingerprint(model: Any, split: int) -> str:
    """A digest of the weights (and buffers) of the backbone's first ``split`` children."""
    digest = hashlib.sha1(str(split).encode())
    for child in list(model.backbone.body.values())[:split]:
        for name, tensor in child.state_dict().items():
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def _file_key(path: Path) -> tuple[str, int, int]:
    stat = Path(path).stat()
    return str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size


class FeatureCache:
    """Frozen-prefix outputs per image file, in memory, shared by trainings and predictions.

    Args:
        max_bytes: Largest total size to hold; :meth:`fits` tells a caller whether a set of
            images would stay under it (otherwise train without the cache).
        batch_size: Images per forward pass when filling the cache.
    """

    def __init__(self, *, max_bytes: int = 4 << 30, batch_size: int = 8) -> None:
        self.max_bytes = max_bytes
        self.batch_size = batch_size
        self._entries: dict[tuple[str, tuple[int, int], tuple[str, int, int]], CacheEntry] = {}
        self._nbytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled empty (a worker process fills its own)."""
        return {**self.__dict__, "_entries": {}, "_nbytes": 0}

    @property
    def nbytes(self) -> int:
        """Bytes held."""
        return self._nbytes

    @staticmethod
    def bytes_per_image(model: Any, split: int, input_size: tuple[int, int]) -> int:
        """Bytes one image's entry takes."""
        with torch.no_grad():
            probe = torch.zeros(1, 3, input_size[1], input_size[0])
            device = next(model.parameters()).device
            out = model.backbone.prefix(probe.to(device), split)
        return sum(t.numel() * t.element_size() for t in _unique(out).values())

    def fits(self, model: Any, split: int, input_size: tuple[int, int], n_images: int) -> bool:
        """Whether ``n_images`` more entries stay under ``max_bytes``."""
        need = n_images * self.bytes_per_image(model, split, input_size)
        return self._nbytes + need <= self.max_bytes

    def get(
        self,
        model: Any,
        split: int,
        input_size: tuple[int, int],
        paths: Sequence[Path],
        *,
        fingerprint: str | None = None,
        on_fill: Callable[[int], None] | None = None,
    ) -> list[CacheEntry]:
        """The entries of ``paths`` (computed for those not cached yet), in order.

        Args:
            model: The detector (its backbone's prefix runs in eval mode, without gradients).
            split: Children of the backbone body in the prefix.
            input_size: Network input (width, height); images are resized to it.
            paths: Image files.
            fingerprint: :func:`prefix_fingerprint` of ``model`` (computed when not given).
            on_fill: Called with the number of images just computed, for progress bars.
        """
        fp = fingerprint or prefix_fingerprint(model, split)
        keys = [(fp, tuple(input_size), _file_key(Path(p))) for p in paths]
        missing = [i for i, k in enumerate(keys) if k not in self._entries]
        for start in range(0, len(missing), self.batch_size):
            chunk = missing[start : start + self.batch_size]
            entries = self._compute(model, split, input_size, [paths[i] for i in chunk])
            for i, entry in zip(chunk, entries, strict=True):
                self._entries[keys[i]] = entry  # type: ignore[index]
                self._nbytes += sum(t.numel() * t.element_size() for t in entry.values())
            if on_fill is not None:
                on_fill(len(chunk))
        return [self._entries[k] for k in keys]  # type: ignore[index]

    @torch.no_grad()
    def _compute(
        self, model: Any, split: int, input_size: tuple[int, int], paths: Sequence[Path]
    ) -> list[CacheEntry]:
        from alpick.detector.model import normalize_images

        device = next(model.parameters()).device
        images = [
            resize_image(load_rgb(Path(p)), input_size).float().div_(255).to(device) for p in paths
        ]
        was_training = model.training
        model.eval()
        try:
            out = _unique(model.backbone.prefix(normalize_images(model, images), split))
        finally:
            model.train(was_training)
        return [{k: v[i].to("cpu").clone() for k, v in out.items()} for i in range(len(paths))]


def _unique(out: dict[str, Tensor]) -> dict[str, Tensor]:
    """A prefix output with ``"x"`` dropped when it is one of the returned maps (same tensor)."""
    if any(v is out["x"] for k, v in out.items() if k != "x"):
        return {k: v for k, v in out.items() if k != "x"}
    return out


def stack_entries(
    entries: Sequence[CacheEntry],
    device: torch.device,
    flips: Sequence[bool] | None = None,
    *,
    channels_last: bool = False,
) -> dict[str, Tensor]:
    """A batch for ``PyramidBackbone.trunk`` from cache entries, flipping the maps asked for.

    ``channels_last`` puts the maps in NHWC order, as a model built with it wants them.
    """
    layout = torch.channels_last if channels_last else torch.contiguous_format
    keys = list(entries[0])
    batch: dict[str, Tensor] = {}
    for key in keys:
        maps = [e[key] for e in entries]
        if flips is not None:
            maps = [m.flip(-1) if f else m for m, f in zip(maps, flips, strict=True)]
        batch[key] = torch.stack(maps).to(device, torch.float32).contiguous(memory_format=layout)
    if "x" not in batch:
        last = max((k for k in keys), key=lambda k: int(k))
        batch["x"] = batch[last]
    return batch


def flip_targets(
    targets: Sequence[dict[str, Tensor]], flips: Sequence[bool], width: int
) -> list[dict[str, Tensor]]:
    """Boxes mirrored horizontally (``x -> width - x``) where ``flips`` says so."""
    out = []
    for target, flip in zip(targets, flips, strict=True):
        if flip:
            boxes = target["boxes"].clone()
            boxes[:, [0, 2]] = width - target["boxes"][:, [2, 0]]
            target = {**target, "boxes": boxes}
        out.append(target)
    return out
