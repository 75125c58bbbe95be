from __future__ import annotations

from typing import Any

import pytest
import torch
from torchvision.models.detection import FCOS, RetinaNet

from alpick.detector.config import ModelConfig
from alpick.detector.model import ProbFCOS, ProbRetinaNet, build_detector


def _capture_reference(model: Any, parent: type) -> dict[str, Any]:
    """Make ``model`` also run torchvision's own postprocessing on the same head outputs."""
    seen: dict[str, Any] = {}
    ours = model.postprocess_detections

    def both(head_outputs: Any, anchors: Any, image_shapes: Any) -> Any:
        seen["reference"] = parent.postprocess_detections(
            model, head_outputs, anchors, image_shapes
        )
        return ours(head_outputs, anchors, image_shapes)

    model.postprocess_detections = both
    return seen


@pytest.mark.parametrize(("arch", "parent"), [("fcos", FCOS), ("retinanet", RetinaNet)])
def test_probabilities_ride_along_torchvision_selection(arch: str, parent: type) -> None:
    torch.manual_seed(0)
    config = ModelConfig(arch=arch, input_size=(64, 96), fpn_width=16, head_convs=1)
    model = build_detector(config, 3, pretrained=False).eval()
    model.score_thresh = 0.01
    seen = _capture_reference(model, parent)
    with torch.no_grad():
        out = model([torch.rand(3, 96, 64), torch.rand(3, 96, 64)])
    for ours, ref in zip(out, seen["reference"], strict=True):
        # Same boxes, scores and labels as torchvision's own postprocessing ...
        assert torch.equal(ours["boxes"], ref["boxes"])
        assert torch.equal(ours["scores"], ref["scores"])
        assert torch.equal(ours["labels"], ref["labels"])
        # ... plus the whole class vector, whose entry at the label is the score.
        probs = ours["class_probs"]
        assert probs.shape == (len(ours["boxes"]), 3)
        assert len(probs) > 0
        at_label = probs[torch.arange(len(probs)), ours["labels"]]
        torch.testing.assert_close(at_label, ours["scores"])
        assert ((probs >= 0) & (probs <= 1)).all()


def test_build_types_and_head_depth() -> None:
    fcos = build_detector(ModelConfig(arch="fcos", head_convs=1, fpn_width=32), 1, pretrained=False)
    assert isinstance(fcos, ProbFCOS)
    convs = [m for m in fcos.head.classification_head.conv if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 1
    retina = build_detector(ModelConfig(arch="retinanet", head_convs=2), 2, pretrained=False)
    assert isinstance(retina, ProbRetinaNet)
    assert len(retina.head.classification_head.conv) == 2
    assert retina.anchor_generator.num_anchors_per_location()[0] == 3


def test_training_mode_returns_losses_and_accepts_negatives() -> None:
    torch.manual_seed(0)
    config = ModelConfig(arch="fcos", input_size=(64, 64), fpn_width=16)
    model = build_detector(config, 2, pretrained=False)
    model.train()
    targets = [
        {"boxes": torch.tensor([[4.0, 4.0, 20.0, 24.0]]), "labels": torch.tensor([1])},
        {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)},
    ]
    losses = model([torch.rand(3, 64, 64), torch.rand(3, 64, 64)], targets)
    assert set(losses) == {"classification", "bbox_regression", "bbox_ctrness"}
    assert all(torch.isfinite(v) for v in losses.values())


def test_channels_last_is_a_memory_order_not_another_model() -> None:
    config = ModelConfig(input_size=(128, 96), levels=(3, 4))
    torch.manual_seed(0)
    nhwc = build_detector(config, 2, pretrained=False)
    nchw = build_detector(config, 2, pretrained=False, channels_last=False)
    nchw.load_state_dict(nhwc.state_dict())
    stem = nhwc.backbone.body["stem"][0].weight
    assert stem.is_contiguous(memory_format=torch.channels_last)
    assert nchw.backbone.body["stem"][0].weight.is_contiguous()
    assert nhwc.channels_last and not nchw.channels_last
    for model in (nhwc, nchw):
        model.eval().score_thresh = 0.0
    image = torch.rand(3, 96, 128, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        a, b = nhwc([image])[0], nchw([image])[0]
    assert len(a["boxes"]) == len(b["boxes"]) > 0
    torch.testing.assert_close(a["scores"], b["scores"], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(a["boxes"], b["boxes"], rtol=1e-4, atol=1e-3)
