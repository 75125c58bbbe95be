"""Weight files: reading state dicts, hashing them, and saving a backbone atomically.

An alpick backbone file (written by :func:`save_backbone`) is a ``torch.save`` of a plain dict::

    {"format": "alpick-backbone/1", "name": "efficientnet_lite0",
     "state_dict": {...}, "info": {"ssl_epochs": 5, ...}}

Plain state dicts (torchvision's ``model.state_dict()``), and checkpoints that wrap one under
``"state_dict"`` or ``"model"``, are read too. Files are read with ``weights_only=True``: a weights
file cannot run code.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alpick.errors import AlpickError
from alpick.fileio import atomic_open

if TYPE_CHECKING:
    from torch import Tensor

    from alpick.embed.backbones import Backbone

__all__ = [
    "BACKBONE_FORMAT",
    "file_sha256",
    "read_weights",
    "save_backbone",
    "state_dict_sha256",
]

BACKBONE_FORMAT = "alpick-backbone/1"
_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    """The sha256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def state_dict_sha256(state_dict: dict[str, Tensor]) -> str:
    """The sha256 hex digest of a state dict's names, dtypes, shapes and values (in key order)."""
    import torch

    digest = hashlib.sha256()
    for key in sorted(state_dict):
        tensor = state_dict[key].detach().cpu().contiguous()
        digest.update(f"{key}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def read_weights(path: Path) -> tuple[dict[str, Tensor], str | None, dict[str, Any]]:
    """Read a weights file.

    Args:
        path: An alpick backbone file, a plain state dict, or a checkpoint wrapping one under
            ``"state_dict"`` or ``"model"``. A ``module.`` prefix (DataParallel) is removed.

    Returns:
        The state dict, the backbone name recorded in the file (alpick files only, else None), and
        the file's ``info`` dict (empty unless it is an alpick file).

    Raises:
        AlpickError: If the file is missing, unreadable, or holds no state dict.
    """
    import torch

    if not path.is_file():
        raise AlpickError(f"weights file not found: {path}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad file
        first = " ".join(str(exc).split())[:200]
        raise AlpickError(f"cannot read weights file {path}: {first}") from exc
    name: str | None = None
    info: dict[str, Any] = {}
    if isinstance(obj, dict) and obj.get("format") == BACKBONE_FORMAT:
        name = str(obj.get("name"))
        info = dict(obj.get("info") or {})
        obj = obj.get("state_dict")
    elif isinstance(obj, dict):
        for key in ("state_dict", "model"):
            if isinstance(obj.get(key), dict):
                obj = obj[key]
                break
    if (
        not isinstance(obj, dict)
        or not obj
        or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items())
    ):
        raise AlpickError(f"weights file {path} holds no state dict (name -> tensor)")
    state = {k.removeprefix("module."): v for k, v in obj.items()}
    return state, name, info


def save_backbone(backbone: Backbone, path: Path) -> str:
    """Save a backbone's weights atomically, as an alpick backbone file.

    The file is written to a temporary name in the same folder and renamed into place, so a crash
    or Ctrl-C never leaves a partial file. Load it again with
    ``build_backbone(name, weights=path)`` or :func:`alpick.embed.load_backbone`.

    Args:
        backbone: The backbone to save (its whole network, classifier head included).
        path: Where to write, e.g. ``.alpick/models/<name>.pt``; parent folders are created.

    Returns:
        The sha256 of the written file: the ``weights_hash`` the loaded backbone will have.
    """
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    network = getattr(backbone.module, "net", backbone.module)
    payload = {
        "format": BACKBONE_FORMAT,
        "name": backbone.name,
        "state_dict": {k: v.detach().cpu() for k, v in network.state_dict().items()},
        "info": dict(backbone.info),
    }
    with atomic_open(path, "wb") as handle:
        torch.save(payload, handle)
    return file_sha256(path)
