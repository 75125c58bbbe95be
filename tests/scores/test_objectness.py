import pytest

from alpick.scores import BoxTable
from alpick.scores.objectness import objectness_least_confidence


def test_one_minus_mean_confidence_zero_without_boxes() -> None:
    table = BoxTable.from_counts([0, 1, 3], [0.6, 0.9, 0.3, 0.6], [0, 0, 2, 1])
    assert objectness_least_confidence(table) == pytest.approx([0.0, 0.4, 0.4])


def test_platform_test_values() -> None:
    table = BoxTable.from_counts([2, 1, 0], [0.57573 * 0.7, 0.988 * 0.5, 0.1024 * 0.5], [0, 1, 0])
    assert objectness_least_confidence(table) == pytest.approx([0.5514945, 0.9488, 0.0])
