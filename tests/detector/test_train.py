from __future__ import annotations

import csv
import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.ops import box_iou

from alpick.detector.checkpoint import load_checkpoint
from alpick.detector.config import TrainConfig
from alpick.detector.predict import load_detector, predict_images
from alpick.detector.train import lr_factor, resume_config, train_detector
from alpick.errors import AlpickError
from alpick.formats.detections import Detections

Samples = list[tuple[Path, Detections]]


def test_it_learns_eight_images(discs: Samples, tmp_path: Path) -> None:
    """Overfit 8 tiny images: the loss falls and the boxes land on the discs."""
    config = TrainConfig(
        epochs=30, batch_size=8, lr=1e-3, augment=False, input_size=(128, 128), checkpoint_every=0
    )
    result = train_detector(discs, ["disc"], tmp_path, config=config, progress=False)
    losses = [row["loss"] for row in result.history]
    assert losses[-1] < 0.6 * losses[0]
    preds = predict_images(load_detector(result.checkpoint), [p for p, _ in discs], progress=False)
    hits = total = 0
    for (_, truth), pred in zip(discs, preds, strict=True):
        top = pred[np.arange(min(len(pred), 2 * len(truth)))]
        iou = box_iou(torch.from_numpy(truth.xyxy), torch.from_numpy(top.xyxy))
        hits += int((iou.max(dim=1).values > 0.5).sum()) if iou.numel() else 0
        total += len(truth)
    assert hits >= 0.75 * total, f"{hits}/{total} discs found"


def test_run_folder_contents(tiny_run: object) -> None:
    run = tiny_run.out_dir  # type: ignore[attr-defined]
    assert {p.name for p in run.iterdir()} == {"last.pt", "metrics.csv", "loss.png"}
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    assert rows[0]["epoch"] == "1" and float(rows[0]["loss"]) > 0
    assert {"lr", "images_per_s", "data_share", "loss_classification"} <= set(rows[0])
    ckpt = load_checkpoint(run)
    assert ckpt.epoch == 1 and ckpt.classes == ["disc"] and ckpt.optimizer_state is not None


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return load_checkpoint(run).model_state


def test_deterministic_with_seed(discs: Samples, tiny: dict, tmp_path: Path) -> None:
    config = TrainConfig(epochs=1, seed=5, **tiny)
    for name in ("a", "b"):
        train_detector(discs[:2], ["disc"], tmp_path / name, config=config, progress=False)
    wa, wb = _weights(tmp_path / "a"), _weights(tmp_path / "b")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    other = replace(config, seed=6)
    train_detector(discs[:2], ["disc"], tmp_path / "c", config=other, progress=False)
    wc = _weights(tmp_path / "c")
    assert any(not torch.equal(wa[k], wc[k]) for k in wa)


def test_resume_continues(discs: Samples, tiny: dict, tmp_path: Path) -> None:
    config = TrainConfig(epochs=1, **{**tiny, "checkpoint_every": 1})
    train_detector(discs[:2], ["disc"], tmp_path, config=config, progress=False)
    assert (tmp_path / "epoch_001.pt").is_file()
    more = resume_config(tmp_path, epochs=2)
    result = train_detector(
        discs[:2], ["disc"], tmp_path, config=more, resume=tmp_path, progress=False
    )
    assert [row["epoch"] for row in result.history] == [1, 2]
    assert load_checkpoint(tmp_path).epoch == 2
    assert (tmp_path / "epoch_002.pt").is_file()


def test_resume_errors(discs: Samples, tiny_run: object, tiny: dict, tmp_path: Path) -> None:
    run = tiny_run.out_dir  # type: ignore[attr-defined]
    other_arch = TrainConfig(epochs=2, **{**tiny, "arch": "fcos"})
    with pytest.raises(AlpickError, match="retinanet/efficientnet_lite0 detector"):
        train_detector(discs[:2], ["disc"], tmp_path, config=other_arch, resume=run)
    same = TrainConfig(epochs=2, **tiny)
    with pytest.raises(AlpickError, match="has classes"):
        train_detector(discs[:2], ["apple"], tmp_path, config=same, resume=run)
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"PK\x03\x04 truncated zip")
    with pytest.raises(AlpickError, match="corrupt"):
        train_detector(discs[:2], ["disc"], tmp_path, config=same, resume=corrupt)


