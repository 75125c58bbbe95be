from __future__ import annotations

from pathlib import Path

import pytest
import torch

from alpick.embed import Backbone, build_backbone, load_backbone, save_backbone
from alpick.embed.weights import file_sha256, read_weights, state_dict_sha256
from alpick.errors import AlpickError


def test_save_and_load_round_trip(effnet: Backbone, tmp_path: Path) -> None:
    path = tmp_path / ".alpick" / "models" / "ft.pt"
    digest = save_backbone(effnet, path)
    assert digest == file_sha256(path)
    assert [p.name for p in path.parent.iterdir()] == ["ft.pt"]  # no temporary left
    loaded = load_backbone(path)
    assert loaded.name == "efficientnet_lite0" and loaded.weights_hash == digest
    assert loaded.head is not None
    x = torch.rand(1, 3, 64, 64)
    with torch.inference_mode():
        torch.testing.assert_close(loaded.module(x), effnet.module(x), rtol=1e-4, atol=1e-4)


def test_saved_file_for_another_model_is_refused(effnet: Backbone, tmp_path: Path) -> None:
    path = tmp_path / "ft.pt"
    save_backbone(effnet, path)
    with pytest.raises(AlpickError, match="saved for model efficientnet_lite0, not resnet18"):
        build_backbone("resnet18", weights=path)


def test_load_backbone_needs_an_alpick_file(tmp_path: Path) -> None:
    path = tmp_path / "plain.pt"
    torch.save({"w": torch.zeros(1)}, path)
    with pytest.raises(AlpickError, match="plain state dict"):
        load_backbone(path)


def test_failed_save_leaves_nothing(
    effnet: Backbone, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", broken)
    with pytest.raises(KeyboardInterrupt):
        save_backbone(effnet, tmp_path / "ft.pt")
    assert list(tmp_path.iterdir()) == []


def test_read_weights_unwraps_checkpoints(tmp_path: Path) -> None:
    path = tmp_path / "c.pt"
    torch.save({"model": {"module.a": torch.ones(2)}, "optimizer": {}}, path)
    state, name, info = read_weights(path)
    assert list(state) == ["a"] and name is None and info == {}


def test_state_dict_hash_sees_values_names_and_dtypes() -> None:
    base = {"a": torch.zeros(3), "b": torch.ones(2, dtype=torch.int64)}
    same = {"b": torch.ones(2, dtype=torch.int64), "a": torch.zeros(3)}
    assert state_dict_sha256(base) == state_dict_sha256(same)
    for other in (
        {"a": torch.zeros(3), "b": torch.ones(2, dtype=torch.int32)},
        {"a": torch.tensor([0.0, 0.0, 1e-30]), "b": torch.ones(2, dtype=torch.int64)},
        {"c": torch.zeros(3), "b": torch.ones(2, dtype=torch.int64)},
    ):
        assert state_dict_sha256(other) != state_dict_sha256(base)
