"""The pool split into blocks and mapped by Ray Data; every result comes back to the driver.

Rows are ``index`` (the position in the caller's list) plus the columns the job needs (a path,
an image size). Blocks hold a whole number of batches, so every batch a worker sees is the batch
the single-process run forms (rows ``[k * batch, (k + 1) * batch)``), and the results are the
same to the bit. The driver consumes the results as they stream back, in any order, keyed by
``index``; only the driver writes the project.
"""

from __future__ import annotations

import math
import os
import socket
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from alpick.distributed.cluster import RayOptions, connected, worker_resources
from alpick.errors import AlpickError
from alpick.progress import progress_bar

if TYPE_CHECKING:
    from alpick.formats.detections import Detections

Batch = dict[str, NDArray[Any]]

#: Batches per block: enough blocks to keep every worker busy, few enough to cost nothing.
_MAX_BATCHES_PER_BLOCK = 16


def block_rows(n: int, batch_size: int, workers: int) -> int:
    """Rows per block: a multiple of ``batch_size``, about four blocks per worker at least."""
    batches = math.ceil(n / batch_size)
    per_block = max(1, min(_MAX_BATCHES_PER_BLOCK, math.ceil(batches / (4 * workers))))
    return per_block * batch_size


def make_dataset(ray: Any, columns: Mapping[str, NDArray[Any]], rows_per_block: int) -> Any:
    """A Ray dataset of ``columns`` plus ``index``, in blocks of ``rows_per_block`` rows."""
    import pyarrow as pa

    n = len(next(iter(columns.values())))
    table = pa.table({"index": np.arange(n, dtype=np.int64), **columns})
    blocks = [table.slice(lo, rows_per_block) for lo in range(0, n, rows_per_block)]
    return ray.data.from_arrow(blocks)


def where_am_i() -> str:
    """``on Ray worker HOST``: for messages about files a worker cannot see."""
    return f"on Ray worker {socket.gethostname()}"


def unreadable_note(path: str) -> str:
    """Why a worker may not read ``path``: empty when the file is there for it."""
    if os.path.exists(path):
        return ""
    return f" ({where_am_i()}: every node must see the project's files at the same path)"


def run_pool(
    options: RayOptions,
    columns: Mapping[str, NDArray[Any]],
    worker: type,
    constructor_kwargs: dict[str, Any],
    *,
    batch_size: int,
    on_batch: Callable[[Batch], None],
    what: str,
    progress: bool = True,
) -> int:
    """Map every row through ``worker`` actors (each built once with ``constructor_kwargs``)
    in batches of ``batch_size``; hand each result batch to ``on_batch`` on the driver.

    Returns:
        The number of actors used.

    Raises:
        AlpickError: Without Ray, an unreachable cluster, or a worker that failed.
    """
    n = len(next(iter(columns.values())))
    with connected(options.address) as ray:
        workers, cpus, gpus = worker_resources(ray, options)
        workers = max(1, min(workers, math.ceil(n / batch_size)))
        dataset = make_dataset(ray, columns, block_rows(n, batch_size, workers))
        with warnings.catch_warnings():
            # max_restarts=0: a failed worker fails the job, and Ray prints no line about
            # restarting actors whose model lives in the object store. Ray Data's actor pool
            # reads it from the remote arguments, which Ray 2.5x flags as deprecated.
            warnings.simplefilter("ignore", DeprecationWarning)
            mapped = dataset.map_batches(
                worker,
                fn_constructor_kwargs={**constructor_kwargs, "threads": max(1, int(cpus))},
                batch_size=batch_size,
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=workers),
                num_cpus=cpus,
                num_gpus=gpus,
                max_restarts=0,
            )
        label = f"{what} on Ray ({workers} worker{'s' if workers > 1 else ''})"
        with progress_bar(n, label, enabled=progress) as advance:
            try:
                for batch in mapped.iter_batches(batch_size=None, batch_format="numpy"):
                    on_batch(batch)
                    advance(len(batch["index"]))
            except AlpickError:
                raise
            except Exception as exc:  # Ray's wrapped worker errors: one line, the cause's
                raise AlpickError(f"a Ray worker failed while {what}: {_last_line(exc)}") from None
    return workers


