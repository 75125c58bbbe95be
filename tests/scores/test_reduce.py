import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpick.scores import REDUCTIONS, ScoreError, segment_reduce, segment_topk_mean

OFFSETS = np.array([0, 0, 2, 2, 5, 5])  # empty, two boxes, empty, three boxes, empty
VALUES = np.array([0.2, 0.6, 0.1, 0.9, 0.5])


def test_reductions_with_empty_segments() -> None:
    assert segment_reduce(VALUES, OFFSETS, "max").tolist() == [0, 0.6, 0, 0.9, 0]
    assert segment_reduce(VALUES, OFFSETS, "sum") == pytest.approx([0, 0.8, 0, 1.5, 0])
    assert segment_reduce(VALUES, OFFSETS, "MEAN") == pytest.approx([0, 0.4, 0, 0.5, 0])


def test_no_boxes_at_all() -> None:
    assert segment_reduce(np.zeros(0), np.zeros(4, np.int64), "max").tolist() == [0, 0, 0]


def test_unknown_reduction_lists_valid_ones() -> None:
    with pytest.raises(ScoreError, match="max, mean, sum"):
        segment_reduce(VALUES, OFFSETS, "median")
    assert REDUCTIONS == ("max", "mean", "sum")


def test_topk_mean() -> None:
    out = segment_topk_mean(VALUES, OFFSETS, 2)
    assert out == pytest.approx([0, 0.4, 0, 0.7, 0])
    assert segment_topk_mean(VALUES, OFFSETS, 1) == pytest.approx([0, 0.6, 0, 0.9, 0])
    with pytest.raises(ScoreError):
        segment_topk_mean(VALUES, OFFSETS, 0)


@given(
    st.lists(st.lists(st.floats(0, 1), max_size=6), max_size=8),
    st.integers(1, 4),
)
def test_matches_python_loops(groups: list[list[float]], k: int) -> None:
    counts = [len(g) for g in groups]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    values = np.array([v for g in groups for v in g], dtype=np.float64)
    assert segment_reduce(values, offsets, "max") == pytest.approx(
        [max(g) if g else 0 for g in groups]
    )
    assert segment_reduce(values, offsets, "sum") == pytest.approx([sum(g) for g in groups])
    assert segment_reduce(values, offsets, "mean") == pytest.approx(
        [sum(g) / len(g) if g else 0 for g in groups]
    )
    expected = [float(np.mean(sorted(g)[::-1][:k])) if g else 0 for g in groups]
    assert segment_topk_mean(values, offsets, k) == pytest.approx(expected)
