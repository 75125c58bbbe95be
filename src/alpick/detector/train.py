"""Train a detector on (image, boxes) samples: AdamW, warm-up + cosine, checkpoints, resume."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
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
from alpick.detector.data import DetectionDataset, Target, make_loader, scale_boxes
from alpick.detector.defaults import fit_config, image_sizes
from alpick.detector.features import CacheEntry, FeatureCache, flip_targets, stack_entries
from alpick.detector.history import plot_loss, write_metrics_csv
from alpick.detector.model import build_detector, forward_cached
from alpick.device import resolve_device
from alpick.errors import AlpickError
from alpick.formats.detections import Detections
from alpick.progress import Advance, progress_bar

METRICS = "metrics.csv"
LOSS_PLOT = "loss.png"
MIN_LR_FACTOR = 0.01  # the cosine ends at 1% of the peak learning rate
# The default schedule, in images seen: at least 1,600, six epochs, at most 80,000.
AUTO_MIN_IMAGES, AUTO_EPOCHS, AUTO_MAX_IMAGES = 1_600, 6, 80_000


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


MODEL_FIELDS = ("arch", "backbone", "input_size", "fpn_width", "head_convs", "levels")


def init_config(checkpoint: Path, **overrides: Any) -> TrainConfig:
    """Settings for a run that starts from ``checkpoint``'s weights (a warm start).

    The model's settings are the checkpoint's; the training settings are the defaults, with
    ``overrides`` applied.
    """
    model = load_checkpoint(checkpoint).model_config
    kept = {name: getattr(model, name) for name in (*MODEL_FIELDS, "aspect_ratios")}
    return replace(TrainConfig(**kept), **overrides)


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


def _batches(loader: Any) -> Iterator[tuple[Any, float]]:
    """Yield batches with the seconds spent waiting for each."""
    it = iter(loader)
    while True:
        start = time.perf_counter()
        try:
            batch = next(it)
        except StopIteration:
            return
        yield batch, time.perf_counter() - start


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

    def step(self, forward: Callable[[], dict[str, Tensor]]) -> dict[str, float]:
        """Forward (``forward()`` returns the losses), backward, update; losses as floats."""
        with torch.autocast(self.device.type, dtype=torch.float16, enabled=self.use_amp):
            losses = forward()
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


Step = tuple[Callable[[], dict[str, Tensor]], int]  # (forward returning losses, images)


def _image_steps(model: Any, device: torch.device, loader: Any) -> Iterator[tuple[Step, float]]:
    """Steps over decoded (and augmented) images, with the seconds spent waiting for each."""
    for (images, targets), wait in _batches(loader):

        def forward(images: list[Tensor] = images, targets: list[Target] = targets) -> Any:
            ims = [im.to(device, non_blocking=True) for im in images]
            tgs = [{k: v.to(device) for k, v in t.items()} for t in targets]
            return model(ims, tgs)

        yield (forward, len(images)), wait


@dataclass
class _CachedData:
    """Training batches from the frozen stages' cached outputs, flipped at random."""

    model: Any
    split: int
    input_size: tuple[int, int]
    entries: list[CacheEntry]
    targets: list[Target]
    hflip: float
    device: torch.device

    def steps(self, batch_size: int, seed: int) -> Iterator[tuple[Step, float]]:
        generator = torch.Generator().manual_seed(seed)
        order = torch.randperm(len(self.entries), generator=generator).tolist()
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            flips = (torch.rand(len(index), generator=generator) < self.hflip).tolist()
            yield (partial(self._forward, index, flips), len(index)), 0.0

    def _forward(self, index: list[int], flips: list[bool]) -> Any:
        cached = stack_entries(
            [self.entries[i] for i in index],
            self.device,
            flips,
            channels_last=getattr(self.model, "channels_last", False),
        )
        targets = flip_targets([self.targets[i] for i in index], flips, self.input_size[0])
        targets = [{k: v.to(self.device) for k, v in t.items()} for t in targets]
        return forward_cached(self.model, cached, self.split, self.input_size, targets)


