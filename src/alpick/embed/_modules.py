"""Feature wrappers: run a classification network up to its global average pool.

Each wrapper keeps the whole network as ``self.net`` (so its state dict, classifier included, can
be saved and reloaded unchanged) and returns ``(B, D)`` pooled features, skipping the classifier.
Imported only by :mod:`alpick.embed.backbones`, after torch.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["EfficientNetFeatures", "MobileNetV3Features", "ResNetFeatures"]


def _pool(x: Tensor) -> Tensor:
    return torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)


class EfficientNetFeatures(nn.Module):
    """EfficientNet(-Lite): stem, blocks and head convolution, then average pooling."""

    def __init__(self, net: Any) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: Tensor) -> Tensor:
        """Images ``(B, 3, H, W)`` to features ``(B, 1280)``."""
        features: Tensor = self.net.extract_features(x)
        return _pool(features)


class ResNetFeatures(nn.Module):
    """torchvision ResNet: everything before ``fc``."""

    def __init__(self, net: Any) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: Tensor) -> Tensor:
        """Images ``(B, 3, H, W)`` to features ``(B, 512 or 2048)``."""
        n = self.net
        x = n.maxpool(n.relu(n.bn1(n.conv1(x))))
        x = n.layer4(n.layer3(n.layer2(n.layer1(x))))
        return _pool(x)


class MobileNetV3Features(nn.Module):
    """torchvision MobileNetV3: the convolutional ``features``, before ``classifier``."""

    def __init__(self, net: Any) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: Tensor) -> Tensor:
        """Images ``(B, 3, H, W)`` to features ``(B, 576 or 960)``."""
        features: Tensor = self.net.features(x)
        return _pool(features)
