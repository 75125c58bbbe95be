"""The one call behind ``alpick embed``: paths in, rows and the metadata to store out."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alpick.embed.backbones import Backbone, build_backbone
from alpick.embed.pipeline import EmbedResult, OnBatch, embed_images
from alpick.embed.ssl import finetune_simclr
from alpick.embed.weights import save_backbone

__all__ = ["compute_embeddings", "embedding_meta"]


def compute_embeddings(
    paths: Sequence[Path],
    *,
    model: str = "efficientnet_lite0",
    weights: Path | None = None,
    allow_random: bool = False,
    input_size: int = 224,
    batch_size: int = 32,
    ssl_epochs: int = 0,
    ssl_out: Path | None = None,
    ssl_paths: Sequence[Path] | None = None,
    num_workers: int | None = None,
    device: str | None = None,
    progress: bool = True,
    on_batch: OnBatch | None = None,
) -> tuple[EmbedResult, dict[str, Any]]:
    """Build the backbone, optionally fine-tune it with SimCLR, and embed ``paths``.

    The returned metadata identifies the embedding space: two calls whose metadata are equal give
    the same row for the same image, so a stored set can be reused and extended with new images
    by calling this again on just those images. After fine-tuning, pass the saved file
    (``ssl_out``) as ``weights`` with ``ssl_epochs=0`` to embed more images in the same space: the
    metadata (``weights_hash``, and ``ssl_epochs`` read back from the file) then match.

    Args:
        paths: The images to embed, any subset of the project, in the order rows should have.
        model: A name from :data:`alpick.embed.EMBED_MODELS`.
        weights: A local weights file (state dict, or a file from ``save_backbone``).
        allow_random: Allow random initial weights when the model has none (warns).
        input_size: Side of the square network input, in pixels.
        batch_size: Images per forward pass (and per SimCLR step).
        ssl_epochs: SimCLR fine-tuning epochs before embedding; 0 embeds directly.
        ssl_out: Where to save the fine-tuned weights (atomically), e.g.
            ``.alpick/models/<name>.pt``; the metadata's ``weights_hash`` is then this file's.
        ssl_paths: The images to fine-tune on; default ``paths``.
        num_workers: Decoding processes; None picks a default for this machine.
        device: ``"cpu"``, ``"cuda"``...; None for CUDA when available.
        progress: Show progress bars with images/s on long runs.
        on_batch: Called after each embedded batch with its row indices and rows.

    Returns:
        The result (rows aligned with ``paths``, NaN rows for the ``failed`` files) and the
        metadata to store with the set, exactly the keys that decide the embedding space:
        ``model``, ``input_size``, ``dim``, ``weights_hash``, ``ssl_epochs``.

    Raises:
        AlpickError: For an unknown model, unusable weights, or too few images for SimCLR.
        KeyboardInterrupt: On Ctrl-C; nothing is written except an already-finished ``ssl_out``.
    """
    backbone = build_backbone(model, weights=weights, allow_random=allow_random)
    if ssl_epochs > 0:
        backbone = finetune_simclr(
            list(ssl_paths) if ssl_paths is not None else paths,
            backbone,
            epochs=ssl_epochs,
            batch_size=batch_size,
            num_workers=num_workers,
            device=device,
            progress=progress,
        )
        if ssl_out is not None:
            digest = save_backbone(backbone, Path(ssl_out))
            backbone = dataclasses.replace(backbone, weights_hash=digest)
    result = embed_images(
        paths,
        backbone,
        input_size=input_size,
        batch_size=batch_size,
        num_workers=num_workers,
        device=device,
        progress=progress,
        on_batch=on_batch,
    )
    return result, embedding_meta(backbone, input_size)


def embedding_meta(backbone: Backbone, input_size: int) -> dict[str, Any]:
    """The metadata that identifies the embedding space of ``backbone`` at ``input_size``."""
    return {
        "model": backbone.name,
        "input_size": input_size,
        "dim": backbone.dim,
        "weights_hash": backbone.weights_hash,
        "ssl_epochs": int(backbone.info.get("ssl_epochs", 0)),
    }
