import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from alpick.data.orchard.layout import build_layout
from alpick.data.orchard.plan import SequencePlan, condition_of, plan_orchard
from alpick.data.orchard.scene import _frame_mask, mask_boxes, render_sequence
from alpick.data.orchard.shapes import APPLE

SMALL = (96, 160)
MASKS = arrays(
    np.uint16, st.tuples(st.integers(1, 12), st.integers(1, 12)), elements=st.integers(0, 6)
)


def naive_boxes(mask: np.ndarray) -> dict[int, tuple[int, int, int, int]]:
    out = {}
    for i in np.unique(mask):
        if i == 0:
            continue
        ys, xs = np.nonzero(mask == i)
        box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        if box[2] - box[0] > 1 and box[3] - box[1] > 1:
            out[int(i)] = box
    return out


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.uint16, st.tuples(st.integers(1, 12), st.integers(1, 12)), elements=st.integers(0, 6))
)
def test_mask_boxes_are_exact_extents_without_degenerate_ones(mask: np.ndarray) -> None:
    ids, boxes = mask_boxes(mask)
    assert dict(zip(ids.tolist(), map(tuple, boxes.tolist()), strict=True)) == naive_boxes(mask)


def test_mask_boxes_drops_single_rows_and_columns() -> None:
    mask = np.zeros((6, 6), dtype=np.uint16)
    mask[1, 1:5] = 1  # one row
    mask[0:4, 5] = 2  # one column
    mask[3:5, 1:3] = 3
    ids, boxes = mask_boxes(mask)
    assert ids.tolist() == [3]
    assert boxes.tolist() == [[1, 3, 3, 5]]


def test_frame_mask_keeps_only_visible_pixels_and_renumbers() -> None:
    material = np.zeros((4, 6), dtype=np.uint8)
    apple = np.zeros((4, 6), dtype=np.int32)
    apple[0:2, 0:2] = 1  # apple 0: later fully covered by a leaf
    apple[1:4, 2:5] = 2  # apple 1: partly covered
    apple[0, 5] = 3  # apple 2: one visible pixel
    material[apple > 0] = APPLE
    material[0:2, 0:2] = 7  # a leaf over apple 0
    material[1, 2:5] = 7  # a leaf across apple 1
    mask = _frame_mask(material, apple, 3)
    assert set(np.unique(mask).tolist()) == {0, 1, 2}  # apple 0 gone, ids 1..2
    assert (mask[1, 2:5] == 0).all() and (mask[2:4, 2:5] == 1).all() and mask[0, 5] == 2


def test_hidden_apples_leave_no_trace() -> None:
    seq = SequencePlan("test", 3, "dense_closeup", 1, 1, 0, False, 0)
    rng = seq.rng()
    rng.random(5)  # the camera draws of render_sequence come first; any scene will do
    layout = build_layout(rng, condition_of(seq), 256, 256, 448, False)
    visible = layout.material == APPLE
    drawn = len(layout.apples.cx)
    shown = np.unique(layout.apple[visible])
    assert 0 < len(shown) < drawn  # some apples are drawn yet entirely hidden
    mask = _frame_mask(layout.material, layout.apple, drawn)
    assert ((mask > 0) == visible).all()
    assert int(mask.max()) == len(shown)


def test_frames_have_the_right_shapes_and_boxes_match_masks() -> None:
    seq = plan_orchard(12, 0, seed=5).sequences[0]
    frames = render_sequence(seq, SMALL)
    assert len(frames) == seq.n_used
    for frame in frames:
        assert frame.image.shape == (160, 96, 3) and frame.image.dtype == np.uint8
        assert frame.mask.shape == (160, 96) and frame.mask.dtype == np.uint16
        assert dict(zip(frame.ids.tolist(), map(tuple, frame.boxes.tolist()), strict=True)) == (
            naive_boxes(frame.mask)
        )


def test_consecutive_frames_are_near_duplicates() -> None:
    plan = plan_orchard(30, 0, seed=2)
    a, b = plan.sequences[0], plan.sequences[1]
    fa = render_sequence(a, SMALL)
    fb = render_sequence(b, SMALL)
    same = np.abs(fa[0].image.astype(int) - fa[1].image.astype(int)).mean()
    other = np.abs(fa[0].image.astype(int) - fb[0].image.astype(int)).mean()
    assert same < other
    counts = [len(f.ids) for f in fa]
    assert max(counts) - min(counts) <= max(4, max(counts) // 3)


def test_a_truncated_sequence_renders_the_same_frames() -> None:
    seq = plan_orchard(12, 0, seed=6).sequences[0]
    full = render_sequence(seq, SMALL)
    cut = SequencePlan(seq.split, seq.number, seq.condition, seq.n_frames, 2, 0, seq.bare, seq.seed)
    for x, y in zip(render_sequence(cut, SMALL), full[:2], strict=False):
        assert (x.image == y.image).all() and (x.mask == y.mask).all()


def test_default_pool_has_empty_images_and_crowded_ones() -> None:
    plan = plan_orchard(300, 100, seed=0)
    bare = next(s for s in plan.sequences if s.bare)
    assert all(len(f.ids) == 0 and f.mask.max() == 0 for f in render_sequence(bare, (256, 448)))
    dense = [s for s in plan.sequences if s.condition == "dense_closeup" and s.split == "train"]
    one = SequencePlan("train", dense[0].number, "dense_closeup", dense[0].n_frames, 1, 0, False, 0)
    assert len(render_sequence(one, (256, 448))[0].ids) >= 60


def test_too_small_frames_are_rejected() -> None:
    seq = plan_orchard(1, 0, seed=0).sequences[0]
    with pytest.raises(ValueError):
        render_sequence(seq, (63, 200))
