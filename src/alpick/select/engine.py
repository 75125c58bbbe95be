"""The selection engine: thresholds filter, then greedy picks maximise a product of objectives.

Each strategy turns its input into an objective in [0, 1] per sample; each greedy step picks
the candidate maximising ``prod(objective_i ** strength_i)``, computed as the sum of
``strength_i * log(objective_i)`` (the same argmax, no overflow). Static objectives (WEIGHTS,
RANDOM, TYPICALITY, SIMILARITY) are computed once; DIVERSITY and BALANCE change after every
pick. DIVERSITY runs on L2-normalised embeddings through the same streaming
:class:`~alpick.select.distance.MinDistance` as :func:`~alpick.select.kcenter.k_center_greedy`,
and a config whose only ranking strategy is DIVERSITY goes through the very same greedy loop,
so CORESET equals ``k_center_greedy`` on normalised embeddings pick for pick.

Ties go to the lowest index, except the first pick of a DIVERSITY selection without preselected
samples: no distance exists yet, so it is drawn with ``rng`` among the best candidates.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from alpick.select.balance import BalanceObjective
from alpick.select.config import InputKind, SelectionConfig, StrategyConfig, StrategyKind
from alpick.select.distance import MinDistance, l2_normalize
from alpick.select.errors import SelectionError
from alpick.select.inputs import SelectionInputs, missing_rows
from alpick.select.kcenter import greedy_farthest
from alpick.select.similarity import query_similarity
from alpick.select.threshold import threshold_mask
from alpick.select.typicality import DEFAULT_K, typicality
from alpick.select.weights import normalized_weights, random_weights

Float64Array = NDArray[np.float64]
Int64Array = NDArray[np.int64]


def _log(objective: Float64Array, strength: float) -> Float64Array:
    """``strength * log(objective)`` with ``log 0 = -inf`` and no warnings."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return strength * np.log(objective)


def _candidates(
    config: SelectionConfig, inputs: SelectionInputs, preselected: NDArray[np.bool_]
) -> NDArray[np.bool_]:
    """Samples neither preselected nor filtered out by a THRESHOLD."""
    n = len(preselected)
    candidates = ~preselected
    if inputs.embeddings is not None:  # a NaN row is a sample with no embedding: never picked
        emb = np.asarray(inputs.embeddings, dtype=np.float32)
        if emb.ndim == 2 and len(emb) == n:
            candidates &= ~missing_rows(emb)
    for s in config.strategies:
        if s.strategy == StrategyKind.THRESHOLD:
            assert s.threshold is not None and s.operation is not None
            candidates &= threshold_mask(inputs.values_for(s, n), s.threshold, s.operation)
    return candidates


