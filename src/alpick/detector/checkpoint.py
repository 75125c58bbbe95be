"""Detector checkpoints: one torch file holding everything needed to predict or resume.

A checkpoint is a dict saved with :func:`torch.save` and read back with ``weights_only=True``
(no arbitrary pickles are executed):

====================  ===========================================================
``format``            ``"alpick-detector"``
``version``           format version (1)
``arch``              ``"fcos"`` or ``"retinanet"`` (also inside ``model_config``)
``model_config``      :class:`~alpick.detector.config.ModelConfig` as a dict
``train_config``      :class:`~alpick.detector.config.TrainConfig` as a dict
``classes``           class names, index = class id
``model``             the model's ``state_dict``
``optimizer``         the optimizer's ``state_dict`` (``None`` in exported weights)
``scheduler``         the LR scheduler's ``state_dict`` (``None`` likewise)
``epoch``             epochs completed
``history``           per-epoch metrics (list of dicts), as in ``metrics.csv``
====================  ===========================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from alpick.detector.config import ModelConfig, model_config_from_dict, model_config_to_dict
from alpick.errors import AlpickError
from alpick.fileio import atomic_path

FORMAT = "alpick-detector"
VERSION = 1
LAST = "last.pt"


@dataclass
class Checkpoint:
    """A loaded checkpoint (see the module docstring for the fields)."""

    model_config: ModelConfig
    train_config: dict[str, Any]
    classes: list[str]
    model_state: dict[str, torch.Tensor]
    optimizer_state: dict[str, Any] | None
    scheduler_state: dict[str, Any] | None
    epoch: int
    history: list[dict[str, float]]
    path: Path


def save_checkpoint(path: Path, ckpt: Checkpoint) -> None:
    """Write ``ckpt`` to ``path`` atomically."""
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "arch": ckpt.model_config.arch,
        "model_config": model_config_to_dict(ckpt.model_config),
        "train_config": ckpt.train_config,
        "classes": list(ckpt.classes),
        "model": ckpt.model_state,
        "optimizer": ckpt.optimizer_state,
        "scheduler": ckpt.scheduler_state,
        "epoch": int(ckpt.epoch),
        "history": ckpt.history,
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def resolve_checkpoint(run_or_ckpt: Path) -> Path:
    """A run folder → its ``last.pt``; a file → itself.

    Raises:
        AlpickError: If neither exists.
    """
    path = Path(run_or_ckpt)
    if path.is_dir():
        path = path / LAST
        if not path.is_file():
            raise AlpickError(f"no {LAST} in run folder {run_or_ckpt}")
    elif not path.is_file():
        raise AlpickError(f"checkpoint not found: {path}")
    return path


def load_checkpoint(run_or_ckpt: Path) -> Checkpoint:
    """Read a checkpoint (or a run folder's ``last.pt``).

    Raises:
        AlpickError: Missing, corrupt or truncated file, or not an alpick detector checkpoint.
    """
    path = resolve_checkpoint(run_or_ckpt)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AlpickError(f"corrupt or unreadable checkpoint {path}: {reason[:200]}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise AlpickError(f"{path} is not an alpick detector checkpoint")
    if data.get("version") != VERSION:
        raise AlpickError(f"{path}: unsupported checkpoint version {data.get('version')!r}")
    try:
        return Checkpoint(
            model_config=model_config_from_dict(data["model_config"]),
            train_config=dict(data["train_config"]),
            classes=[str(c) for c in data["classes"]],
            model_state=data["model"],
            optimizer_state=data.get("optimizer"),
            scheduler_state=data.get("scheduler"),
            epoch=int(data["epoch"]),
            history=list(data.get("history") or []),
            path=path,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise AlpickError(f"{path}: incomplete checkpoint ({exc})") from None


def load_model_state(model: torch.nn.Module, ckpt: Checkpoint) -> None:
    """Load ``ckpt``'s weights into ``model``.

    Raises:
        AlpickError: If the weights do not fit the model (another architecture or class count).
    """
    try:
        model.load_state_dict(ckpt.model_state)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise AlpickError(f"{ckpt.path} does not fit this detector: {first}") from None
