"""Train a detector on (image, boxes) samples: AdamW, warm-up + cosine, checkpoints, resume."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from alpick.detector.checkpoint import (
    LAST,
    Checkpoint,
    load_checkpoint,
    load_model_state,
    save_checkpoint,
)
from alpick.detector.config import ModelConfig, TrainConfig
from alpick.detector.data import Batch, DetectionDataset, make_loader
from alpick.detector.history import plot_loss, write_metrics_csv
from alpick.detector.model import build_detector
from alpick.errors import AlpickError
from alpick.formats.detections import Detections

METRICS = "metrics.csv"
LOSS_PLOT = "loss.png"
MIN_LR_FACTOR = 0.01  # the cosine ends at 1% of the peak learning rate


@dataclass
class TrainResult:
    """What a training run produced.

    Attributes:
        out_dir: The run folder (``last.pt``, ``epoch_NNN.pt``, ``metrics.csv``, ``loss.png``).
        checkpoint: Path of ``last.pt``.
        classes: Class names, index = class id.
        epochs: Epochs completed (resumed ones included).
        history: One row per epoch, as in ``metrics.csv``.
    """

    out_dir: Path
    checkpoint: Path
    classes: list[str]
    epochs: int
    history: list[dict[str, float]]


def resolve_device(name: str) -> torch.device:
    """``"auto"`` → CUDA when available, else CPU.

    Raises:
        AlpickError: If CUDA is asked for and not available.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise AlpickError("CUDA was asked for but no GPU is available")
    return torch.device(name)


def lr_factor(step: int, *, total: int, warmup: int) -> float:
    """Learning-rate multiplier at ``step``: linear warm-up, then cosine down to 1%."""
    if step < warmup:
        return 0.001 + (1 - 0.001) * step / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return MIN_LR_FACTOR + (1 - MIN_LR_FACTOR) * 0.5 * (1 + math.cos(math.pi * progress))


def resume_config(checkpoint: Path, **overrides: Any) -> TrainConfig:
    """The training configuration stored in ``checkpoint``, with ``overrides`` applied.

    Use it to resume a run without repeating its settings (e.g. ``epochs=40`` to extend it).
    """
    ckpt = load_checkpoint(checkpoint)
    return replace(TrainConfig.from_dict(ckpt.train_config), **overrides)


def _check_samples(samples: Sequence[tuple[Path, Detections]], classes: Sequence[str]) -> None:
    if not samples:
        raise AlpickError("no samples to train on")
    if not classes:
        raise AlpickError("no classes to train on")
    missing = [str(p) for p, _ in samples if not Path(p).is_file()]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise AlpickError(f"image not found: {missing[0]}{more}")
    if sum(len(d) for _, d in samples) == 0:
        raise AlpickError(f"none of the {len(samples)} samples has a labelled box")
    top = max((int(d.class_id.max()) for _, d in samples if len(d)), default=0)
    if top >= len(classes):
        raise AlpickError(f"class id {top} has no name ({len(classes)} classes given)")


def _batches(loader: Any) -> Iterator[tuple[Batch, float]]:
    """Yield batches with the seconds spent waiting for each."""
    it = iter(loader)
    while True:
        start = time.perf_counter()
        try:
            batch = next(it)
        except StopIteration:
            return
        yield batch, time.perf_counter() - start


def _progress_bar(enabled: bool) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("epoch {task.fields[epoch]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.3f}"),
        TextColumn("{task.fields[ips]:.1f} img/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        disable=not enabled,
        transient=False,
    )


@dataclass
class _Stepper:
    """The model with its optimizer, schedule and gradient scaler: one optimization step."""

    model: torch.nn.Module
    params: list[torch.nn.Parameter]
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    scaler: torch.amp.GradScaler
    device: torch.device
    use_amp: bool

    def step(self, images: list[Tensor], targets: list[dict[str, Tensor]]) -> dict[str, float]:
        """Forward, backward, update; returns ``loss`` and ``loss_<part>`` as floats."""
        images = [im.to(self.device, non_blocking=True) for im in images]
        targets = [{k: v.to(self.device) for k, v in t.items()} for t in targets]
        with torch.autocast(self.device.type, dtype=torch.float16, enabled=self.use_amp):
            losses: dict[str, Tensor] = self.model(images, targets)
        loss = sum(losses.values(), torch.zeros((), device=self.device))
        if not torch.isfinite(loss):
            raise AlpickError(f"training diverged (loss {loss.item()}); try a lower learning rate")
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.optimizer)
        torch.nn.utils.clip_grad_norm_(self.params, 10.0)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        return {"loss": loss.item(), **{f"loss_{k}": v.item() for k, v in losses.items()}}


def _run_epoch(stepper: _Stepper, loader: Any, bar: Any, task: Any, epoch: int) -> dict[str, float]:
    """Train one epoch; return its metrics row (mean losses, lr, speed, data-loading share)."""
    stepper.model.train()
    sums: dict[str, float] = {}
    n_images, waited, steps = 0, 0.0, 0
    started = time.perf_counter()
    for (images, targets), wait in _batches(loader):
        waited += wait
        for key, value in stepper.step(images, targets).items():
            sums[key] = sums.get(key, 0.0) + value
        steps += 1
        n_images += len(images)
        elapsed = time.perf_counter() - started
        bar.update(task, advance=1, epoch=epoch, loss=sums["loss"] / steps, ips=n_images / elapsed)
    seconds = time.perf_counter() - started
    row: dict[str, float] = {"epoch": epoch}
    row.update({k: v / max(steps, 1) for k, v in sums.items()})
    row.update(
        lr=stepper.optimizer.param_groups[0]["lr"],
        images_per_s=n_images / max(seconds, 1e-9),
        data_share=waited / max(seconds, 1e-9),
        seconds=seconds,
    )
    return row