def test_bad_samples(discs: Samples, tiny: dict, tmp_path: Path) -> None:
    config = TrainConfig(epochs=1, **tiny)
    with pytest.raises(AlpickError, match="no samples"):
        train_detector([], ["disc"], tmp_path, config=config)
    empty = [(p, Detections.empty()) for p, _ in discs[:3]]
    with pytest.raises(AlpickError, match="none of the 3 samples has a labelled box"):
        train_detector(empty, ["disc"], tmp_path, config=config)
    with pytest.raises(AlpickError, match="image not found"):
        train_detector([(tmp_path / "x.png", discs[0][1])], ["disc"], tmp_path, config=config)
    two = Detections(np.array([[1, 1, 9, 9]], np.float32), np.array([1]))
    with pytest.raises(AlpickError, match="class id 1 has no name"):
        train_detector([(discs[0][0], two)], ["disc"], tmp_path, config=config)
    assert not any(tmp_path.iterdir())  # nothing written on bad input


def test_negatives_mixed_sizes_and_labels_outside(tiny: dict, tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    Image.new("RGB", (300, 200), (30, 90, 30)).save(big)
    small = tmp_path / "small.png"
    Image.new("L", (40, 50), 80).save(small)
    outside = Detections(
        np.array([[250, 150, 400, 260], [-20, -20, 30, 30]], np.float32), np.array([0, 1])
    )
    samples = [(big, outside), (small, Detections.empty())]
    config = TrainConfig(epochs=1, **tiny)
    result = train_detector(samples, ["a", "b"], tmp_path / "run", config=config, progress=False)
    assert np.isfinite(result.history[0]["loss"])


def test_lr_schedule_warms_up_then_decays() -> None:
    values = [lr_factor(s, total=100, warmup=10) for s in range(101)]
    assert values[0] < 0.01 and values[10] == pytest.approx(1.0)
    assert all(a <= b for a, b in itertools.pairwise(values[:11]))
    assert all(a >= b for a, b in itertools.pairwise(values[10:]))
    assert values[100] == pytest.approx(0.01)


def test_resumed_run_equals_unbroken_run(
    discs: Samples, tiny: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import alpick.detector.train as train_module

    config = TrainConfig(epochs=3, seed=3, warmup_epochs=0.0, **{**tiny, "batch_size": 1})
    train_detector(discs[:2], ["disc"], tmp_path / "straight", config=config, progress=False)

    real_save = train_module._save_epoch

    def save_then_interrupt(
        out_dir: Path, cfg: TrainConfig, *args: object, **kwargs: object
    ) -> None:
        real_save(out_dir, cfg, *args, **kwargs)  # type: ignore[arg-type]
        if args[-1][-1]["epoch"] == 1:  # type: ignore[index]
            raise KeyboardInterrupt  # Ctrl-C right after epoch 1 was saved

    monkeypatch.setattr(train_module, "_save_epoch", save_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        train_detector(discs[:2], ["disc"], tmp_path / "broken", config=config, progress=False)
    monkeypatch.undo()
    assert load_checkpoint(tmp_path / "broken").epoch == 1
    train_detector(
        discs[:2], ["disc"], tmp_path / "broken", config=config, resume=tmp_path / "broken"
    )
    a, b = _weights(tmp_path / "straight"), _weights(tmp_path / "broken")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_deterministic_with_loader_workers(discs: Samples, tiny: dict, tmp_path: Path) -> None:
    config = TrainConfig(epochs=1, seed=2, num_workers=1, **tiny)
    for name in ("a", "b"):
        train_detector(discs[:2], ["disc"], tmp_path / name, config=config, progress=False)
    a, b = _weights(tmp_path / "a"), _weights(tmp_path / "b")
    assert all(torch.equal(a[k], b[k]) for k in a)
