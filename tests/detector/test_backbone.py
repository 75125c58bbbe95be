from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torchvision.ops.misc import FrozenBatchNorm2d

from alpick.detector.backbone import build_backbone, efficientnet_lite0_weights
from alpick.errors import AlpickError


def test_packaged_weights_exist() -> None:
    assert efficientnet_lite0_weights().is_file()


def test_efficientnet_pyramid_shapes_and_frozen_parts() -> None:
    net = build_backbone("efficientnet_lite0", levels=(2, 3, 4, 5), width=32).eval()
    with torch.no_grad():
        maps = list(net(torch.rand(1, 3, 128, 96)).values())
    assert [tuple(m.shape) for m in maps] == [
        (1, 32, 32, 24),
        (1, 32, 16, 12),
        (1, 32, 8, 6),
        (1, 32, 4, 3),
    ]
    assert net.strides == [4, 8, 16, 32]
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
    assert any(isinstance(m, FrozenBatchNorm2d) for m in net.modules())
    stem = net.body["stem"]
    assert not any(p.requires_grad for p in stem.parameters())
    assert all(p.requires_grad for p in net.fpn.parameters())


def test_pretrained_weights_are_loaded() -> None:
    a = build_backbone("efficientnet_lite0", levels=(3,))
    b = build_backbone("efficientnet_lite0", levels=(3,), pretrained=False)
    key = "stage3.0._expand_conv.weight"
    wa, wb = a.body.state_dict()[key], b.body.state_dict()[key]
    packaged = torch.load(efficientnet_lite0_weights(), weights_only=True)[
        "_blocks.3._expand_conv.weight"
    ]
    assert torch.equal(wa, packaged)
    assert not torch.equal(wb, packaged)


def test_subset_of_levels() -> None:
    net = build_backbone("efficientnet_lite0", levels=(3, 4), width=16, pretrained=False)
    with torch.no_grad():
        maps = list(net(torch.rand(1, 3, 64, 64)).values())
    assert [m.shape[-1] for m in maps] == [8, 4]


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(AlpickError, match="unknown backbone"):
        build_backbone("vgg11")
    with pytest.raises(AlpickError, match="levels"):
        build_backbone("efficientnet_lite0", levels=(1, 2))
    with pytest.raises(AlpickError, match="needs a local weights file"):
        build_backbone("resnet18")
    with pytest.raises(AlpickError, match="not found"):
        build_backbone("efficientnet_lite0", weights=str(tmp_path / "none.pth"))
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a torch file")
    with pytest.raises(AlpickError, match="cannot read"):
        build_backbone("resnet18", weights=str(bad))
    other = tmp_path / "other.pth"
    torch.save({"fc.weight": torch.zeros(2, 2)}, other)
    with pytest.raises(AlpickError, match="does not fit"):
        build_backbone("resnet18", weights=str(other))


def test_torchvision_backbone_with_local_weights(tmp_path: Path) -> None:
    from torchvision.models import resnet18

    path = tmp_path / "r18.pth"
    torch.save(resnet18(weights=None).state_dict(), path)
    net = build_backbone("resnet18", levels=(3, 4, 5), width=16, weights=str(path)).eval()
    with torch.no_grad():
        maps = list(net(torch.rand(1, 3, 64, 64)).values())
    assert [m.shape[1:] for m in maps] == [(16, 8, 8), (16, 4, 4), (16, 2, 2)]


def test_random_init_warns() -> None:
    with pytest.warns(UserWarning, match="random"):
        build_backbone("mobilenet_v3_large", levels=(3,), width=16, weights="random")