def first_error(batch: Batch, key: str = "error") -> tuple[int, str] | None:
    """``(index, message)`` of the batch's first row whose ``key`` column is not empty."""
    messages = batch[key]
    bad = [i for i, m in enumerate(messages) if m]
    if not bad:
        return None
    return int(batch["index"][bad[0]]), str(messages[bad[0]])


def _last_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def first_row(payload: Any, n: int) -> NDArray[Any]:
    """An ``(n,)`` object column whose row 0 carries ``payload`` for the whole batch (the
    others are ``None``): Ray pickles one object per batch instead of one per row."""
    column = np.full(n, None, dtype=object)
    if n:
        column[0] = payload
    return column


def payloads(batch: Batch, key: str) -> Iterator[Any]:
    """The payloads of :func:`first_row` columns in a result batch (wherever Ray's blocks cut
    the rows, each payload arrives once)."""
    return (p for p in batch[key] if p is not None)


def boxes_column(batch: Batch, dets: Sequence[Detections] | None, **extra: Any) -> NDArray[Any]:
    """The ``packed`` column of a worker's result: the batch's boxes as flat arrays (``None``
    when the batch failed), its indices and ``extra`` fields, in one :func:`first_row` payload."""
    n = len(batch["index"])
    if dets is None:
        return first_row(None, n)
    index = np.asarray(batch["index"], dtype=np.int64)
    return first_row({"index": index, "boxes": flatten_detections(dets), **extra}, n)


def returned_boxes(batch: Batch) -> Iterator[tuple[list[int], list[Detections], dict[str, Any]]]:
    """For each :func:`boxes_column` payload in a result batch: its indices, its boxes and the
    payload itself (for the ``extra`` fields)."""
    for packed in payloads(batch, "packed"):
        yield packed["index"].tolist(), unflatten_detections(packed["boxes"]), packed


def flatten_detections(dets: Sequence[Detections]) -> dict[str, Any]:
    """The boxes of many images as a few flat arrays, for sending (:func:`unflatten_detections`
    gives them back exactly, ``None`` confidences and class probabilities included).

    A million per-image objects cost the driver about 2 GiB on the way back from Ray; the same
    boxes as flat arrays cost what the arrays hold.
    """
    counts = np.array([len(d) for d in dets], dtype=np.int64)
    has_conf = np.array([d.confidence is not None for d in dets], dtype=bool)
    has_probs = np.array([d.class_probs is not None for d in dets], dtype=bool)
    widths = {d.class_probs.shape[1] for d in dets if d.class_probs is not None}
    if len(widths) > 1 or (has_probs.any() and not has_probs[counts > 0].all()):
        return {"list": list(dets)}  # mixed class probabilities: sent as they are (rare)
    filled = [d for d in dets if len(d)]
    confidences = [
        d.confidence if d.confidence is not None else np.zeros(len(d), np.float32) for d in filled
    ]
    flat: dict[str, Any] = {
        "offsets": np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        "has_conf": has_conf,
        "has_probs": has_probs,
        "xyxy": _concat([d.xyxy for d in filled], (0, 4), np.float32),
        "class_id": _concat([d.class_id for d in filled], (0,), np.int64),
        "confidence": _concat(confidences, (0,), np.float32),
    }
    if widths:
        probs = [d.class_probs for d in filled if d.class_probs is not None]
        flat["class_probs"] = _concat(probs, (0, widths.pop()), np.float32)
    return flat


def unflatten_detections(flat: Mapping[str, Any]) -> list[Detections]:
    """Inverse of :func:`flatten_detections`."""
    from alpick.formats.detections import Detections

    if "list" in flat:
        return list(flat["list"])
    offsets = flat["offsets"].tolist()
    xyxy, class_id, conf = flat["xyxy"], flat["class_id"], flat["confidence"]
    probs = flat.get("class_probs")
    out = []
    for i, (with_conf, with_probs) in enumerate(
        zip(flat["has_conf"].tolist(), flat["has_probs"].tolist(), strict=True)
    ):
        a, b = offsets[i], offsets[i + 1]
        out.append(
            Detections.unchecked(
                xyxy[a:b],
                class_id[a:b],
                conf[a:b] if with_conf else None,
                probs[a:b] if with_probs and probs is not None else None,
            )
        )
    return out


def _concat(parts: list[NDArray[Any]], empty: tuple[int, ...], dtype: type) -> NDArray[Any]:
    return np.concatenate(parts) if parts else np.zeros(empty, dtype=dtype)