class _Objectives:
    """The ranking strategies of a config, prepared for the greedy loop."""

    def __init__(
        self,
        config: SelectionConfig,
        inputs: SelectionInputs,
        preselected: NDArray[np.bool_],
        rng: np.random.Generator,
    ) -> None:
        n = len(preselected)
        self.static = np.zeros(n)
        self.has_static = False
        self.diversity: StrategyConfig | None = None
        self.distances: MinDistance | None = None
        self.balances: list[tuple[float, BalanceObjective]] = []
        embeddings: NDArray[np.float32] | None = None
        pre_idx = np.flatnonzero(preselected)
        for s in config.strategies:
            if s.strategy == StrategyKind.THRESHOLD or s.strength == 0.0:
                continue
            if s.input == InputKind.EMBEDDINGS and embeddings is None:
                raw = inputs.embeddings_for(s, n)
                given = inputs.embeddings
                copied = not isinstance(given, np.ndarray) or not np.may_share_memory(raw, given)
                embeddings = l2_normalize(raw, inplace=inputs.own_embeddings or copied)
            if s.strategy == StrategyKind.DIVERSITY:
                assert embeddings is not None
                self.diversity = s
                self.distances = MinDistance(embeddings)
                if len(pre_idx):
                    self.distances.add_centers(pre_idx)
                    self.distances.exclude(pre_idx)
            elif s.strategy == StrategyKind.BALANCE:
                assert s.target is not None
                balance = BalanceObjective(inputs.categories_for(s, n), s.target)
                balance.add(pre_idx)
                self.balances.append((s.strength, balance))
            else:
                self.static += _log(
                    self._static_objective(s, inputs, embeddings, n, rng), s.strength
                )
                self.has_static = True
        self.static[np.isnan(self.static)] = -np.inf

    @staticmethod
    def _static_objective(
        s: StrategyConfig,
        inputs: SelectionInputs,
        embeddings: NDArray[np.float32] | None,
        n: int,
        rng: np.random.Generator,
    ) -> Float64Array:
        if s.strategy == StrategyKind.WEIGHTS:
            if s.input == InputKind.RANDOM:
                return random_weights(n, rng)
            return normalized_weights(inputs.values_for(s, n))
        assert embeddings is not None
        if s.strategy == StrategyKind.TYPICALITY:
            return typicality(embeddings, rng=rng, k=s.k or DEFAULT_K)
        return query_similarity(embeddings, inputs.query_mask(s, n))

    @property
    def only_diversity(self) -> bool:
        return (
            self.diversity is not None
            and self.diversity.strength > 0
            and not self.has_static
            and not self.balances
        )

    def pick_order(
        self, candidates: NDArray[np.bool_], n_new: int, rng: np.random.Generator
    ) -> Int64Array:
        """The greedy picks, ``(<= n_new,)`` (fewer when DIVERSITY's stopping condition hits)."""
        cand_idx = np.flatnonzero(candidates)
        if self.only_diversity:
            assert self.distances is not None and self.diversity is not None
            self.distances.exclude(np.flatnonzero(~candidates))
            return greedy_farthest(
                self.distances,
                n_new,
                first_from=cand_idx,
                rng=rng,
                stop_distance=self.diversity.stopping_condition_minimum_distance,
            )
        if self.distances is None and not self.balances:
            order = np.argsort(-self.static[cand_idx], kind="stable")
            return cand_idx[order[:n_new]]
        return self._greedy(candidates.copy(), n_new, rng)

    def _greedy(
        self, available: NDArray[np.bool_], n_new: int, rng: np.random.Generator
    ) -> Int64Array:
        picks: list[int] = []
        md, div = self.distances, self.diversity
        while len(picks) < n_new:
            idx = np.flatnonzero(available)
            score = self.static[idx].copy()
            first_diverse = md is not None and md.n_centers == 0
            if md is not None and div is not None and not first_diverse:
                dist = md.distances(idx)
                dmax = float(dist.max())
                stop = div.stopping_condition_minimum_distance
                if stop is not None and dmax < stop:
                    break
                if dmax > 0:
                    score += _log(dist / dmax, div.strength)
            for strength, balance in self.balances:
                score += _log(balance.objective(idx), strength)
            score[np.isnan(score)] = -np.inf
            if first_diverse:
                ties = np.flatnonzero(score == score.max())
                choice = int(ties[rng.integers(len(ties))])
            else:
                choice = int(np.argmax(score))
            pick = int(idx[choice])
            picks.append(pick)
            available[pick] = False
            if md is not None:
                md.exclude(pick)
                if len(picks) < n_new:
                    md.add_center(pick)
            for _, balance in self.balances:
                balance.add(pick)
        return np.asarray(picks, dtype=np.int64)


def select_samples(
    config: SelectionConfig,
    inputs: SelectionInputs,
    preselected: ArrayLike,
    *,
    rng: np.random.Generator | None = None,
) -> Int64Array:
    """Run a selection: the new samples to add to the preselected ones, in pick order.

    Args:
        config: Strategies and the total size (``n_samples`` counts the preselected samples).
        inputs: The arrays the strategies read, one row per pool sample.
        preselected: ``(N,)`` bool mask of the samples already selected (the parent tag).
        rng: Randomness (RANDOM weights, TYPICALITY references, the first diverse pick);
            default ``np.random.default_rng(0)``. Same inputs and seed give the same picks.

    Returns:
        ``(n_new,)`` int64 row indices, never preselected; fewer than asked only when
        DIVERSITY's ``stopping_condition_minimum_distance`` stops the selection early.

    Raises:
        SelectionError: (a ``ValueError``) for a total below the preselected count or above
            the pool, fewer candidates passing the thresholds than needed, or a missing or
            malformed input (the message names it).
    """
    pre = np.asarray(preselected, dtype=bool).reshape(-1)
    n = len(pre)
    n_pre = int(pre.sum())
    total = config.total_samples(n)
    if total < n_pre:
        raise SelectionError(
            f"n_samples is the total including the preselected samples: {total} < {n_pre}"
        )
    if total > n:
        raise SelectionError(f"cannot select {total} samples from a pool of {n}")
    rng = np.random.default_rng(0) if rng is None else rng
    candidates = _candidates(config, inputs, pre)
    n_new = total - n_pre
    n_cand = int(candidates.sum())
    if n_new > n_cand:
        raise SelectionError(
            f"need {n_new} new samples but only {n_cand} pass the thresholds "
            "and are not preselected"
        )
    objectives = _Objectives(config, inputs, pre, rng)
    if n_new == 0:
        return np.zeros(0, dtype=np.int64)
    return objectives.pick_order(candidates, n_new, rng)
