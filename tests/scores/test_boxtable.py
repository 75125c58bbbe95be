import numpy as np
import pytest

from alpick.formats.detections import Detections
from alpick.scores import BoxTable, ScoreError


def _det(labels: list[int], conf: list[float] | None, probs: list[list[float]] | None = None):
    n = len(labels)
    return Detections(np.zeros((n, 4)), np.array(labels), conf, probs)


def test_from_detections_concatenates_in_order() -> None:
    table = BoxTable.from_detections(
        [_det([], []), _det([2], [0.5]), _det([], []), _det([0, 1], [0.25, 0.75])]
    )
    assert table.n_images == 4
    assert table.n_boxes == 3
    assert table.offsets.tolist() == [0, 0, 1, 1, 3]
    assert table.counts().tolist() == [0, 1, 0, 2]
    assert table.image_index().tolist() == [1, 3, 3]
    assert table.class_id.tolist() == [2, 0, 1]
    assert table.confidence.tolist() == [0.5, 0.25, 0.75]
    assert table.class_probs is None


def test_from_detections_all_empty_and_none() -> None:
    assert BoxTable.from_detections([]).n_images == 0
    table = BoxTable.from_detections([Detections.empty(), Detections.empty()])
    assert table.offsets.tolist() == [0, 0, 0]


def test_missing_confidence_defaults() -> None:
    # no confidence and no probabilities -> 1.0; with probabilities -> their max
    assert BoxTable.from_detections([_det([0, 1], None)]).confidence.tolist() == [1.0, 1.0]
    table = BoxTable.from_detections([_det([1], None, [[0.2, 0.8]])])
    assert table.confidence == pytest.approx([0.8])


def test_class_probs_kept_when_all_images_have_them() -> None:
    table = BoxTable.from_detections(
        [_det([0], [0.9], [[0.9, 0.1]]), _det([], []), _det([1], [0.6], [[0.4, 0.6]])]
    )
    assert table.class_probs is not None
    assert table.class_probs.shape == (2, 2)


def test_mixed_class_probs_is_an_error() -> None:
    with pytest.raises(ScoreError, match="class probabilities"):
        BoxTable.from_detections([_det([0], [0.9], [[0.9, 0.1]]), _det([0], [0.5])])
    with pytest.raises(ScoreError, match="widths"):
        BoxTable.from_detections([_det([0], [0.9], [[0.9, 0.1]]), _det([0], [0.5], [[1, 0, 0]])])


def test_select_boxes_keeps_images() -> None:
    table = BoxTable.from_counts([2, 0, 3], [0.1, 0.9, 0.2, 0.8, 0.05], [0, 0, 1, 1, 1])
    kept = table.select_boxes(table.confidence >= 0.5)
    assert kept.offsets.tolist() == [0, 1, 1, 2]
    assert kept.confidence.tolist() == [0.9, 0.8]
    with pytest.raises(ScoreError):
        table.select_boxes(np.ones(2, bool))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"offsets": [1, 1], "confidence": [0.5], "class_id": [0]}, "offsets"),
        ({"offsets": [0, 2, 1], "confidence": [0.5], "class_id": [0]}, "offsets"),
        ({"offsets": [0, 1], "confidence": [0.5], "class_id": [0, 1]}, "class_id"),
        ({"offsets": [0, 1], "confidence": [0.5], "class_id": [-1]}, "class ids"),
        ({"offsets": [0, 1], "confidence": [np.nan], "class_id": [0]}, "finite"),
        (
            {"offsets": [0, 1], "confidence": [0.5], "class_id": [0], "class_probs": [0.5]},
            "class_probs",
        ),
    ],
)
def test_validation(kwargs: dict, match: str) -> None:
    with pytest.raises(ScoreError, match=match):
        BoxTable(**kwargs)


def test_from_counts_rejects_negative() -> None:
    with pytest.raises(ScoreError):
        BoxTable.from_counts([-1, 1], [0.5, 0.5], [0, 0])
