"""Connecting to a Ray cluster, and how many workers the pool of a job gets there.

``ray`` is an optional extra (``pip install 'alpick[ray]'``): it is imported here, inside the
functions, and only when a command is given ``--ray``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from alpick.errors import AlpickError

if TYPE_CHECKING:
    from types import ModuleType

INSTALL_HINT = "pip install 'alpick[ray]'"


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide a job runs on Ray.

    Attributes:
        address: What ``ray.init`` connects to: ``auto`` (``RAY_ADDRESS``, else the cluster
            started on this machine with ``ray start``), ``local`` (a cluster of this machine
            alone, for this command only), ``HOST:PORT`` or ``ray://HOST:PORT``.
        workers: Actors holding the model (``None``: one per GPU of the cluster, else one per
            ``cpus_per_worker`` of its CPUs).
        cpus_per_worker: CPUs reserved by each actor (and its torch threads).
        gpus_per_worker: GPUs reserved by each actor (``None``: 1 when the cluster has GPUs).
    """

    address: str = "auto"
    workers: int | None = None
    cpus_per_worker: float = 1.0
    gpus_per_worker: float | None = None

    def __post_init__(self) -> None:
        if not self.address.strip():
            raise AlpickError("--ray needs an address: auto, local, HOST:PORT or ray://HOST:PORT")
        if self.workers is not None and self.workers < 1:
            raise AlpickError("--ray-workers must be at least 1")
        if self.cpus_per_worker <= 0:
            raise AlpickError("--cpus-per-worker must be positive")
        if self.gpus_per_worker is not None and self.gpus_per_worker < 0:
            raise AlpickError("--gpus-per-worker must be >= 0")


def require_ray() -> ModuleType:
    """The ``ray`` module, or a one-line error saying how to install it."""
    try:
        import ray
        import ray.data  # the part of the extra alpick uses
    except ImportError:
        raise AlpickError(f"--ray needs Ray: {INSTALL_HINT}") from None
    return ray


@contextmanager
def connected(address: str) -> Iterator[ModuleType]:
    """Ray, connected to ``address`` for the block (an existing connection is reused and kept).

    Raises:
        AlpickError: Without Ray installed, or when the cluster cannot be reached.
    """
    ray = require_ray()
    if ray.is_initialized():
        yield ray
        return
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        ray.init(
            address=address,
            include_dashboard=False,
            logging_level=logging.ERROR,
            configure_logging=True,
        )
    except (ConnectionError, RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AlpickError(
            f"cannot reach the Ray cluster at {address!r}: {first} (start one with "
            "`ray start --head`, or pass --ray local for this machine alone)"
        ) from None
    try:
        ray.data.DataContext.get_current().enable_progress_bars = False
        yield ray
    finally:
        ray.shutdown()


def cluster_resources(ray: Any) -> tuple[float, float]:
    """The cluster's CPUs and GPUs."""
    total = ray.cluster_resources()
    return float(total.get("CPU", 0.0)), float(total.get("GPU", 0.0))


def worker_resources(ray: Any, options: RayOptions) -> tuple[int, float, float]:
    """``(actors, cpus each, gpus each)`` for a model pool on this cluster.

    Raises:
        AlpickError: When the cluster cannot hold even one such actor.
    """
    cpus, gpus = cluster_resources(ray)
    per_gpu = options.gpus_per_worker
    if per_gpu is None:
        per_gpu = 1.0 if gpus >= 1 else 0.0
    per_cpu = options.cpus_per_worker
    fits = [cpus / per_cpu] + ([gpus / per_gpu] if per_gpu > 0 else [])
    most = int(min(fits) + 1e-9)
    if most < 1:
        raise AlpickError(
            f"the Ray cluster has {cpus:g} CPUs and {gpus:g} GPUs: not enough for one worker of "
            f"{per_cpu:g} CPUs and {per_gpu:g} GPUs"
        )
    workers = most if options.workers is None else min(options.workers, most)
    return workers, per_cpu, per_gpu
