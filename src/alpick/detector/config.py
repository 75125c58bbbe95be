"""Settings of a detector and of its training run (plain data, no torch)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from alpick.errors import AlpickError

ARCHS = ("fcos", "retinanet")


def check_size(size: tuple[int, int]) -> None:
    """Validate an input size (width, height): multiples of 32, at least 64 each."""
    w, h = size
    if w < 64 or h < 64 or w % 32 or h % 32:
        raise AlpickError(f"input size must be multiples of 32 and at least 64, got {w}x{h}")


@dataclass(frozen=True)
class ModelConfig:
    """What defines a detector's architecture; stored in every checkpoint.

    Attributes:
        arch: ``"retinanet"`` (default; it learns the small apples much faster, see
            ``docs/detector.md``) or ``"fcos"``.
        backbone: See :data:`alpick.detector.backbone.BACKBONES`.
        input_size: Network input (width, height); images are resized to it.
        fpn_width: Channels of the feature pyramid and of the heads (a multiple of 16).
        head_convs: 3x3 conv layers in each head tower before the outputs.
        levels: Pyramid levels used (2 = stride 4 ... 5 = stride 32).
        aspect_ratios: Anchor shapes as height / width (RetinaNet), each at three scales.
    """

    arch: str = "retinanet"
    backbone: str = "efficientnet_lite0"
    input_size: tuple[int, int] = (256, 448)
    fpn_width: int = 64
    head_convs: int = 2
    levels: tuple[int, ...] = (2, 3, 4, 5)
    aspect_ratios: tuple[float, ...] = (1.0,)

    def __post_init__(self) -> None:
        if self.arch not in ARCHS:
            raise AlpickError(f"unknown detector {self.arch!r}; choose one of {', '.join(ARCHS)}")
        check_size(tuple(self.input_size))  # type: ignore[arg-type]
        if self.fpn_width < 16 or self.fpn_width % 16:
            raise AlpickError(f"fpn_width must be a positive multiple of 16, got {self.fpn_width}")
        if not 0 <= self.head_convs <= 4:
            raise AlpickError(f"head_convs must be within 0..4, got {self.head_convs}")
        if not self.aspect_ratios or not all(0 < r < 100 for r in self.aspect_ratios):
            raise AlpickError(f"aspect ratios must be positive, got {self.aspect_ratios}")
        object.__setattr__(self, "input_size", tuple(self.input_size))
        object.__setattr__(self, "levels", tuple(self.levels))
        object.__setattr__(self, "aspect_ratios", tuple(float(r) for r in self.aspect_ratios))


_MODEL = ModelConfig()  # the one source of the architecture's defaults


@dataclass(frozen=True)
class TrainConfig:
    """A training run's settings (the model's own are :meth:`model_config`).

    Attributes:
        epochs: Passes over the samples.
        batch_size: Images per step. One (the default) learns fastest per image on a CPU:
            four times the updates of batch 4 at the same images per second (AP50 0.56 after 3
            epochs of the default orchard, against 0.48; ``docs/detector.md``). On a GPU use 8
            or more, to keep it busy.
        lr: Peak learning rate (AdamW).
        weight_decay: AdamW weight decay.
        warmup_epochs: Linear warm-up length, in epochs (may be fractional); ``None`` = a tenth
            of the run, at most 100 steps.
        seed: Seeds the weights of new layers, the shuffling and the augmentations.
        num_workers: DataLoader worker processes (0 decodes in the main process).
        checkpoint_every: Also keep ``epoch_NNN.pt`` every N epochs (0: only ``last.pt``).
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
        amp: Mixed precision on CUDA (ignored on CPU).
        augment: Augment the training images (the tutorial's TLT spec by default):
        hflip, hue, saturation, exposure, jitter: The augmentations' strengths, named and
            meant as in TLT's ``augmentation_config`` (see
            :func:`alpick.detector.data.train_augmentations`).
        weights: Backbone weights file; ``None`` = the packaged EfficientNet-Lite0 weights.
        freeze: Backbone stages kept fixed, by level: up to the end of C2 (stride 4) is 2, of
            C3 is 3, 0 trains it all. Their outputs never change, so they are computed once per
            image when ``feature_cache`` is on.
        feature_cache: Compute the frozen stages once per image and train from their outputs
            (much faster; the only augmentation left is the horizontal flip).
        channels_last: NHWC memory order for the convolutions (faster on CPU and GPU; the
            weights are the same either way).
        steps: Optimizer steps of the run; ``epochs`` gives them as passes over the samples
            instead; neither = the default for this many images (see ``auto_steps``).
        arch, backbone, fpn_width, head_convs: See :class:`ModelConfig`.
        input_size, levels, aspect_ratios: See :class:`ModelConfig`; ``None`` fits them to the
            training data (:func:`alpick.detector.defaults.fit_config`).
    """

    epochs: int | None = None
    steps: int | None = None
    batch_size: int = 1
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup_epochs: float | None = None
    freeze: int = 1
    feature_cache: bool = True
    channels_last: bool = True
    seed: int = 0
    num_workers: int = 0
    checkpoint_every: int = 10
    device: str = "auto"
    amp: bool = True
    augment: bool = True
    hflip: float = 0.5
    hue: float = 0.1
    saturation: float = 1.5
    exposure: float = 1.5
    jitter: float = 0.3
    weights: str | None = None
    arch: str = _MODEL.arch
    backbone: str = _MODEL.backbone
    input_size: tuple[int, int] | None = None
    fpn_width: int = _MODEL.fpn_width
    head_convs: int = _MODEL.head_convs
    levels: tuple[int, ...] | None = None
    aspect_ratios: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.epochs is not None and self.epochs < 1:
            raise AlpickError(f"epochs must be at least 1, got {self.epochs}")
        if self.steps is not None and self.steps < 1:
            raise AlpickError(f"steps must be at least 1, got {self.steps}")
        if self.epochs is not None and self.steps is not None:
            raise AlpickError("give epochs or steps, not both")
        if not 0 <= self.freeze <= 5:
            raise AlpickError(f"freeze must be a backbone level within 0..5, got {self.freeze}")
        if self.batch_size < 1:
            raise AlpickError(f"batch size must be at least 1, got {self.batch_size}")
        if not self.lr > 0:
            raise AlpickError(f"learning rate must be positive, got {self.lr}")
        if (self.warmup_epochs or 0) < 0 or self.num_workers < 0 or self.checkpoint_every < 0:
            raise AlpickError("warmup_epochs, num_workers and checkpoint_every must be >= 0")
        if not (0 <= self.hflip <= 1 and 0 <= self.hue <= 0.5 and 0 <= self.jitter < 1):
            raise AlpickError("hflip must be in [0, 1], hue in [0, 0.5] and jitter in [0, 1)")
        if self.saturation < 1 or self.exposure < 1:
            raise AlpickError("saturation and exposure are factors >= 1 (1 = off)")
        if self.device not in ("auto", "cpu", "cuda") and not self.device.startswith("cuda:"):
            raise AlpickError(f"device must be auto, cpu or cuda, got {self.device!r}")
        for key in ("input_size", "levels", "aspect_ratios"):
            if getattr(self, key) is not None:
                object.__setattr__(self, key, tuple(getattr(self, key)))
        self.model_config(partial=True)  # validates the model fields

    @property
    def fitted(self) -> bool:
        """Whether every setting that can be left to the data is set."""
        return None not in (self.input_size, self.levels, self.aspect_ratios)

    def model_config(self, *, partial: bool = False) -> ModelConfig:
        """The architecture part of this configuration.

        Settings left to the data (``None``) must be filled first
        (:func:`alpick.detector.defaults.fit_config`); ``partial`` validates the others with
        placeholders instead.
        """
        if not partial and not self.fitted:
            raise AlpickError("input size, levels and anchors are not fitted to the data yet")
        return ModelConfig(
            arch=self.arch,
            backbone=self.backbone,
            input_size=self.input_size or _MODEL.input_size,
            fpn_width=self.fpn_width,
            head_convs=self.head_convs,
            levels=self.levels or _MODEL.levels,
            aspect_ratios=self.aspect_ratios or _MODEL.aspect_ratios,
        )

    def augmentation(self) -> dict[str, float]:
        """Keyword arguments of :func:`alpick.detector.data.train_augmentations`."""
        return {
            "hflip": self.hflip,
            "hue": self.hue,
            "saturation": self.saturation,
            "exposure": self.exposure,
            "jitter": self.jitter,
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict`; unknown keys are ignored, missing ones take defaults."""
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        for key in ("input_size", "levels", "aspect_ratios"):
            if kwargs.get(key) is not None:
                kwargs[key] = tuple(kwargs[key])
        return cls(**kwargs)


def model_config_to_dict(config: ModelConfig) -> dict[str, Any]:
    """Plain JSON-able values of a :class:`ModelConfig`."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()}


def model_config_from_dict(data: dict[str, Any]) -> ModelConfig:
    """Inverse of :func:`model_config_to_dict`; unknown keys are ignored."""
    known = {f.name for f in fields(ModelConfig)}
    kwargs: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known
    }
    return ModelConfig(**kwargs)
