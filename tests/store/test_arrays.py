from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpick.errors import AlpickError
from alpick.formats.detections import Detections
from alpick.store.arrays import (
    fresh_file,
    load_npz,
    pack_detections,
    save_npy,
    save_npz,
    unpack_detections,
)


@st.composite
def detection_sets(draw: st.DrawFn) -> tuple[dict[int, Detections], int]:
    n_classes = draw(st.integers(1, 4))
    with_probs = draw(st.booleans())
    ids = draw(st.lists(st.integers(0, 10_000), unique=True, max_size=6))
    out = {}
    for sid in ids:
        n = draw(st.integers(0, 4))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        xy = rng.uniform(0, 100, (n, 2))
        xyxy = np.concatenate([xy, xy + rng.uniform(0, 50, (n, 2))], axis=1)
        probs = rng.dirichlet(np.ones(n_classes), n) if with_probs else None
        out[sid] = Detections(
            xyxy, rng.integers(0, n_classes, n), rng.uniform(0, 1, n), class_probs=probs
        )
    return out, n_classes


@settings(max_examples=60, deadline=None)
@given(detection_sets())
def test_pack_unpack_round_trip(case: tuple[dict[int, Detections], int]) -> None:
    dets, n_classes = case
    arrays, boxes = pack_detections(dets, n_classes)
    assert boxes == sum(len(d) for d in dets.values())
    back = unpack_detections(arrays)
    assert set(back) == set(dets)
    for sid, det in dets.items():
        np.testing.assert_array_equal(back[sid].xyxy, det.xyxy)
        np.testing.assert_array_equal(back[sid].class_id, det.class_id)
        np.testing.assert_array_equal(back[sid].confidence, det.confidence)
        if "class_probs" in arrays and len(det):
            np.testing.assert_array_equal(back[sid].class_probs, det.class_probs)


def test_mixed_class_prob_widths_are_refused() -> None:
    a = Detections(np.zeros((1, 4)), [0], [0.5], class_probs=np.ones((1, 2)))
    b = Detections(np.zeros((1, 4)), [0], [0.5], class_probs=np.ones((1, 3)))
    with pytest.raises(AlpickError, match="different widths"):
        pack_detections({1: a, 2: b}, 3)


def test_atomic_saves_leave_no_temp_files(tmp_path: Path) -> None:
    path = fresh_file(tmp_path / "sets", "x", ".npz")
    save_npz(path, {"a": np.arange(3)})
    assert load_npz(path)["a"].tolist() == [0, 1, 2]
    second = fresh_file(tmp_path / "sets", "x", ".npz")
    assert second != path and second.name.startswith("x.")
    save_npy(tmp_path / "y.npy", np.ones(2))
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["sets", "x.npz", "y.npy"]


def test_load_of_damaged_file_is_an_alpick_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.npz"
    bad.write_bytes(b"garbage")
    with pytest.raises(AlpickError, match="cannot read"):
        load_npz(bad)


def test_many_samples_unpack(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n, per = 10_000, 20
    offsets = np.arange(n + 1, dtype=np.int64) * per
    xy = rng.uniform(0, 100, (n * per, 2)).astype(np.float32)
    arrays = {
        "sample_ids": np.arange(n, dtype=np.int64),
        "offsets": offsets,
        "xyxy": np.concatenate([xy, xy + 5], axis=1),
        "class_id": np.zeros(n * per, np.int64),
        "confidence": rng.uniform(0, 1, n * per).astype(np.float32),
    }
    path = tmp_path / "p.npz"
    save_npz(path, arrays)
    back = unpack_detections(load_npz(path))
    assert len(back) == n and len(back[n - 1]) == per


def test_a_file_where_the_folder_goes_is_one_clear_error(tmp_path: Path) -> None:
    from alpick.errors import AlpickError
    from alpick.store.arrays import fresh_file

    (tmp_path / "scores").write_text("not a folder")
    with pytest.raises(AlpickError, match="a file is in its place"):
        fresh_file(tmp_path / "scores", "set", ".npy")
    assert fresh_file(tmp_path / "other", "set", ".npy") == tmp_path / "other" / "set.npy"
