import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from alpick.select import SelectionError, k_center_greedy


def _radius(x: np.ndarray, centers: np.ndarray) -> float:
    d = np.sqrt(((x[:, None, :].astype(np.float64) - x[None, centers, :]) ** 2).sum(-1))
    return float(d.min(axis=1).max())


points = st.integers(2, 10).flatmap(
    lambda n: st.tuples(
        arrays(np.float32, (n, 2), elements=st.integers(-20, 20).map(float)),
        arrays(np.bool_, (n,)),
    )
)


@settings(max_examples=150, deadline=None)
@given(points, st.integers(0, 10), st.integers(0, 3))
def test_never_picks_preselected_or_twice(case: tuple, n: int, seed: int) -> None:
    x, pre = case
    n = min(n, int((~pre).sum()))
    picks = k_center_greedy(x, pre, n, rng=np.random.default_rng(seed))
    assert picks.dtype == np.int64
    assert len(picks) == n
    assert len(set(picks.tolist())) == n
    assert not pre[picks].any()


@settings(max_examples=150, deadline=None)
@given(points, st.integers(1, 4), st.integers(0, 3))
def test_coverage_within_twice_optimal(case: tuple, n: int, seed: int) -> None:
    x, pre = case
    free = np.flatnonzero(~pre)
    n = min(n, len(free))
    if n == 0:
        return
    picks = k_center_greedy(x, pre, n, rng=np.random.default_rng(seed))
    ours = _radius(x, np.concatenate([np.flatnonzero(pre), picks]))
    best = min(
        _radius(x, np.concatenate([np.flatnonzero(pre), list(s)]).astype(int))
        for s in itertools.combinations(free, n)
    )
    assert ours <= 2 * best + 1e-4


def test_first_pick_comes_from_rng() -> None:
    x = np.random.default_rng(0).standard_normal((50, 3)).astype(np.float32)
    picks = k_center_greedy(x, np.zeros(50, bool), 5, rng=np.random.default_rng(42))
    assert picks[0] == np.random.default_rng(42).integers(50)
    again = k_center_greedy(x, np.zeros(50, bool), 5)
    assert again[0] == np.random.default_rng(0).integers(50)


def test_farthest_first_on_a_line() -> None:
    x = np.array([[0], [1], [2], [10], [11], [30]], np.float32)
    pre = np.array([True, False, False, False, False, False])
    assert k_center_greedy(x, pre, 3).tolist() == [5, 4, 2]


def test_deterministic() -> None:
    x = np.random.default_rng(3).standard_normal((400, 8)).astype(np.float32)
    pre = np.zeros(400, bool)
    pre[[5, 50]] = True
    a = k_center_greedy(x, pre, 30, rng=np.random.default_rng(7))
    b = k_center_greedy(x, pre, 30, rng=np.random.default_rng(7))
    assert a.tolist() == b.tolist()


def test_duplicate_points_still_distinct_picks() -> None:
    x = np.ones((6, 4), np.float32)
    picks = k_center_greedy(x, np.array([True, False, True, False, False, False]), 4)
    assert sorted(picks.tolist()) == [1, 3, 4, 5]


def test_zero_picks() -> None:
    out = k_center_greedy(np.zeros((3, 2), np.float32), np.zeros(3, bool), 0)
    assert out.tolist() == [] and out.dtype == np.int64


@pytest.mark.parametrize(
    ("x", "pre", "n", "match"),
    [
        (np.zeros((3, 2)), np.zeros(3, bool), 4, "cannot pick 4"),
        (np.zeros((3, 2)), np.array([True, True, False]), 2, "1 are not preselected"),
        (np.zeros((3, 2)), np.zeros(3, bool), -1, "cannot pick -1"),
        (np.zeros((3, 2)), np.zeros(4, bool), 1, "preselected has 4"),
        (np.zeros(3), np.zeros(3, bool), 1, r"\(N, D\)"),
        (np.array([[np.nan, 0.0]]), np.zeros(1, bool), 1, "finite"),
    ],
)
def test_errors(x: np.ndarray, pre: np.ndarray, n: int, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        k_center_greedy(x, pre, n)
    with pytest.raises(SelectionError):
        k_center_greedy(x, pre, n)
