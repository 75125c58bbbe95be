from __future__ import annotations

from pathlib import Path

import pytest
import torch

from alpick.detector.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from alpick.detector.config import ModelConfig
from alpick.errors import AlpickError


def _ckpt(path: Path) -> Checkpoint:
    return Checkpoint(
        model_config=ModelConfig(arch="retinanet", levels=(3, 4)),
        train_config={"epochs": 3},
        classes=["apple", "pear"],
        model_state={"w": torch.arange(3.0)},
        optimizer_state=None,
        scheduler_state=None,
        epoch=2,
        history=[{"epoch": 1, "loss": 1.5}, {"epoch": 2, "loss": 1.0}],
        path=path,
    )


def test_round_trip_and_run_folder(tmp_path: Path) -> None:
    save_checkpoint(tmp_path / "last.pt", _ckpt(tmp_path / "last.pt"))
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]  # no temporary left behind
    for source in (tmp_path, tmp_path / "last.pt"):
        back = load_checkpoint(source)
        assert back.model_config == ModelConfig(arch="retinanet", levels=(3, 4))
        assert back.classes == ["apple", "pear"]
        assert back.epoch == 2 and back.history[-1]["loss"] == 1.0
        assert torch.equal(back.model_state["w"], torch.arange(3.0))


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(AlpickError, match="not found"):
        load_checkpoint(tmp_path / "nope.pt")
    with pytest.raises(AlpickError, match=r"no last\.pt"):
        load_checkpoint(tmp_path)
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x00garbage")
    with pytest.raises(AlpickError, match="corrupt or unreadable"):
        load_checkpoint(corrupt)
    save_checkpoint(tmp_path / "good.pt", _ckpt(tmp_path / "good.pt"))
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes((tmp_path / "good.pt").read_bytes()[:200])
    with pytest.raises(AlpickError, match="corrupt or unreadable"):
        load_checkpoint(truncated)
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {"w": torch.zeros(1)}}, foreign)
    with pytest.raises(AlpickError, match="not an alpick detector checkpoint"):
        load_checkpoint(foreign)


def test_files_get_the_usual_permissions(tmp_path: Path) -> None:
    import os

    umask = os.umask(0o022)
    try:
        save_checkpoint(tmp_path / "last.pt", _ckpt(tmp_path / "last.pt"))
    finally:
        os.umask(umask)
    assert (tmp_path / "last.pt").stat().st_mode & 0o777 == 0o644
