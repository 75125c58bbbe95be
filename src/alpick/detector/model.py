"""The detector: torchvision's FCOS or RetinaNet on a small pyramid, keeping class probabilities.

torchvision's ``postprocess_detections`` keeps, per box, only the top class and its score, and
drops everything under ``score_thresh`` — the uncertain boxes active learning needs most. The
subclasses here run the same selection (threshold, per-level top-k, box decoding, class-wise NMS
with :func:`torchvision.ops.batched_nms`) but carry each kept box's full per-class probability
vector along, read at its location *before* NMS (``"class_probs"``, ``(N, C)``).

Per class, the probability is what the architecture calls a score: ``sigmoid(logit)`` for
RetinaNet and ``sqrt(sigmoid(logit) * sigmoid(centerness))`` for FCOS, so a box's confidence is
its vector's entry at its label. The heads are sigmoid per class, so the vector need not sum to 1.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torch
from torch import Tensor, nn
from torchvision.models.detection import FCOS, RetinaNet
from torchvision.models.detection._utils import BoxLinearCoder
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.fcos import (
    FCOSClassificationHead,
    FCOSHead,
    FCOSRegressionHead,
)
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.retinanet import RetinaNetHead
from torchvision.models.detection.transform import GeneralizedRCNNTransform
from torchvision.ops import batched_nms, clip_boxes_to_image

from alpick.detector.backbone import build_backbone
from alpick.detector.config import ModelConfig

IMAGE_MEAN = [0.485, 0.456, 0.406]
IMAGE_STD = [0.229, 0.224, 0.225]

# RetinaNet anchors per location: three scales of a square anchor twice the level's stride.
_RETINA_SCALES = (1.0, 2 ** (1 / 3), 2 ** (2 / 3))

ProbFn = Callable[[dict[str, Tensor]], Tensor]
DecodeFn = Callable[[Tensor, Tensor], Tensor]


class FixedSizeTransform(GeneralizedRCNNTransform):
    """Normalize and batch, but never resize: the data pipeline already made the input size."""

    def resize(
        self, image: Tensor, target: dict[str, Tensor] | None = None
    ) -> tuple[Tensor, dict[str, Tensor] | None]:
        return image, target


class _FCOSHead(FCOSHead):
    """torchvision's FCOS head with a chosen norm layer (its default GroupNorm(32) needs >= 32)."""

    def __init__(
        self, width: int, num_classes: int, num_convs: int, norm: Callable[[int], nn.Module]
    ) -> None:
        nn.Module.__init__(self)
        self.box_coder = BoxLinearCoder(normalize_by_size=True)
        self.classification_head = FCOSClassificationHead(
            width, 1, num_classes, num_convs=num_convs, norm_layer=norm
        )
        self.regression_head = FCOSRegressionHead(width, 1, num_convs=num_convs, norm_layer=norm)


def _postprocess(
    model: FCOS | RetinaNet,
    head_outputs: dict[str, list[Tensor]],
    anchors: list[list[Tensor]],
    image_shapes: list[tuple[int, int]],
    probs_of: ProbFn,
    decode: DecodeFn,
) -> list[dict[str, Tensor]]:
    """torchvision's selection + NMS, also returning each kept box's class probabilities."""
    detections: list[dict[str, Tensor]] = []
    for index, image_shape in enumerate(image_shapes):
        boxes_all, scores_all, labels_all, probs_all = [], [], [], []
        for level, anchors_level in enumerate(anchors[index]):
            outputs = {k: v[level][index] for k, v in head_outputs.items()}
            probs = probs_of(outputs)  # (A, C)
            num_classes = probs.shape[-1]
            flat = probs.flatten()
            candidates = torch.where(flat > model.score_thresh)[0]
            scores = flat[candidates]
            k = min(int(model.topk_candidates), int(candidates.numel()))
            scores, order = scores.topk(k)
            candidates = candidates[order]
            anchor_idxs = torch.div(candidates, num_classes, rounding_mode="floor")
            boxes = decode(outputs["bbox_regression"][anchor_idxs], anchors_level[anchor_idxs])
            boxes_all.append(clip_boxes_to_image(boxes, image_shape))
            scores_all.append(scores)
            labels_all.append(candidates % num_classes)
            probs_all.append(probs[anchor_idxs])
        boxes_cat = torch.cat(boxes_all)
        scores_cat = torch.cat(scores_all)
        labels_cat = torch.cat(labels_all)
        keep = batched_nms(boxes_cat, scores_cat, labels_cat, model.nms_thresh)
        keep = keep[: model.detections_per_img]
        detections.append(
            {
                "boxes": boxes_cat[keep],
                "scores": scores_cat[keep],
                "labels": labels_cat[keep],
                "class_probs": torch.cat(probs_all)[keep],
            }
        )
    return detections


class ProbFCOS(FCOS):
    """FCOS whose detections carry ``"class_probs"`` ``(N, C)`` captured before NMS."""

    def postprocess_detections(
        self,
        head_outputs: dict[str, list[Tensor]],
        anchors: list[list[Tensor]],
        image_shapes: list[tuple[int, int]],
    ) -> list[dict[str, Tensor]]:
        def probs_of(out: dict[str, Tensor]) -> Tensor:
            return torch.sqrt(torch.sigmoid(out["cls_logits"]) * torch.sigmoid(out["bbox_ctrness"]))

        return _postprocess(
            self, head_outputs, anchors, image_shapes, probs_of, self.box_coder.decode
        )


