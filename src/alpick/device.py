"""The one device resolver: ``"auto"`` (or ``None``) picks CUDA when there is a GPU."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alpick.errors import AlpickError

if TYPE_CHECKING:
    import torch


def resolve_device(name: str | None = "auto") -> torch.device:
    """``"auto"``/``None`` → CUDA when available, else the CPU; other names as torch reads them.

    Raises:
        AlpickError: If CUDA is asked for and not available, or the name is not a device.
    """
    import torch

    if name is None or name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise AlpickError("CUDA was asked for but no GPU is available")
    try:
        return torch.device(name)
    except RuntimeError:
        raise AlpickError(f"not a device: {name!r} (use auto, cpu or cuda)") from None
