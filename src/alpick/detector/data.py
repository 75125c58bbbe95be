"""Images and boxes into network-ready tensors: resize, box-aware augmentation, batching.

Every image is resized (stretched) to the network's input size and its boxes are scaled with it,
so images of mixed sizes batch together; boxes are clipped to the image first and boxes left
without area are dropped. Training augmentations follow the tutorial's TLT spec (horizontal flip
0.5, hue 0.1, saturation 1.5, exposure 1.5, jitter 0.3) through torchvision's box-aware
``transforms.v2``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import DataLoader, Dataset
from torchvision import tv_tensors
from torchvision.transforms import v2

from alpick.errors import AlpickError
from alpick.formats.detections import Detections
from alpick.formats.images import ImageDecodeError
from alpick.formats.images import load_rgb as decode_rgb

Target = dict[str, Tensor]
Batch = tuple[list[Tensor], list[Target]]


def load_rgb(path: Path) -> Image.Image:
    """Open an image as 8-bit RGB through the one image loader (:mod:`alpick.formats.images`).

    Raises:
        AlpickError: If the file is missing or not a readable image.
    """
    try:
        return decode_rgb(Path(path))
    except ImageDecodeError as exc:
        if not Path(path).exists():
            raise AlpickError(f"image not found: {path}") from None
        raise AlpickError(f"cannot read image {path}: {exc}") from None


def resize_image(img: Image.Image, size: tuple[int, int]) -> Tensor:
    """``img`` stretched to ``size`` (width, height) as a ``(3, H, W)`` uint8 tensor."""
    if img.size != size:
        img = img.resize(size, Image.Resampling.BILINEAR)
    return torch.from_numpy(np.array(img, dtype=np.uint8)).permute(2, 0, 1).contiguous()


def scale_boxes(det: Detections, from_size: tuple[int, int], to_size: tuple[int, int]) -> Target:
    """Ground truth of an image of ``from_size`` as a target at ``to_size`` (both width, height).

    Boxes are clipped to the image, scaled, and dropped when narrower or lower than 1e-3 px.
    """
    clipped = det.clip(*from_size)
    sx, sy = to_size[0] / from_size[0], to_size[1] / from_size[1]
    boxes = torch.from_numpy(clipped.xyxy.copy()) * torch.tensor([sx, sy, sx, sy])
    labels = torch.from_numpy(clipped.class_id.copy())
    keep = ((boxes[:, 2] - boxes[:, 0]) > 1e-3) & ((boxes[:, 3] - boxes[:, 1]) > 1e-3)
    return {"boxes": boxes[keep].float(), "labels": labels[keep].long()}


def train_augmentations(
    *,
    hflip: float = 0.5,
    hue: float = 0.1,
    saturation: float = 1.5,
    exposure: float = 1.5,
    jitter: float = 0.3,
) -> v2.Transform:
    """The TLT spec's augmentations, box-aware.

    Args:
        hflip: Probability of a horizontal flip (TLT ``horizontal_flip``).
        hue: Hue shift drawn from [-hue, hue], in turns of the colour circle (TLT ``hue``).
        saturation: Saturation scaled by a factor drawn from [1/s, s] (TLT ``saturation``).
        exposure: Brightness scaled likewise (TLT ``exposure``).
        jitter: Scale drawn from [1 - j, 1 + j] and shift up to j/2 of each side (TLT
            ``jitter``); boxes pushed out of the image are clipped or dropped.
    """
    steps: list[v2.Transform] = []
    if hflip > 0:
        steps.append(v2.RandomHorizontalFlip(hflip))
    if jitter > 0:
        steps.append(
            v2.RandomAffine(
                degrees=0.0,
                translate=(jitter / 2, jitter / 2),
                scale=(1 - jitter, 1 + jitter),
                interpolation=v2.InterpolationMode.BILINEAR,
            )
        )
    if hue > 0 or saturation > 1 or exposure > 1:
        steps.append(
            v2.ColorJitter(
                brightness=(1 / exposure, exposure) if exposure > 1 else None,
                saturation=(1 / saturation, saturation) if saturation > 1 else None,
                hue=hue if hue > 0 else None,
            )
        )
    steps += [v2.ClampBoundingBoxes(), v2.SanitizeBoundingBoxes(min_size=1.0)]
    return v2.Compose(steps)


class DetectionDataset(Dataset[tuple[Tensor, Target]]):
    """Samples as ``(3, H, W)`` float images in [0, 1] at ``input_size`` with their targets.

    Args:
        samples: (image path, ground truth in the image's pixels) pairs.
        input_size: Network input (width, height).
        augment: Apply :func:`train_augmentations`.
        augmentation: Keyword arguments of :func:`train_augmentations` (when ``augment``).
    """

    def __init__(
        self,
        samples: Sequence[tuple[Path, Detections]],
        input_size: tuple[int, int],
        *,
        augment: bool = False,
        augmentation: dict[str, float] | None = None,
    ) -> None:
        self.samples = list(samples)
        self.input_size = input_size
        self.transform = train_augmentations(**(augmentation or {})) if augment else None

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[Tensor, Target]:
        path, det = self.samples[index]
        img = load_rgb(Path(path))
        image = resize_image(img, self.input_size)
        target = scale_boxes(det, img.size, self.input_size)
        if self.transform is not None:
            w, h = self.input_size
            boxes = tv_tensors.BoundingBoxes(target["boxes"], format="XYXY", canvas_size=(h, w))
            image, target = self.transform(tv_tensors.Image(image), {**target, "boxes": boxes})
            target = {"boxes": target["boxes"].as_subclass(Tensor), "labels": target["labels"]}
        return image.as_subclass(Tensor).float().div_(255), target


def collate(batch: list[tuple[Tensor, Target]]) -> Batch:
    """Keep images and targets as lists, as torchvision's detectors take them."""
    return [b[0] for b in batch], [b[1] for b in batch]


def make_loader(
    dataset: DetectionDataset,
    *,
    batch_size: int,
    shuffle: bool,
    seed: int,
    num_workers: int = 0,
) -> DataLoader[tuple[Tensor, Target]]:
    """A DataLoader whose order and worker RNGs follow ``seed``.

    torch seeds each worker's RNG from the loader's generator, so augmentations in workers are
    reproducible too.
    """
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=num_workers,
        collate_fn=collate,
        generator=generator,
        persistent_workers=False,
        drop_last=False,
    )
