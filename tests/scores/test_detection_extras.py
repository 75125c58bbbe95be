from math import log2

import pytest

from alpick.scores import BoxTable
from alpick.scores.detection_extras import uncertainty_entropy_sum, uncertainty_entropy_topk_mean


def _h(*p: float) -> float:
    return -sum(x * log2(x) for x in p if x > 0)


# one image, labels 0/1 -> binary vectors [s, 1 - s]
TABLE = BoxTable.from_counts([0, 1, 4], [0.6, 0.5, 0.9, 0.7, 0.99], [0, 0, 1, 1, 0])
H = [_h(0.5, 0.5), _h(0.9, 0.1), _h(0.7, 0.3), _h(0.99, 0.01)]


def test_topk_mean_of_most_uncertain_boxes() -> None:
    top3 = sorted(H, reverse=True)[:3]
    assert uncertainty_entropy_topk_mean(TABLE) == pytest.approx([0.0, _h(0.6, 0.4), sum(top3) / 3])
    assert uncertainty_entropy_topk_mean(TABLE, k=1)[2] == pytest.approx(max(H))


def test_sum_is_count_weighted_entropy() -> None:
    assert uncertainty_entropy_sum(TABLE) == pytest.approx([0.0, _h(0.6, 0.4), sum(H)])
