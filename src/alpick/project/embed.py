"""Embedding a project's images into a named, reusable, incrementally extended set."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from alpick.errors import AlpickError

if TYPE_CHECKING:
    from alpick.embed.pipeline import EmbedResult
    from alpick.store.project import ProjectStore
    from alpick.store.records import EmbeddingSet


@dataclass(frozen=True)
class EmbedReport:
    """What :func:`embed_project` did.

    Attributes:
        record: The stored set.
        embedded: Images embedded by this call (0 when the set was reused as it was).
        reused: Rows taken from the existing set.
        failed: ``(image, reason)`` of images that could not be decoded.
    """

    record: EmbeddingSet
    embedded: int
    reused: int
    failed: list[tuple[str, str]]


def default_set_name(model: str, input_size: int, ssl_epochs: int) -> str:
    """``efficientnet_lite0-224``, with ``-ssl<E>`` after SimCLR fine-tuning."""
    return f"{model}-{input_size}" + (f"-ssl{ssl_epochs}" if ssl_epochs else "")


def embed_project(
    project: ProjectStore,
    *,
    name: str | None = None,
    model: str = "efficientnet_lite0",
    weights: Path | None = None,
    allow_random: bool = False,
    input_size: int = 224,
    batch_size: int = 32,
    ssl_epochs: int = 0,
    skip_bad: bool = False,
    device: str | None = None,
    progress: bool = True,
    compute: Callable[..., tuple[EmbedResult, dict[str, Any]]] | None = None,
) -> EmbedReport:
    """Embed every sample of the project into the set ``name``, reusing what it already holds.

    When a set of that name exists with the same model, input size, weights and fine-tuning,
    only images added to the project since are embedded and appended. With ``ssl_epochs > 0``
    the backbone is first fine-tuned on the project's images with SimCLR and saved in
    ``.alpick/models/<name>.pt``; later calls embed new images with that saved backbone.
    ``compute`` replaces :func:`alpick.embed.compute_embeddings` (same arguments and result),
    e.g. to embed on a Ray cluster; the store is written here, by this process only.

    Raises:
        AlpickError: On bad settings, when images cannot be decoded (unless ``skip_bad``, which
            stores a row of NaN for them, reports them, and tries them again on the next run;
            selection never picks them), or when the project is empty.
    """
    from alpick.embed import compute_embeddings

    compute = compute or compute_embeddings

    samples = project.samples()
    if not samples:
        raise AlpickError("the project has no images (run `alpick init`)")
    project.check_writable()  # before minutes of computing, not after
    name = name or default_set_name(model, input_size, ssl_epochs)
    paths = [project.images_dir / s.path for s in samples]
    ssl_out = project.state_dir / "models" / f"{name}.pt"
    old, record = _reusable(project, name, model, weights, allow_random, input_size, ssl_out)
    # Rows of NaN are images a --skip-bad run could not read: tried again now.
    retry = np.flatnonzero(np.isnan(old).all(axis=1)) if old is not None else np.zeros(0, int)
    if old is not None and record is not None:
        if len(old) == len(paths) and not len(retry):
            return EmbedReport(record, 0, len(old), [])
        if ssl_epochs:  # extend in the saved fine-tuned space, without fine-tuning again
            weights, ssl_epochs = ssl_out, 0
    start = 0 if old is None else len(old)
    todo = [*retry.tolist(), *range(start, len(paths))]
    if ssl_epochs:
        ssl_out.parent.mkdir(parents=True, exist_ok=True)
    result, meta = compute(
        [paths[i] for i in todo],
        model=model,
        weights=weights,
        allow_random=allow_random,
        input_size=input_size,
        batch_size=batch_size,
        ssl_epochs=ssl_epochs,
        ssl_out=ssl_out if ssl_epochs else None,
        ssl_paths=paths if ssl_epochs else None,
        device=device,
        progress=progress,
    )
    failed = [(p.relative_to(project.images_dir).as_posix(), why) for p, why in result.failed]
    rows = result.embeddings
    if failed:
        if not skip_bad:
            shown = "; ".join(f"{p}: {why}" for p, why in failed[:3])
            more = f" (and {len(failed) - 3} more)" if len(failed) > 3 else ""
            raise AlpickError(
                f"{len(failed)} image(s) could not be read: {shown}{more}; "
                "fix or remove them, or pass --skip-bad to embed the rest"
            )
        rows = rows.astype(np.float32, copy=True)
        rows[~result.ok] = np.nan  # no embedding: never selected, retried by the next run
        meta = {**meta, "skipped": [p for p, _ in failed]}
    if old is None:
        full = rows
    else:
        dim = old.shape[1] if old.ndim == 2 else rows.shape[1]
        full = np.concatenate([old, np.full((len(paths) - len(old), dim), np.nan, np.float32)])
        full[todo] = rows
    saved = project.save_embeddings(name, full.astype(np.float32), model=model, meta=meta)
    return EmbedReport(saved, len(rows), start - len(retry), failed)


def _reusable(
    project: ProjectStore,
    name: str,
    model: str,
    weights: Path | None,
    allow_random: bool,
    input_size: int,
    ssl_out: Path,
) -> tuple[NDArray[np.float32] | None, EmbeddingSet | None]:
    """The stored rows of set ``name`` when they are in the space these settings give."""
    if not any(s.name == name for s in project.embedding_sets()):
        return None, None
    array, record = project.embeddings(name, partial=True)
    if record.meta.get("ssl_epochs"):
        weights = ssl_out if ssl_out.is_file() else weights
    from alpick.embed import build_backbone

    backbone = build_backbone(model, weights=weights, allow_random=allow_random)
    space = {
        "model": backbone.name,
        "input_size": input_size,
        "weights_hash": backbone.weights_hash,
        "ssl_epochs": int(backbone.info.get("ssl_epochs", 0)),
    }
    if all(record.meta.get(k) == v for k, v in space.items()):
        return array, record
    raise AlpickError(
        f"embedding set {name!r} was made with other settings (model, input size, weights or "
        "fine-tuning); give another --name"
    )


def draw_embedding_map(
    project: ProjectStore, out_png: Path, name: str | None = None
) -> EmbeddingSet:
    """Draw a 2-D map (PCA) of an embedding set (``None``: the latest), coloured by tag."""
    from alpick.embed import embedding_map

    array, record = project.embeddings(name)
    groups = {}
    for tag in project.tags():
        mask = np.zeros(len(array), dtype=bool)
        mask[project.positions(tag.sample_ids)] = True
        groups[tag.name] = mask
    embedding_map(array, out_png, groups=groups or None, title=f"embeddings {record.name}")
    return record