def _load_resume(resume: Path, model_cfg: ModelConfig, classes: list[str]) -> Checkpoint:
    """The checkpoint to resume from, checked against this run's architecture and classes."""
    ckpt = load_checkpoint(resume)
    theirs = ckpt.model_config
    if theirs != model_cfg:
        raise AlpickError(
            f"checkpoint {ckpt.path} is a {theirs.arch}/{theirs.backbone} detector with other"
            f" settings than this run ({model_cfg.arch}/{model_cfg.backbone})"
        )
    if ckpt.classes != list(classes):
        raise AlpickError(f"checkpoint {ckpt.path} has classes {ckpt.classes}, not {classes}")
    return ckpt


def _save_epoch(
    out_dir: Path, config: TrainConfig, classes: list[str], stepper: _Stepper, history: list[Any]
) -> None:
    """``last.pt`` (and ``epoch_NNN.pt`` when due), ``metrics.csv`` and, when due, ``loss.png``."""
    epoch = int(history[-1]["epoch"])
    state = Checkpoint(
        model_config=config.model_config(),
        train_config=config.to_dict(),
        classes=list(classes),
        model_state=stepper.model.state_dict(),
        optimizer_state=stepper.optimizer.state_dict(),
        scheduler_state=stepper.scheduler.state_dict(),
        epoch=epoch,
        history=history,
        path=out_dir / LAST,
    )
    save_checkpoint(out_dir / LAST, state)
    periodic = bool(config.checkpoint_every) and epoch % config.checkpoint_every == 0
    if periodic:
        save_checkpoint(out_dir / f"epoch_{epoch:03d}.pt", state)
    write_metrics_csv(out_dir / METRICS, history)
    if periodic or epoch == config.epochs:  # plotting costs ~0.4 s
        plot_loss(out_dir / LOSS_PLOT, history)


def train_detector(
    samples: Sequence[tuple[Path, Detections]],
    classes: list[str],
    out_dir: Path,
    *,
    config: TrainConfig,
    resume: Path | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train (or resume training) a detector and write its run folder.

    Args:
        samples: (image path, ground truth in that image's pixels) pairs; images without boxes
            are negatives. Images of any size are resized to ``config.input_size``.
        classes: Class names, index = class id.
        out_dir: Run folder; created if needed.
        config: Model and training settings.
        resume: A checkpoint (or run folder) to continue from, up to ``config.epochs``.
        progress: Show a rich progress bar with loss and images/s.

    Returns:
        The run's :class:`TrainResult`.

    Raises:
        AlpickError: No samples, no labelled box, missing images, a checkpoint that is corrupt or
            of another architecture or class list, CUDA asked for but absent, diverging loss.
    """
    _check_samples(samples, classes)
    out_dir = Path(out_dir)
    device = resolve_device(config.device)
    model_cfg = config.model_config()
    ckpt = None if resume is None else _load_resume(resume, model_cfg, classes)

    torch.manual_seed(config.seed)
    model = build_detector(model_cfg, len(classes), weights=config.weights, pretrained=ckpt is None)
    if ckpt is not None:
        load_model_state(model, ckpt)
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = math.ceil(len(samples) / config.batch_size)
    total = steps_per_epoch * config.epochs
    warmup = round(config.warmup_epochs * steps_per_epoch)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, total=total, warmup=warmup)
    )
    use_amp = config.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    stepper = _Stepper(model, params, optimizer, scheduler, scaler, device, use_amp)
    start_epoch, history = 0, []
    if ckpt is not None:
        start_epoch, history = ckpt.epoch, list(ckpt.history)
        if ckpt.optimizer_state is not None:
            optimizer.load_state_dict(ckpt.optimizer_state)
        if ckpt.scheduler_state is not None:
            scheduler.load_state_dict(ckpt.scheduler_state)

    dataset = DetectionDataset(
        samples, config.input_size, augment=config.augment, augmentation=config.augmentation()
    )
    with _progress_bar(progress) as bar:
        task = bar.add_task(
            "train",
            total=steps_per_epoch * max(0, config.epochs - start_epoch),
            epoch=start_epoch + 1,
            loss=float("nan"),
            ips=0.0,
        )
        for epoch in range(start_epoch, config.epochs):
            # Seeds depend on (seed, epoch) only, so a resumed run draws what an unbroken one would.
            epoch_seed = config.seed * 100_003 + epoch
            torch.manual_seed(epoch_seed)  # augmentations in the main process
            loader = make_loader(
                dataset,
                batch_size=config.batch_size,
                shuffle=True,
                seed=epoch_seed,
                num_workers=config.num_workers,
            )
            history.append(_run_epoch(stepper, loader, bar, task, epoch + 1))
            _save_epoch(out_dir, config, classes, stepper, history)
    ran = config.epochs > start_epoch
    return TrainResult(
        out_dir=out_dir,
        checkpoint=out_dir / LAST if ran or ckpt is None else ckpt.path,
        classes=list(classes),
        epochs=int(history[-1]["epoch"]) if history else 0,
        history=history,
    )
