import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpick.errors import AlpickError
from alpick.tlt.anchors import (
    anchor_iou,
    format_anchors,
    mean_best_iou,
    output_size,
    parse_anchors,
    yolo_anchors,
)

# nine well separated box shapes (pixels of a 720 x 1280 image): three small, mid and big
CENTRES = np.array(
    [[8, 10], [12, 7], [10, 16], [24, 24], [34, 18], [20, 36], [60, 56], [84, 60], [56, 92]],
    np.float64,
)


def _boxes(centres: np.ndarray, per: int = 200, jitter: float = 0.04, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([c * rng.uniform(1 - jitter, 1 + jitter, (per, 2)) for c in centres])


@pytest.mark.parametrize(
    ("size", "expected"),
    [((720, 1280), (704, 1280)), ((1280, 720), (1280, 704)), ((640, 480), (640, 480)),
     ((31, 100), (32, 96)), ((33, 65), (32, 64))],
)  # fmt: skip
def test_output_size_rounds_down_to_32(size: tuple[int, int], expected: tuple[int, int]) -> None:
    assert output_size(size) == expected


def test_output_size_rejects_empty_images() -> None:
    with pytest.raises(AlpickError, match="positive"):
        output_size((0, 720))


def test_anchor_iou_matches_a_direct_computation() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.uniform(1, 50, (7, 2)), rng.uniform(1, 50, (4, 2))
    got = anchor_iou(a, b)
    for i, (w0, h0) in enumerate(a):
        for j, (w1, h1) in enumerate(b):
            inter = min(w0, w1) * min(h0, h1)
            assert got[i, j] == pytest.approx(inter / (w0 * h0 + w1 * h1 - inter))


def test_nine_clusters_give_anchors_at_their_centres_scaled_to_the_output() -> None:
    wh = _boxes(CENTRES)
    small, mid, big = yolo_anchors(wh, (720, 1280), (704, 1280))
    anchors = np.concatenate([small, mid, big])
    expected = CENTRES * [704 / 720, 1.0]
    expected = expected[np.argsort(expected.prod(1))]
    assert small.shape == mid.shape == big.shape == (3, 2)
    np.testing.assert_allclose(anchors, expected, rtol=0.03)
    assert (np.diff(anchors.prod(1)) >= 0).all()  # sorted by area


def test_three_clear_clusters_give_three_anchors_near_them() -> None:
    centres = np.array([[10, 12], [36, 40], [120, 110]], np.float64)
    small, mid, big = yolo_anchors(_boxes(centres, jitter=0.1), (640, 640), (320, 320), n=3)
    np.testing.assert_allclose(np.concatenate([small, mid, big]), centres / 2, rtol=0.05)


def test_each_group_holds_a_third_of_the_anchors_by_area() -> None:
    rng = np.random.default_rng(3)
    groups = [rng.uniform(lo, hi, (300, 2)) for lo, hi in ((5, 12), (30, 45), (100, 140))]
    small, mid, big = yolo_anchors(np.concatenate(groups), (640, 640), (640, 640))
    assert small.prod(1).max() <= mid.prod(1).min() <= mid.prod(1).max() <= big.prod(1).min()
    anchors = np.concatenate([small, mid, big])
    for lo, hi in ((5, 12), (30, 45), (100, 140)):  # every size group has an anchor
        assert ((anchors >= lo) & (anchors <= hi)).all(axis=1).any()


def test_deterministic_for_a_seed_and_scale_equivariant() -> None:
    wh = np.random.default_rng(5).uniform(4, 60, (500, 2))
    first = yolo_anchors(wh, (720, 1280), (704, 1280), seed=7)
    again = yolo_anchors(wh, (720, 1280), (704, 1280), seed=7)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    native = yolo_anchors(wh, (720, 1280), (720, 1280), seed=7)
    for a, b in zip(first, native, strict=True):  # IoU ignores a per-axis scale
        np.testing.assert_allclose(a, b * [704 / 720, 1.0], rtol=1e-9)


def test_per_box_image_sizes() -> None:
    wh = _boxes(CENTRES)
    # the same boxes drawn on images twice as large, then scaled to the same output size
    sizes = np.tile([1440, 2560], (len(wh), 1))
    a = yolo_anchors(wh * 2, sizes, (704, 1280))
    b = yolo_anchors(wh, (720, 1280), (704, 1280))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y)


def test_too_few_distinct_boxes_is_an_error() -> None:
    wh = np.repeat(CENTRES[:8], 50, axis=0)
    with pytest.raises(AlpickError, match="distinct sizes"):
        yolo_anchors(wh, (720, 1280), (704, 1280))
    # exactly nine distinct sizes: each one is an anchor
    anchors = np.concatenate(yolo_anchors(np.repeat(CENTRES, 3, axis=0), (100, 100), (100, 100)))
    np.testing.assert_allclose(anchors, CENTRES[np.argsort(CENTRES.prod(1))])


def test_degenerate_boxes_are_ignored_and_bad_input_rejected() -> None:
    wh = np.concatenate([_boxes(CENTRES, per=20), [[0, 10], [10, 0], [0, 0]]])
    anchors = np.concatenate(yolo_anchors(wh, (720, 1280), (704, 1280)))
    assert (anchors > 1).all()
    with pytest.raises(AlpickError, match="multiple of 3"):
        yolo_anchors(wh, (720, 1280), (704, 1280), n=8)
    with pytest.raises(AlpickError, match=r"\(M, 2\)"):
        yolo_anchors(wh.ravel(), (720, 1280), (704, 1280))
    with pytest.raises(AlpickError, match="finite"):
        yolo_anchors(np.full((20, 2), np.nan), (720, 1280), (704, 1280))
    with pytest.raises(AlpickError, match="image sizes"):
        yolo_anchors(wh, np.ones((3, 2)), (704, 1280))


def test_six_anchors() -> None:
    small, mid, big = yolo_anchors(_boxes(CENTRES), (720, 1280), (704, 1280), n=6)
    assert small.shape == mid.shape == big.shape == (2, 2)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_anchors_never_repeat_and_fit_better_than_a_single_box(seed: int) -> None:
    wh = np.random.default_rng(seed).uniform(2, 80, (60, 2)).round()
    anchors = np.concatenate(yolo_anchors(wh, (640, 640), (640, 640), seed=seed))
    assert len(np.unique(anchors, axis=0)) == 9
    assert mean_best_iou(wh, anchors) >= mean_best_iou(wh, np.median(wh, axis=0))


def test_format_and_parse_anchors() -> None:
    text = format_anchors(np.array([[29.333, 27], [32.27, 35.0], [41.066, 42]]))
    assert text == "[(29.33, 27.00), (32.27, 35.00), (41.07, 42.00)]"
    np.testing.assert_allclose(parse_anchors(text), [[29.33, 27], [32.27, 35], [41.07, 42]])
    for bad in ("", "[]", "(1, 2)", "[(1, 2), oops]", "[(1, 2, 3)]"):
        with pytest.raises(AlpickError, match="anchor list"):
            parse_anchors(bad)
