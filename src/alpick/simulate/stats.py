"""Paired comparisons of strategies over seeds: how sure is a difference to RANDOM?

Every strategy of a simulation starts each seed from the same initial set and is evaluated on
the same test split, so the fair comparison pairs them by seed: the difference of a strategy to
RANDOM is computed seed by seed, and its uncertainty comes from resampling *seeds* with
replacement (a percentile bootstrap over the paired differences). With few seeds the interval
is wide; that is the point: a difference whose interval excludes zero is one the seeds agree on.

Pure numpy; the randomness of the bootstrap is explicit (``seed``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from alpick.simulate.runner import RoundResult

#: Bootstrap resamples drawn by default.
N_BOOT = 10_000


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided percentile interval (``low <= high``).

    ``low``/``high`` may be ``inf`` for a quantity that some resamples never reach.
    """

    value: float
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        """Whether the interval lies entirely on one side of zero."""
        return bool(self.low > 0 or self.high < 0)


@dataclass(frozen=True)
class SeedCurves:
    """One metric per (seed, labelled count) of one strategy, seeds as rows."""

    strategy: str
    seeds: tuple[int, ...]
    n_labelled: NDArray[np.float64]
    values: NDArray[np.float64]  # (seeds, counts); NaN where a round is missing


def seed_curves(rows: Sequence[RoundResult], metric: str = "AP50") -> dict[str, SeedCurves]:
    """Each strategy's per-seed curves on the labelled counts every strategy shares."""
    strategies = list(dict.fromkeys(r.strategy for r in rows))
    if not strategies:
        return {}
    counts = sorted(
        set.intersection(*({r.n_labelled for r in rows if r.strategy == s} for s in strategies))
    )
    out: dict[str, SeedCurves] = {}
    for s in strategies:
        mine = [r for r in rows if r.strategy == s]
        seeds = tuple(sorted({r.seed for r in mine}))
        values = np.full((len(seeds), len(counts)), np.nan)
        col = {n: j for j, n in enumerate(counts)}
        row = {seed: i for i, seed in enumerate(seeds)}
        for r in mine:
            if r.n_labelled in col:
                values[row[r.seed], col[r.n_labelled]] = r.metrics.get(metric, np.nan)
        out[s] = SeedCurves(s, seeds, np.array(counts, np.float64), values)
    return out


def paired_bootstrap(
    diffs: NDArray[np.float64], *, n_boot: int = N_BOOT, seed: int = 0, level: float = 0.95
) -> Interval:
    """The mean of paired differences with its percentile bootstrap interval.

    Args:
        diffs: One difference per seed (or per pair); NaNs are dropped.
        n_boot: Resamples of the seeds, with replacement.
        seed: Seed of the resampling.
        level: Coverage of the interval.
    """
    d = np.asarray(diffs, np.float64)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return Interval(np.nan, np.nan, np.nan)
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, d.size, size=(n_boot, d.size))].mean(axis=1)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return Interval(float(d.mean()), float(low), float(high))


def area(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """Normalised area under curves ``y`` (rows) over ``x``: trapezoids / labelled range."""
    y = np.atleast_2d(y)
    if len(x) == 1:
        return np.asarray(y[:, 0], np.float64)
    return np.asarray(np.trapezoid(y, x, axis=1) / (x[-1] - x[0]), np.float64)


def reach(x: NDArray[np.float64], y: NDArray[np.float64], target: float) -> float:
    """Labelled count at which curve ``y`` first reaches ``target`` (linear interpolation).

    ``inf`` when it never does.
    """
    hit = np.flatnonzero(y >= target)
    if hit.size == 0:
        return float("inf")
    i = int(hit[0])
    if i == 0 or y[i] == y[i - 1]:
        return float(x[i])
    return float(x[i - 1] + (target - y[i - 1]) * (x[i] - x[i - 1]) / (y[i] - y[i - 1]))


@dataclass(frozen=True)
class Comparison:
    """One strategy against the reference (RANDOM), paired by seed.

    Attributes:
        strategy: The strategy.
        seeds: Seeds both ran.
        n_labelled: The labelled counts compared.
        diff: Per labelled count, the mean difference (strategy - reference) with its interval.
        auc_diff: The difference in normalised area under the curve.
        labels_needed: Labelled images the strategy's mean curve needs to reach the reference's
            final mean value; its interval resamples seeds (``inf``: not reached).
        final_n: The reference's final labelled count (what "100% of the labels" is).
    """

    strategy: str
    seeds: tuple[int, ...]
    n_labelled: NDArray[np.float64]
    diff: tuple[Interval, ...]
    auc_diff: Interval
    labels_needed: Interval
    final_n: float

    @property
    def label_share(self) -> Interval:
        """``labels_needed`` as a share of the reference's final labelled count."""
        n = self.labels_needed
        return Interval(n.value / self.final_n, n.low / self.final_n, n.high / self.final_n)


def compare_to_reference(
    rows: Sequence[RoundResult],
    *,
    metric: str = "AP50",
    reference: str = "random",
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> list[Comparison]:
    """Paired comparisons of every other strategy with ``reference`` (empty without it)."""
    table = seed_curves(rows, metric)
    ref = table.get(reference)
    if ref is None or not len(ref.n_labelled):
        return []
    out = []
    for name, cur in table.items():
        if name == reference:
            continue
        seeds = tuple(s for s in cur.seeds if s in ref.seeds)
        if not seeds:
            continue
        a = cur.values[[cur.seeds.index(s) for s in seeds]]
        b = ref.values[[ref.seeds.index(s) for s in seeds]]
        x = cur.n_labelled
        diff = tuple(
            paired_bootstrap(a[:, j] - b[:, j], n_boot=n_boot, seed=seed) for j in range(len(x))
        )
        auc = paired_bootstrap(area(x, a) - area(x, b), n_boot=n_boot, seed=seed)
        out.append(
            Comparison(
                name, seeds, x, diff, auc, _labels_needed(x, a, b, n_boot, seed), float(x[-1])
            )
        )
    return out


def _labels_needed(
    x: NDArray[np.float64],
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    n_boot: int,
    seed: int,
) -> Interval:
    """Labels ``a``'s mean curve needs to reach ``b``'s final mean, seeds resampled in pairs."""

    def need(index: NDArray[np.int64]) -> float:
        target = float(np.nanmean(b[index, -1]))
        return reach(x, np.nanmean(a[index], axis=0), target)

    everyone = np.arange(len(a))
    rng = np.random.default_rng(seed)
    draws = np.array([need(rng.integers(0, len(a), size=len(a))) for _ in range(n_boot)])
    # nearest rank, so that "not reached" (inf) in the tail stays inf instead of becoming NaN
    low, high = np.percentile(draws, [2.5, 97.5], method="nearest")
    return Interval(need(everyone), float(low), float(high))
