from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from alpick.detector.data import (
    DetectionDataset,
    collate,
    load_rgb,
    make_loader,
    scale_boxes,
    train_augmentations,
)
from alpick.errors import AlpickError
from alpick.formats.detections import Detections


def _det(boxes: list[list[float]], ids: list[int] | None = None) -> Detections:
    arr = np.array(boxes, np.float32).reshape(-1, 4)
    return Detections(arr, np.array(ids if ids is not None else [0] * len(arr), np.int64))


def test_scale_boxes_resizes_clips_and_drops() -> None:
    det = _det([[10, 20, 30, 60], [-5, -5, 10, 10], [90, 10, 120, 40], [100, 0, 130, 10]])
    target = scale_boxes(det, (100, 80), (50, 160))
    expected = torch.tensor([[5.0, 40, 15, 120], [0, 0, 5, 20], [45, 20, 50, 80]])
    torch.testing.assert_close(target["boxes"], expected)  # the last box lies outside: dropped
    assert target["labels"].tolist() == [0, 0, 0]


def test_mixed_sizes_and_modes_become_one_input_size(tmp_path: Path) -> None:
    paths = [tmp_path / f"{i}.png" for i in range(4)]
    Image.new("RGB", (200, 100), (255, 0, 0)).save(paths[0])
    Image.new("L", (50, 70), 128).save(paths[1])
    Image.new("RGBA", (64, 64), (0, 0, 255, 10)).save(paths[2])
    Image.fromarray(np.full((30, 40), 40000, np.uint16)).save(paths[3])
    samples = [(p, _det([[1, 1, 20, 20]])) for p in paths]
    ds = DetectionDataset(samples, (64, 96))
    images, targets = collate([ds[i] for i in range(4)])
    assert all(im.shape == (3, 96, 64) and im.dtype == torch.float32 for im in images)
    assert all(float(im.min()) >= 0 and float(im.max()) <= 1 for im in images)
    # 16-bit scaled by 255/65535 like the embedder (the one image loader), not clipped to black
    assert float(images[3].max()) == pytest.approx(round(40000 * 255 / 65535) / 255)
    torch.testing.assert_close(targets[0]["boxes"], torch.tensor([[0.32, 0.96, 6.4, 19.2]]))


def test_unreadable_image(tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG broken")
    with pytest.raises(AlpickError, match="cannot read image"):
        load_rgb(bad)
    with pytest.raises(AlpickError, match="not found"):
        load_rgb(tmp_path / "missing.png")


def test_negative_image_has_empty_target(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    Image.new("RGB", (32, 32)).save(path)
    _, target = DetectionDataset([(path, Detections.empty())], (64, 64), augment=True)[0]
    assert target["boxes"].shape == (0, 4)
    assert target["labels"].shape == (0,)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    boxes=st.lists(
        st.tuples(st.floats(0, 60), st.floats(0, 90), st.floats(1, 30), st.floats(1, 30)),
        max_size=6,
    ),
)
def test_augmentations_keep_boxes_valid(seed: int, boxes: list[tuple[float, ...]]) -> None:
    from torchvision import tv_tensors

    torch.manual_seed(seed)
    xyxy = torch.tensor([[x, y, x + w, y + h] for x, y, w, h in boxes]).reshape(-1, 4)
    xyxy = xyxy.clamp(max=torch.tensor([64.0, 96, 64, 96]))
    image = tv_tensors.Image(torch.randint(0, 255, (3, 96, 64), dtype=torch.uint8))
    target = {
        "boxes": tv_tensors.BoundingBoxes(xyxy, format="XYXY", canvas_size=(96, 64)),
        "labels": torch.zeros(len(xyxy), dtype=torch.int64),
    }
    out_image, out = train_augmentations()(image, target)
    assert out_image.shape == (3, 96, 64) and out_image.dtype == torch.uint8
    b = out["boxes"]
    assert len(b) == len(out["labels"]) <= len(xyxy)
    assert ((b[:, 2] - b[:, 0]) >= 1).all() and ((b[:, 3] - b[:, 1]) >= 1).all()
    assert (b[:, 0] >= 0).all() and (b[:, 2] <= 64).all() and (b[:, 3] <= 96).all()


def test_loader_order_follows_seed(tmp_path: Path) -> None:
    paths = []
    for i in range(6):
        paths.append(tmp_path / f"{i}.png")
        Image.new("RGB", (8, 8), (i * 40, 0, 0)).save(paths[-1])
    ds = DetectionDataset([(p, _det([[0, 0, 4, 4]])) for p in paths], (64, 64))

    def order(seed: int) -> list[float]:
        loader = make_loader(ds, batch_size=6, shuffle=True, seed=seed)
        images, _ = next(iter(loader))
        return [float(im[0, 0, 0]) for im in images]

    assert order(3) == order(3)
    assert order(3) != order(4)