def _run_epoch(
    stepper: _Stepper,
    steps: Iterator[tuple[Step, float]],
    advance: Advance,
    epoch: int,
    max_steps: int,
) -> dict[str, float]:
    """Train one epoch (at most ``max_steps`` steps); return its metrics row."""
    stepper.model.train()
    sums: dict[str, float] = {}
    n_images, waited, done = 0, 0.0, 0
    started = time.perf_counter()
    for (forward, size), wait in steps:
        if done >= max_steps:
            break
        waited += wait
        for key, value in stepper.step(forward).items():
            sums[key] = sums.get(key, 0.0) + value
        done += 1
        n_images += size
        elapsed = time.perf_counter() - started
        rate = n_images / elapsed
        advance(1, description=f"epoch {epoch} loss {sums['loss'] / done:.3f} {rate:.1f} img/s")
    seconds = time.perf_counter() - started
    row: dict[str, float] = {"epoch": epoch}
    row.update({k: v / max(done, 1) for k, v in sums.items()})
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
    out_dir: Path,
    config: TrainConfig,
    classes: list[str],
    stepper: _Stepper,
    history: list[Any],
    *,
    last_epoch: int,
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
    if periodic or epoch == last_epoch:  # plotting costs ~0.4 s
        plot_loss(out_dir / LOSS_PLOT, history)


def _fitted(
    config: TrainConfig, samples: Sequence[tuple[Path, Detections]], resume: Path | None
) -> TrainConfig:
    """``config`` with the settings left to the data filled: from the checkpoint when resuming
    (so the model is the one saved), else from the data."""
    if config.fitted:
        return config
    if resume is not None:
        theirs = load_checkpoint(resume).model_config
        return replace(
            config,
            input_size=config.input_size or theirs.input_size,
            levels=config.levels or theirs.levels,
            aspect_ratios=config.aspect_ratios or theirs.aspect_ratios,
        )
    return fit_config(config, samples)[0]


@dataclass(frozen=True)
class Schedule:
    """A run's length: ``steps`` optimizer steps in ``epochs`` passes of ``per_epoch`` steps."""

    steps: int
    per_epoch: int
    epochs: int
    warmup: int


def auto_steps(n_samples: int, batch_size: int) -> int:
    """The default schedule length (see ``docs/detector.md``, "Defaults that fit the data").

    Six epochs, but at least 1,600 and at most 80,000 images seen, in steps of ``batch_size``.
    """
    per_epoch = math.ceil(n_samples / batch_size)
    least, most = math.ceil(AUTO_MIN_IMAGES / batch_size), math.ceil(AUTO_MAX_IMAGES / batch_size)
    return max(least, min(AUTO_EPOCHS * per_epoch, most))


