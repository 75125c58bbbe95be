import numpy as np
import pytest

from alpick.scores import BoxTable, ScoreError
from alpick.scores.frequency import distinct_classes_per_image, object_counts, object_frequency


def _table(labels: list[list[int]]) -> BoxTable:
    flat = [c for img in labels for c in img]
    return BoxTable.from_counts([len(x) for x in labels], np.full(len(flat), 0.5), flat)


def test_counts_first_object_one_then_penalty() -> None:
    table = _table([[], [0], [0, 0, 1], [1, 1, 1, 1]])
    assert distinct_classes_per_image(table).tolist() == [0, 1, 2, 1]
    assert object_counts(table).tolist() == [0, 1, 2.25, 1.75]


def test_linear_map_onto_min_score_one() -> None:
    table = _table([[], [0], [0, 0, 1], [1, 1, 1, 1]])
    expected = [0.9, 0.9 + 0.1 * 1 / 2.25, 1.0, 0.9 + 0.1 * 1.75 / 2.25]
    assert object_frequency(table) == pytest.approx(expected)


def test_platform_test_values() -> None:
    # the platform's scorer test: labels [0, 1], [0], none -> [1.0, 0.95, 0.9]
    assert object_frequency(_table([[0, 1], [0], []])).tolist() == [1.0, 0.95, 0.9]


def test_same_count_everywhere_gives_one() -> None:
    assert object_frequency(_table([[0, 1], [3, 2], [5, 0]])).tolist() == [1.0, 1.0, 1.0]
    assert object_frequency(_table([[], []])).tolist() == [1.0, 1.0]


def test_empty_query_set() -> None:
    assert object_frequency(_table([])).tolist() == []


def test_config_values() -> None:
    table = _table([[0, 0], [0]])
    assert object_frequency(table, frequency_penalty=0.5, min_score=0.6).tolist() == [1.0, 0.6]
    with pytest.raises(ScoreError, match="min_score"):
        object_frequency(table, min_score=1.5)
    with pytest.raises(ScoreError, match="frequency_penalty"):
        object_frequency(table, frequency_penalty=-0.1)


def test_sparse_path_matches_dense(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 6, size=50)
    table = BoxTable.from_counts(
        counts, np.full(counts.sum(), 0.5), rng.integers(0, 7, counts.sum())
    )
    dense = distinct_classes_per_image(table)
    monkeypatch.setattr("alpick.scores.frequency._DENSE_LIMIT", 0)
    assert distinct_classes_per_image(table).tolist() == dense.tolist()
