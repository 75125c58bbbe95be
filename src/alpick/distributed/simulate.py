"""``alpick simulate --ray``: each strategy and seed a Ray task with resources of its own.

A task runs its lineage exactly as a local process does (the same rounds for the same seed,
resuming from ``rounds.jsonl``, appending each round there as it ends), so the output folder
and the images must be on storage every node sees. ``alpick report`` merges folders as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from alpick.distributed.cluster import RayOptions, connected, require_ray, worker_resources
from alpick.errors import AlpickError

if TYPE_CHECKING:
    from alpick.simulate.parallel import Jobs, Lineage, LineageExecutor
    from alpick.simulate.runner import RoundResult


def run_job(job: Callable[[], list[RoundResult]], threads: int) -> list[RoundResult]:
    """One lineage, in a Ray worker, with as many torch threads as its CPUs."""
    import torch

    torch.set_num_threads(threads)
    return job()


def ray_lineages(options: RayOptions) -> Any:
    """A :data:`~alpick.simulate.parallel.LineageExecutor` that runs each lineage as a Ray task
    of ``options.cpus_per_worker`` CPUs and ``options.gpus_per_worker`` GPUs (``None``: one
    when the cluster has GPUs); Ray queues the tasks that do not fit yet.

    Raises:
        AlpickError: No Ray, an unreachable cluster, a cluster too small for one task, or a
            failed task (its one-line message when it was alpick's).
    """
    require_ray()

    def execute(jobs: Jobs) -> Iterator[tuple[Lineage, list[RoundResult]]]:
        with connected(options.address) as ray:
            _, cpus, gpus = worker_resources(ray, options)
            remote = ray.remote(run_job).options(num_cpus=cpus, num_gpus=gpus, max_retries=0)
            threads = max(1, int(cpus))
            refs = {remote.remote(job, threads): key for key, job in jobs.items()}
            pending = list(refs)
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                yield refs[done[0]], _get(ray, done[0])

    executor: LineageExecutor = execute
    return executor


def _get(ray: Any, ref: Any) -> list[RoundResult]:
    try:
        rows: list[RoundResult] = ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, AlpickError):
            raise AlpickError(str(cause)) from None
        lines = [line for line in str(exc).splitlines() if line.strip()]
        raise AlpickError(f"a Ray simulation task failed: {lines[-1] if lines else exc}") from None
    return rows