class ProbRetinaNet(RetinaNet):
    """RetinaNet whose detections carry ``"class_probs"`` ``(N, C)`` captured before NMS."""

    def postprocess_detections(
        self,
        head_outputs: dict[str, list[Tensor]],
        anchors: list[list[Tensor]],
        image_shapes: list[tuple[int, int]],
    ) -> list[dict[str, Tensor]]:
        def probs_of(out: dict[str, Tensor]) -> Tensor:
            return torch.sigmoid(out["cls_logits"])

        return _postprocess(
            self, head_outputs, anchors, image_shapes, probs_of, self.box_coder.decode_single
        )


def build_detector(
    config: ModelConfig,
    num_classes: int,
    *,
    weights: str | None = None,
    pretrained: bool = True,
    channels_last: bool = True,
) -> FCOS | RetinaNet:
    """Build the detector described by ``config`` for ``num_classes`` classes.

    Args:
        config: Architecture settings.
        num_classes: Number of object classes (no background class: the heads are sigmoid).
        weights: Backbone weights, as in :func:`~alpick.detector.backbone.build_backbone`.
        pretrained: Load backbone weights (``False`` when a checkpoint's state follows).
        channels_last: Keep the weights in NHWC memory order (faster convolutions on CPU and
            GPU; the weights' values and the checkpoint are the same either way).

    Returns:
        A :class:`ProbFCOS` or :class:`ProbRetinaNet`; in eval mode it takes a list of
        ``(3, H, W)`` float images in [0, 1] at ``config.input_size`` and returns one dict per
        image with ``boxes`` ``(N, 4)``, ``scores``, ``labels`` and ``class_probs`` ``(N, C)``.
    """
    backbone = build_backbone(
        config.backbone,
        levels=config.levels,
        width=config.fpn_width,
        weights=weights,
        pretrained=pretrained,
    )
    strides = backbone.strides
    width = config.fpn_width
    norm = partial(nn.GroupNorm, 16)
    transform = FixedSizeTransform(
        min(config.input_size), max(config.input_size), IMAGE_MEAN, IMAGE_STD, size_divisible=32
    )
    model: FCOS | RetinaNet
    if config.arch == "fcos":
        anchor_gen = AnchorGenerator(tuple((s,) for s in strides), ((1.0,),) * len(strides))
        head = _FCOSHead(width, num_classes, config.head_convs, norm)
        model = ProbFCOS(backbone, num_classes, anchor_generator=anchor_gen, head=head)
    else:
        sizes = tuple(tuple(2 * s * k for k in _RETINA_SCALES) for s in strides)
        ratios = tuple(config.aspect_ratios)
        anchor_gen = AnchorGenerator(sizes, (ratios,) * len(strides))
        num_anchors = len(_RETINA_SCALES) * len(ratios)
        retina_head = RetinaNetHead(width, num_anchors, num_classes, norm_layer=norm)
        retina_head.classification_head.conv = retina_head.classification_head.conv[
            : config.head_convs
        ]
        retina_head.regression_head.conv = retina_head.regression_head.conv[: config.head_convs]
        retina_head.regression_head._loss_type = "giou"
        model = ProbRetinaNet(backbone, num_classes, anchor_generator=anchor_gen, head=retina_head)
    model.transform = transform
    model.channels_last = channels_last
    # NHWC convolutions: 1.3x the training images per second on 2 CPU threads (docs/detector.md),
    # 1.1x on one; the layout tensor cores want on a GPU too
    return model.to(memory_format=torch.channels_last) if channels_last else model


def normalize_images(model: FCOS | RetinaNet, images: list[Tensor]) -> Tensor:
    """The batch the backbone sees: ``images`` in [0, 1] normalized and stacked."""
    batch, _ = model.transform(images)
    return batch.tensors


def forward_cached(
    model: FCOS | RetinaNet,
    cached: dict[str, Tensor],
    split: int,
    image_size: tuple[int, int],
    targets: list[dict[str, Tensor]] | None = None,
) -> dict[str, Tensor] | list[dict[str, Tensor]]:
    """The detector's forward pass from its frozen prefix's outputs (see ``PyramidBackbone``).

    What torchvision's ``forward`` does after the backbone's first ``split`` children: the rest
    of the backbone, the pyramid, the head, then the losses (training, with ``targets`` in
    input pixels) or the detections (eval, in input pixels, with ``class_probs``).

    Args:
        model: A detector from :func:`build_detector`.
        cached: ``PyramidBackbone.prefix`` of a batch of normalized images.
        split: The split point those were made with.
        image_size: Network input (width, height).
        targets: Boxes and labels per image (training).
    """
    maps = model.backbone.trunk(cached, split)
    features = list(maps.values())
    head_outputs = model.head(features)
    batch = features[0].shape[0]
    width, height = image_size
    sizes = [(height, width)] * batch
    images = ImageList(features[0].new_zeros(()).expand(batch, 3, height, width), sizes)
    anchors = model.anchor_generator(images, features)
    per_level = [x.size(2) * x.size(3) for x in features]
    if model.training:
        if targets is None:
            raise ValueError("training needs targets")
        if isinstance(model, FCOS):
            losses: dict[str, Tensor] = model.compute_loss(
                targets, head_outputs, anchors, per_level
            )
            return losses
        return dict(model.compute_loss(targets, head_outputs, anchors))
    if isinstance(model, RetinaNet):
        per_anchor = head_outputs["cls_logits"].size(1) // sum(per_level)
        per_level = [n * per_anchor for n in per_level]
    split_outputs = {k: list(v.split(per_level, dim=1)) for k, v in head_outputs.items()}
    split_anchors = [list(a.split(per_level)) for a in anchors]
    detections: list[dict[str, Tensor]] = model.postprocess_detections(
        split_outputs, split_anchors, sizes
    )
    return detections
