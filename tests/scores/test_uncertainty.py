"""Hand-computed values for the three uncertainty scores (platform formulas)."""

from math import log2

import numpy as np
import pytest

from alpick.scores import BoxTable, ScoreError
from alpick.scores.uncertainty import (
    box_entropy,
    box_least_confidence,
    box_margin,
    uncertainty_entropy,
    uncertainty_least_confidence,
    uncertainty_margin,
)


def _h(*p: float) -> float:
    return -sum(x * log2(x) for x in p if x > 0)


def test_no_boxes_scores_zero() -> None:
    table = BoxTable.from_counts([0, 0], [], [])
    for fn in (uncertainty_least_confidence, uncertainty_margin, uncertainty_entropy):
        assert fn(table).tolist() == [0.0, 0.0]


def test_one_box_label_zero() -> None:
    # K = max(0, 1) = 1, so the vector is [0.6, 0.4]
    table = BoxTable.from_counts([1], [0.6], [0])
    assert uncertainty_least_confidence(table) == pytest.approx([0.4 / 0.5])
    assert uncertainty_margin(table) == pytest.approx([1 - 0.2])
    assert uncertainty_entropy(table) == pytest.approx([_h(0.6, 0.4) / 1.0])


def test_two_classes() -> None:
    # labels 0 and 1 -> K = 1: vectors [0.8, 0.2] and [0.3, 0.7]
    table = BoxTable.from_counts([2], [0.8, 0.7], [0, 1])
    assert box_least_confidence(table) == pytest.approx([0.2 / 0.5, 0.3 / 0.5])
    assert box_margin(table) == pytest.approx([1 - 0.6, 1 - 0.4])
    assert box_entropy(table) == pytest.approx([_h(0.8, 0.2), _h(0.3, 0.7)])
    assert uncertainty_least_confidence(table) == pytest.approx([0.6])
    assert uncertainty_margin(table) == pytest.approx([0.6])
    assert uncertainty_entropy(table) == pytest.approx([_h(0.3, 0.7)])


def test_many_boxes_three_classes() -> None:
    # labels up to 2 -> K = 2, C = 3, off-label entries (1 - s) / 2
    table = BoxTable.from_counts([3], [0.9, 0.3, 0.6], [0, 2, 1])
    lc = [(1 - 0.9) / (2 / 3), (1 - 0.35) / (2 / 3), (1 - 0.6) / (2 / 3)]
    margin = [1 - (0.9 - 0.05), 1 - (0.35 - 0.35), 1 - (0.6 - 0.2)]
    ent = [
        _h(0.9, 0.05, 0.05) / log2(3),
        _h(0.3, 0.35, 0.35) / log2(3),
        _h(0.6, 0.2, 0.2) / log2(3),
    ]
    assert box_least_confidence(table) == pytest.approx(lc)
    assert box_margin(table) == pytest.approx(margin)
    assert box_entropy(table) == pytest.approx(ent)
    assert uncertainty_least_confidence(table) == pytest.approx([max(lc)])
    assert uncertainty_least_confidence(table, reduction="mean") == pytest.approx([np.mean(lc)])
    assert uncertainty_margin(table, reduction="sum") == pytest.approx([sum(margin)])
    assert uncertainty_entropy(table) == pytest.approx([max(ent)])


def test_confidence_below_off_label_share() -> None:
    # s = 0.1 with K = 2: [0.1, 0.45, 0.45] -> the two largest tie, margin 1
    table = BoxTable.from_counts([2], [0.1, 0.9], [0, 2])
    assert box_least_confidence(table)[0] == pytest.approx(0.55 / (2 / 3))
    assert box_margin(table)[0] == pytest.approx(1.0)


def test_k_is_per_image() -> None:
    # the platform derives K from the labels of each image, not of the whole query set
    table = BoxTable.from_counts([1, 1], [0.6, 0.6], [0, 2])
    assert box_least_confidence(table) == pytest.approx([0.4 / 0.5, 0.4 / (2 / 3)])


def test_class_probabilities_as_in_the_platform_test() -> None:
    # the platform's own scorer test: objectness x class probabilities
    probs = [[0.7, 0.2, 0.1], [0.4, 0.5, 0.1], [0.5, 0.41, 0.09]]
    conf = [0.57573 * 0.7, 0.988 * 0.5, 0.1024 * 0.5]
    table = BoxTable.from_counts([2, 1, 0], conf, [0, 1, 0], probs)
    assert uncertainty_least_confidence(table) == pytest.approx(
        [max(1 - 0.7, 1 - 0.5) / (1 - 1 / 3), (1 - 0.5) / (1 - 1 / 3), 0]
    )
    assert uncertainty_margin(table) == pytest.approx(
        [max(1 - (0.7 - 0.2), 1 - (0.5 - 0.4)), 1 - (0.5 - 0.41), 0]
    )
    ent = [_h(*p) / log2(3) for p in probs]
    assert uncertainty_entropy(table) == pytest.approx([max(ent[:2]), ent[2], 0])


def test_single_probability_column_is_binary() -> None:
    table = BoxTable.from_counts([1], [0.7], [0], [[0.7]])
    assert box_least_confidence(table) == pytest.approx([0.3 / 0.5])
    assert box_entropy(table) == pytest.approx([_h(0.7, 0.3)])


def test_one_hot_and_uniform_bounds() -> None:
    table = BoxTable.from_counts([2], [1.0, 0.25], [0, 0], [[1, 0, 0, 0], [0.25] * 4])
    for fn in (box_least_confidence, box_margin, box_entropy):
        assert fn(table) == pytest.approx([0.0, 1.0])


def test_confidence_out_of_range_is_an_error() -> None:
    with pytest.raises(ScoreError, match=r"\[0, 1\]"):
        uncertainty_entropy(BoxTable.from_counts([1], [1.5], [0]))