def plan_schedule(config: TrainConfig, n_samples: int) -> Schedule:
    """Steps, epochs and warm-up of a run on ``n_samples`` images.

    ``config.steps`` or ``config.epochs`` when given, else :func:`auto_steps`; the warm-up is
    ``config.warmup_epochs`` when given, else a tenth of the run (at most 100 steps).
    """
    per_epoch = math.ceil(n_samples / config.batch_size)
    if config.steps is not None:
        steps = config.steps
    elif config.epochs is not None:
        steps = config.epochs * per_epoch
    else:
        steps = auto_steps(n_samples, config.batch_size)
    if config.warmup_epochs is not None:
        warmup = round(config.warmup_epochs * per_epoch)
    else:
        warmup = min(steps // 10, 100)
    return Schedule(steps, per_epoch, math.ceil(steps / per_epoch), min(warmup, steps))


def _training_data(
    model: Any,
    split: int,
    samples: Sequence[tuple[Path, Detections]],
    config: TrainConfig,
    device: torch.device,
    cache: FeatureCache | None,
    progress: bool,
) -> Callable[[int], Iterator[tuple[Step, float]]]:
    """Each epoch's steps (given the epoch's seed): from the feature cache when it is on and
    fits, else from the images through the data pipeline and its augmentations."""
    size = config.model_config().input_size
    if config.feature_cache:
        cache = cache if cache is not None else FeatureCache()
        if cache.fits(model, split, size, len(samples)):
            with progress_bar(len(samples), "caching features", enabled=progress) as advance:
                entries = cache.get(
                    model, split, size, [p for p, _ in samples], on_fill=lambda n: advance(n)
                )
            headers = image_sizes([p for p, _ in samples])
            targets = [
                scale_boxes(det, (int(w), int(h)), size)
                for (_, det), (w, h) in zip(samples, headers, strict=True)
            ]
            data = _CachedData(
                model, split, size, entries, targets,
                config.hflip if config.augment else 0.0, device,
            )  # fmt: skip
            return lambda seed: data.steps(config.batch_size, seed)
    dataset = DetectionDataset(
        samples, size, augment=config.augment, augmentation=config.augmentation()
    )

    def from_images(seed: int) -> Iterator[tuple[Step, float]]:
        loader = make_loader(
            dataset,
            batch_size=config.batch_size,
            shuffle=True,
            seed=seed,
            num_workers=config.num_workers,
        )
        return _image_steps(model, device, loader)

    return from_images


def train_detector(
    samples: Sequence[tuple[Path, Detections]],
    classes: list[str],
    out_dir: Path,
    *,
    config: TrainConfig,
    resume: Path | None = None,
    progress: bool = True,
    cache: FeatureCache | None = None,
    init: Path | None = None,
    on_epoch: Callable[[dict[str, float]], bool | None] | None = None,
) -> TrainResult:
    """Train (or resume training) a detector and write its run folder.

    Args:
        samples: (image path, ground truth in that image's pixels) pairs; images without boxes
            are negatives. Images of any size are resized to ``config.input_size``.
        classes: Class names, index = class id.
        out_dir: Run folder; created if needed.
        config: Model and training settings.
        resume: A checkpoint (or run folder) to continue from, up to ``config.epochs``.
        progress: Show a progress bar (on standard error) with epoch, loss and images/s.
        on_epoch: Called with each epoch's metrics row once ``last.pt`` holds that epoch;
            returning True ends the run there (early stopping; ``resume`` continues it).
        init: A checkpoint (or run folder) whose weights this run starts from (a warm start:
            new optimizer and schedule); its architecture and classes must match.
        cache: Where the frozen stages' outputs are kept (with ``config.feature_cache``); pass
            the same cache to later runs on the same images (a simulation's rounds) to reuse them.

    Returns:
        The run's :class:`TrainResult`.

    Raises:
        AlpickError: No samples, no labelled box, missing images, a checkpoint that is corrupt or
            of another architecture or class list, CUDA asked for but absent, diverging loss.
    """
    _check_samples(samples, classes)
    out_dir = Path(out_dir)
    device = resolve_device(config.device)
    if resume is not None and init is not None:
        raise AlpickError("resume a run or start from another one's weights, not both")
    config = _fitted(config, samples, resume or init)
    model_cfg = config.model_config()
    ckpt = None if resume is None else _load_resume(resume, model_cfg, classes)
    start = None if init is None else _load_resume(init, model_cfg, classes)

    torch.manual_seed(config.seed)
    model = build_detector(
        model_cfg,
        len(classes),
        weights=config.weights,
        pretrained=ckpt is None and start is None,
        channels_last=config.channels_last,
    )
    if ckpt is not None or start is not None:
        load_model_state(model, ckpt or start)  # type: ignore[arg-type]
    model.to(device)
    split = model.backbone.freeze(config.freeze)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    plan = plan_schedule(config, len(samples))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, total=plan.steps, warmup=plan.warmup)
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

    source = _training_data(model, split, samples, config, device, cache, progress)
    left_total = max(0, plan.steps - start_epoch * plan.per_epoch)
    with progress_bar(left_total, f"epoch {start_epoch + 1}", enabled=progress, unit=None) as bar:
        for epoch in range(start_epoch, plan.epochs):
            # Seeds depend on (seed, epoch) only, so a resumed run draws what an unbroken one would.
            epoch_seed = config.seed * 100_003 + epoch
            torch.manual_seed(epoch_seed)  # augmentations in the main process
            left = plan.steps - epoch * plan.per_epoch
            steps = source(epoch_seed)
            history.append(_run_epoch(stepper, steps, bar, epoch + 1, left))
            _save_epoch(out_dir, config, classes, stepper, history, last_epoch=plan.epochs)
            if on_epoch is not None and on_epoch(dict(history[-1])):
                break
    ran = plan.epochs > start_epoch
    return TrainResult(
        out_dir=out_dir,
        checkpoint=out_dir / LAST if ran or ckpt is None else ckpt.path,
        classes=list(classes),
        epochs=int(history[-1]["epoch"]) if history else 0,
        history=history,
    )
