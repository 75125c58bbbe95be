"""The records the store hands out: plain frozen dataclasses, no database handles inside."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Sample:
    """One image of the project.

    Attributes:
        id: Stable sample id (never reused).
        path: Path relative to the images root, posix separators.
        width: Width in pixels.
        height: Height in pixels.
        hash: Hex digest of the file's bytes (blake2b, 128 bits).
    """

    id: int
    path: str
    width: int
    height: int
    hash: str


@dataclass(frozen=True)
class Tag:
    """A named, immutable set of samples.

    Attributes:
        name: Unique name.
        parent: Name of the tag it was selected on top of (preselected), or ``None``.
        method: How it was made (``manual``, ``RANDOM``, ``CORESET``, ...).
        config: The full configuration that made it.
        seed: The random seed used, or ``None``.
        created_at: ISO 8601 UTC time of creation.
        sample_ids: Member sample ids, in insertion (pick) order.
    """

    name: str
    parent: str | None
    method: str
    config: dict[str, Any]
    seed: int | None
    created_at: str
    sample_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class EmbeddingSet:
    """A named ``(rows, dim)`` float32 matrix, one row per sample in ``samples()`` order.

    Attributes:
        name: Unique name.
        model: The model (or source) that made it.
        dim: Number of columns.
        rows: Number of rows (= samples in the project when it was saved).
        file: Array file, relative to the state folder ``.alpick``.
        meta: Free-form metadata (input size, epochs, source file, ...).
        created_at: ISO 8601 UTC time of creation.
    """

    name: str
    model: str
    dim: int
    rows: int
    file: str
    meta: dict[str, Any]
    created_at: str


@dataclass(frozen=True)
class PredictionSet:
    """A named set of predicted boxes per sample.

    Attributes:
        name: Unique name.
        source: Where the predictions came from (a run name, a folder, ...).
        classes: Class names, in id order.
        samples: Number of samples the set has an entry for.
        boxes: Total number of boxes.
        file: Array file (``.npz``), relative to the state folder.
        created_at: ISO 8601 UTC time of creation.
    """

    name: str
    source: str
    classes: list[str]
    samples: int
    boxes: int
    file: str
    created_at: str


@dataclass(frozen=True)
class ScoreSet:
    """Named per-sample score arrays, each ``(rows,)`` float64 in ``samples()`` order.

    Attributes:
        name: Unique name.
        prediction_set: Name of the prediction set the scores were computed from.
        score_names: Names of the score arrays.
        rows: Number of rows.
        file: Array file (``.npz``), relative to the state folder.
        created_at: ISO 8601 UTC time of creation.
    """

    name: str
    prediction_set: str
    score_names: list[str]
    rows: int
    file: str
    created_at: str


@dataclass(frozen=True)
class Run:
    """A detector training run.

    Attributes:
        name: Unique name.
        path: Its folder (checkpoints, metrics), as given.
        config: The training configuration.
        created_at: ISO 8601 UTC time it was (last) recorded.
    """

    name: str
    path: str
    config: dict[str, Any]
    created_at: str


@dataclass(frozen=True)
class ImportReport:
    """What :meth:`ProjectStore.import_samples` did.

    Attributes:
        added: Images new to the project.
        unchanged: Images already in the project.
        total: Images in the project afterwards.
        labelled: Added images with at least one ground-truth box.
        boxes: Ground-truth boxes of the added images.
        classes: Classes in the project afterwards.
    """

    added: int
    unchanged: int
    total: int
    labelled: int
    boxes: int
    classes: int
