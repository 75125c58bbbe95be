"""CLI: ``alpick train`` and ``alpick predict`` on a project (parsing and printing only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from alpick.cli.common import (
    CPUS_PER_WORKER,
    GPUS_PER_WORKER,
    RAY,
    RAY_WORKERS,
    err,
    open_project,
    out,
    output_dir,
    parse_wxh,
    project_output_dir,
    ray_settings,
    seed_option,
    state,
)
from alpick.errors import AlpickError


def _default(name: str) -> str:
    """A TrainConfig field's default as help text reads it (the one source of the defaults)."""
    from dataclasses import fields

    from alpick.detector.config import TrainConfig  # plain data: a light import for --help

    value = {f.name: f.default for f in fields(TrainConfig)}[name]
    return "fitted to the data" if value is None else str(value)


def train(
    tag: str = typer.Option(..., help="Train on the labelled samples of this tag."),
    steps: int | None = typer.Option(
        None, help="Optimizer steps (default: fitted to the number of images)."
    ),
    epochs: int | None = typer.Option(
        None, help="Passes over the images, instead of --steps (on --resume: the run's)."
    ),
    batch_size: int | None = typer.Option(
        None, help=f"Images per step (default {_default('batch_size')})."
    ),
    input_size: str | None = typer.Option(
        None, help="Network input WxH (default: fitted to the images)."
    ),
    lr: float | None = typer.Option(None, help=f"Peak learning rate (default {_default('lr')})."),
    arch: str | None = typer.Option(None, help=f"retinanet or fcos (default {_default('arch')})."),
    backbone: str | None = typer.Option(
        None, help=f"efficientnet_lite0, resnet18, ... (default {_default('backbone')})."
    ),
    weights: Path | None = typer.Option(None, help="Backbone weights file (state dict)."),
    freeze: int | None = typer.Option(
        None, help=f"Backbone levels kept fixed, 0-5 (default {_default('freeze')})."
    ),
    feature_cache: bool | None = typer.Option(
        None,
        "--feature-cache/--no-feature-cache",
        help="Compute the frozen stages once per image (default on; flips are then the only "
        "augmentation).",
    ),
    init: Path | None = typer.Option(
        None, help="Start from this run's weights (warm start); its settings are kept."
    ),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Run folder (default runs/TAG).", callback=output_dir
    ),
    resume: Path | None = typer.Option(None, help="Continue from this checkpoint or run."),
    seed: int | None = typer.Option(
        None, help=f"Seed (default {_default('seed')}).", callback=seed_option
    ),
    device: str | None = typer.Option(
        None, help=f"auto, cpu or cuda (default {_default('device')})."
    ),
    checkpoint_every: int | None = typer.Option(
        None, help=f"Also keep epoch_NNN.pt every N (default {_default('checkpoint_every')})."
    ),
) -> None:
    """Train the built-in detector on a tag's labels (like TLT's `yolo_v4 train`).

    Settings not given are fitted to the data (input size, anchors, schedule) or take the
    defaults shown; what was chosen, and why, is printed before training starts.
    """
    given = {
        "epochs": epochs,
        "steps": steps,
        "batch_size": batch_size,
        "lr": lr,
        "arch": arch,
        "backbone": backbone,
        "weights": None if weights is None else str(weights),
        "seed": seed,
        "device": device,
        "checkpoint_every": checkpoint_every,
        "freeze": freeze,
        "feature_cache": feature_cache,
        "input_size": parse_wxh(input_size, option="--input-size") if input_size else None,
    }
    overrides: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    with open_project() as project:
        result = project.train(
            tag,
            out=out_dir,
            resume=resume,
            init=init,
            log=lambda line: err.print(line, markup=False),
            **overrides,
        )
    last = result.history[-1] if result.history else {}
    loss = f", final loss {last['loss']:.3f}" if "loss" in last else ""
    out.print(f"trained {result.epochs} epochs on tag {tag!r}{loss} -> {result.out_dir}")
    out.print(f"next: alpick predict --model {result.out_dir}", markup=False)


def predict(
    model: Path = typer.Option(..., help="A run folder (its last.pt) or a checkpoint file."),
    images: Path | None = typer.Option(None, help="Folder of images (default: the project's)."),
    tag: str | None = typer.Option(None, help="Only the samples of this tag."),
    out_dir: Path = typer.Option(
        Path("infer_labels"), "--out", help="KITTI output folder.", callback=project_output_dir
    ),
    name: str | None = typer.Option(None, help="Prediction set name (default: the run's)."),
    confidence_threshold: float = typer.Option(0.001, help="Lowest confidence written."),
    top_k: int = typer.Option(200, help="Most boxes per image."),
    batch_size: int = typer.Option(8, help="Images per forward pass."),
    ray: str | None = RAY,
    ray_workers: int | None = RAY_WORKERS,
    cpus_per_worker: float = CPUS_PER_WORKER,
    gpus_per_worker: float | None = GPUS_PER_WORKER,
) -> None:
    """Predict with a trained run: KITTI files with confidence (TLT inference's format)."""
    from alpick.api import predict_to_folder

    if not 0 <= confidence_threshold < 1 or top_k < 1 or batch_size < 1:
        raise AlpickError("need 0 <= --confidence-threshold < 1, --top-k >= 1, --batch-size >= 1")
    cluster = ray_settings(ray, ray_workers, cpus_per_worker, gpus_per_worker)
    project = None
    if images is None or tag is not None or _project_exists():
        project = open_project()
    try:
        if project is not None and not out_dir.is_absolute() and state.project_dir is not None:
            out_dir = project.root / out_dir
        report = predict_to_folder(
            model,
            out_dir,
            project=project,
            images=images,
            tag=tag,
            name=name,
            confidence_threshold=confidence_threshold,
            top_k=top_k,
            batch_size=batch_size,
            ray=cluster,
        )
    finally:
        if project is not None:
            project.close()
    stored = (
        f"; stored as prediction set {report.prediction_set!r}" if report.prediction_set else ""
    )
    out.print(
        f"predicted {report.boxes:,} boxes on {report.images:,} images -> {report.out}{stored}",
        markup=False,
    )


def _project_exists() -> bool:
    from alpick.api import find_project_root

    return find_project_root(state.project_dir) is not None


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("train")(train)
    app.command("predict")(predict)
