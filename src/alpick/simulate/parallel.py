"""Where the simulation's lineages (one per strategy and seed) run when not one after another.

An executor takes one job per lineage (a picklable call that runs that strategy and seed to the
end, appending its rounds to ``rounds.jsonl``, and returns them) and yields each lineage with its
rounds as it finishes. :func:`in_processes` is the local one; ``alpick.distributed.simulate``
runs them as Ray tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alpick.simulate.runner import RoundResult

Lineage = tuple[str, int]
#: Runs jobs (one per strategy and seed, each a picklable call returning that lineage's new
#: rounds) and yields each lineage with its rounds as it finishes, in any order.
Jobs = Mapping[Lineage, Callable[[], list["RoundResult"]]]
LineageExecutor = Callable[[Jobs], Iterator[tuple[Lineage, list["RoundResult"]]]]


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def in_processes(workers: int) -> LineageExecutor:
    """Jobs in ``workers`` local processes of one torch thread each."""

    def execute(jobs: Jobs) -> Iterator[tuple[Lineage, list[RoundResult]]]:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_one_thread) as pool:
            futures = {pool.submit(job): key for key, job in jobs.items()}
            for future in as_completed(futures):
                yield futures[future], future.result()

    return execute
