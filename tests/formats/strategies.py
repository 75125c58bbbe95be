"""Hypothesis strategies shared by the format tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from alpick.formats.detections import Classes, Detections

CLASS_NAMES = ["apple", "pear", "Car", "traffic_light", "Äpfel"]


@st.composite
def detections(
    draw: st.DrawFn,
    *,
    max_boxes: int = 8,
    confidence: bool | None = None,
    n_classes: int = len(CLASS_NAMES),
    size: tuple[float, float] = (2000.0, 1500.0),
    probs: bool = False,
) -> Detections:
    """Random valid detections inside an image of ``size`` (width, height)."""
    n = draw(st.integers(0, max_boxes))
    coord = st.floats(0, 1, allow_nan=False, width=32)
    raw = np.array([[draw(coord) for _ in range(4)] for _ in range(n)], np.float64).reshape(n, 4)
    w, h = size
    xs = np.sort(raw[:, [0, 2]], axis=1) * w
    ys = np.sort(raw[:, [1, 3]], axis=1) * h
    xyxy = np.stack([xs[:, 0], ys[:, 0], xs[:, 1], ys[:, 1]], axis=1)
    class_id = np.array([draw(st.integers(0, n_classes - 1)) for _ in range(n)], np.int64)
    with_conf = draw(st.booleans()) if confidence is None else confidence
    conf = None
    if with_conf:
        conf = np.array([draw(st.floats(0, 1, width=32)) for _ in range(n)], np.float32)
    class_probs = None
    if probs:
        p = np.array(
            [[draw(st.floats(0, 1, width=32)) for _ in range(n_classes)] for _ in range(n)],
            np.float32,
        ).reshape(n, n_classes)
        class_probs = p
    return Detections(xyxy, class_id, conf, class_probs)


def classes(n: int = len(CLASS_NAMES)) -> Classes:
    """A fresh class list with the first ``n`` test names."""
    return Classes(list(CLASS_NAMES[:n]))


def assert_same(
    got: Detections,
    want: Detections,
    *,
    atol: float,
    conf_atol: float = 1e-6,
    got_classes: Classes | None = None,
    want_classes: Classes | None = None,
) -> None:
    """Same boxes (within ``atol`` pixels), same class names, same confidences."""
    assert len(got) == len(want)
    assert_allclose(got.xyxy, want.xyxy, atol=atol, rtol=0)
    if got_classes is not None and want_classes is not None:
        assert [got_classes.name(int(c)) for c in got.class_id] == [
            want_classes.name(int(c)) for c in want.class_id
        ]
    else:
        assert got.class_id.tolist() == want.class_id.tolist()
    if want.confidence is None:
        assert got.confidence is None
    elif len(want) == 0:
        pass  # a text file with no lines cannot say whether it held predictions
    else:
        assert got.confidence is not None
        assert_allclose(got.confidence, want.confidence, atol=conf_atol, rtol=0)
