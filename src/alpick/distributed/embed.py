"""``alpick embed --ray``: the images embedded by a pool of Ray actors, each holding the backbone.

The driver builds the backbone once (its weights travel to the actors with it, so the weights
file need not be on shared storage), the actors read and embed the images of their batches, and
the rows come back to the driver, which stores them. Rows equal the single-process rows: same
network, same batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from alpick.distributed.blocks import Batch, run_pool, unreadable_note
from alpick.distributed.cluster import RayOptions, require_ray
from alpick.errors import AlpickError

if TYPE_CHECKING:
    from alpick.embed.backbones import Backbone
    from alpick.embed.pipeline import EmbedResult


class EmbedWorker:
    """A Ray actor: the backbone, and the embedding of one batch of image paths at a time."""

    def __init__(self, backbone: Backbone, input_size: int, device: str | None, threads: int):
        import torch

        torch.set_num_threads(threads)
        self.backbone, self.input_size, self.device = backbone, input_size, device

    def __call__(self, batch: Batch) -> Batch:
        from alpick.embed.pipeline import embed_images

        paths = [Path(str(p)) for p in batch["path"]]
        result = embed_images(
            paths,
            self.backbone,
            input_size=self.input_size,
            batch_size=max(1, len(paths)),
            num_workers=0,
            device=self.device,
            progress=False,
        )
        reasons = {str(p): why + unreadable_note(str(p)) for p, why in result.failed}
        return {
            "index": batch["index"],
            "embedding": result.embeddings,
            "reason": np.array([reasons.get(str(p), "") for p in paths], dtype=object),
        }


def ray_embedder(options: RayOptions) -> Any:
    """A drop-in for :func:`alpick.embed.compute_embeddings` that embeds on Ray."""
    require_ray()
    return partial(embed_on_ray, options=options)


def embed_on_ray(
    paths: Sequence[Path], *, options: RayOptions, **settings: Any
) -> tuple[EmbedResult, dict[str, Any]]:
    """Embed ``paths`` on the cluster; the result and metadata of ``compute_embeddings``,
    whose keyword settings it takes (``model``, ``weights``, ``allow_random``, ``input_size``,
    ``batch_size``, ``ssl_epochs``, ``device``, ``progress``; the others are not used).

    Raises:
        AlpickError: For SimCLR fine-tuning (run it once without ``--ray``), no Ray, an
            unreachable cluster or a failed worker.
    """
    from alpick.embed.backbones import build_backbone
    from alpick.embed.compute import embedding_meta
    from alpick.embed.pipeline import EmbedResult

    if settings.get("ssl_epochs"):
        raise AlpickError(
            "--ray embeds but does not fine-tune: run `alpick embed --ssl-epochs` once without "
            "--ray; later runs into the same set embed new images on Ray with its saved weights"
        )
    backbone = build_backbone(
        settings.get("model", "efficientnet_lite0"),
        weights=settings.get("weights"),
        allow_random=settings.get("allow_random", False),
    )
    input_size = int(settings.get("input_size", 224))
    embeddings = np.full((len(paths), backbone.dim), np.nan, dtype=np.float32)
    reasons: dict[int, str] = {}

    def take(batch: Batch) -> None:
        index = batch["index"].astype(np.int64)
        embeddings[index] = batch["embedding"]
        for i, why in zip(index.tolist(), batch["reason"], strict=True):
            if why:
                reasons[i] = str(why)

    run_pool(
        options,
        {"path": np.array([str(p) for p in paths], dtype=object)},
        EmbedWorker,
        {"backbone": backbone, "input_size": input_size, "device": settings.get("device")},
        batch_size=int(settings.get("batch_size", 32)),
        on_batch=take,
        what="embedding",
        progress=bool(settings.get("progress", True)),
    )
    failed = [(Path(paths[i]), reasons[i]) for i in sorted(reasons)]
    return EmbedResult(embeddings, failed), embedding_meta(backbone, input_size)
