"""BALANCE: favour samples whose category is below its target share of the selection.

After ``t`` samples are selected (preselected ones included), category ``c`` with target share
``p_c`` and ``n_c`` selected samples has the deficit ``p_c (t + 1) - n_c``: how many samples it
lacks if the next pick goes elsewhere. A candidate's objective is its category's deficit over
the largest deficit among the candidates' categories, clipped at 0 (categories at or above their
target, and unlisted ones, whose target is 0, get 0). When no candidate's category lacks
samples, every candidate gets 1. Alone, this greedy rule keeps every count within one of
``p_c t`` while the pool has samples of every category.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

Float64Array = NDArray[np.float64]
Int64Array = NDArray[np.int64]


class BalanceObjective:
    """The BALANCE objective of one categorical input, updated as samples are picked.

    Args:
        categories: ``(N,)`` category of each sample (compared as strings with the targets).
        target: Target share per category value.
    """

    def __init__(self, categories: NDArray[np.str_], target: Mapping[str, float]) -> None:
        labels, codes = np.unique(np.asarray(categories).astype(str), return_inverse=True)
        self.codes: Int64Array = codes.astype(np.int64).reshape(-1)
        self.target: Float64Array = np.array([target.get(str(v), 0.0) for v in labels])
        self.counts: Float64Array = np.zeros(len(labels))
        self.total = 0

    def add(self, indices: Int64Array | int) -> None:
        """Count these samples as selected."""
        codes = self.codes[np.atleast_1d(np.asarray(indices, dtype=np.int64))]
        np.add.at(self.counts, codes, 1.0)
        self.total += len(codes)

    def objective(self, candidates: Int64Array) -> Float64Array:
        """The objective in [0, 1] of each candidate, ``(len(candidates),)``."""
        deficit = self.target * (self.total + 1) - self.counts
        cand_deficit = deficit[self.codes[candidates]]
        best = float(cand_deficit.max()) if len(cand_deficit) else 0.0
        if best <= 0.0:
            return np.ones(len(candidates))
        return np.clip(cand_deficit / best, 0.0, 1.0)
