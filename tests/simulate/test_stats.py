"""Paired comparisons over seeds: bootstrap intervals, area and labels-to-reach."""

from __future__ import annotations

import math

import numpy as np

from alpick.simulate.report import report_markdown
from alpick.simulate.runner import RoundResult
from alpick.simulate.stats import (
    area,
    compare_to_reference,
    paired_bootstrap,
    reach,
    seed_curves,
)


def _row(strategy: str, seed: int, rnd: int, n: int, ap50: float) -> RoundResult:
    return RoundResult(strategy, seed, rnd, n, {"AP50": ap50}, [], [], {}, 0, {})


def _rows(gain: float, noise: float, seeds: int = 5) -> list[RoundResult]:
    """RANDOM climbs 0.1 per round; ``better`` is ``gain`` ahead after round 0, plus noise."""
    rng = np.random.default_rng(0)
    rows = []
    for seed in range(seeds):
        for rnd, n in enumerate((10, 20, 30, 40)):
            base = 0.1 * (rnd + 1) + rng.normal(0, noise)
            rows.append(_row("random", seed, rnd, n, base))
            extra = gain if rnd else 0.0
            rows.append(_row("better", seed, rnd, n, base + extra + rng.normal(0, noise / 4)))
    return rows


def test_bootstrap_interval_covers_the_mean_and_narrows_with_agreement() -> None:
    agree = paired_bootstrap(np.array([0.05, 0.06, 0.04, 0.05, 0.055]))
    assert agree.low <= agree.value <= agree.high
    assert agree.excludes_zero
    mixed = paired_bootstrap(np.array([0.05, -0.06, 0.04, -0.05, 0.01]))
    assert not mixed.excludes_zero
    assert mixed.high - mixed.low > agree.high - agree.low
    assert paired_bootstrap(np.array([0.1, 0.2]), seed=3) == paired_bootstrap(
        np.array([0.1, 0.2]), seed=3
    )
    assert math.isnan(paired_bootstrap(np.array([np.nan])).value)


def test_area_and_reach() -> None:
    x = np.array([10.0, 20.0, 30.0])
    assert area(x, np.array([[0.2, 0.2, 0.2]]))[0] == 0.2
    assert np.isclose(area(x, np.array([0.0, 0.5, 1.0]))[0], 0.5)
    y = np.array([0.1, 0.3, 0.5])
    assert reach(x, y, 0.1) == 10.0
    assert np.isclose(reach(x, y, 0.4), 25.0)
    assert reach(x, y, 0.6) == math.inf


def test_a_consistent_gain_is_significant_and_saves_labels() -> None:
    (c,) = compare_to_reference(_rows(gain=0.1, noise=0.01))
    assert c.strategy == "better" and c.seeds == (0, 1, 2, 3, 4)
    assert not c.diff[0].excludes_zero  # same start
    assert all(d.excludes_zero and d.value > 0.05 for d in c.diff[1:])
    assert c.auc_diff.excludes_zero
    # RANDOM ends near 0.4 at 40 labels; "better" is there at about 30
    assert 0.65 < c.label_share.value < 0.85
    assert c.label_share.high < 1.0


def test_no_gain_is_not_called_a_win() -> None:
    (c,) = compare_to_reference(_rows(gain=0.0, noise=0.05))
    assert not c.auc_diff.excludes_zero
    assert not any(d.excludes_zero for d in c.diff)


def test_a_strategy_that_never_reaches_random_says_so() -> None:
    (c,) = compare_to_reference(_rows(gain=-0.2, noise=0.01))
    assert c.labels_needed.value == math.inf
    assert "not reached" in report_markdown(_rows(gain=-0.2, noise=0.01))


def test_missing_rounds_and_reference() -> None:
    rows = _rows(gain=0.1, noise=0.01)
    partial = [r for r in rows if not (r.strategy == "better" and r.n_labelled == 40)]
    table = seed_curves(partial)
    assert list(table["random"].n_labelled) == [10, 20, 30]  # only shared counts
    assert compare_to_reference([r for r in rows if r.strategy != "random"]) == []
    assert seed_curves([]) == {} and compare_to_reference([]) == []


def test_report_has_the_paired_table_only_with_several_seeds() -> None:
    text = report_markdown(_rows(gain=0.1, noise=0.01))
    assert "paired by seed" in text and "| better |" in text and "*" in text
    one_seed = report_markdown(_rows(gain=0.1, noise=0.01, seeds=1))
    assert "paired by seed" not in one_seed
