import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from alpick.data.orchard.png import encode_png

SHAPES = st.tuples(st.integers(1, 9), st.integers(1, 9))


def decode(data: bytes) -> tuple[str, np.ndarray]:
    image = Image.open(io.BytesIO(data))
    return image.mode, np.asarray(image)


@settings(max_examples=40, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 9), st.integers(1, 9), st.just(3))))
def test_rgb_round_trips(pixels: np.ndarray) -> None:
    mode, back = decode(encode_png(pixels))
    assert mode == "RGB" and (back == pixels).all()


@settings(max_examples=40, deadline=None)
@given(arrays(np.uint8, SHAPES))
def test_grey_round_trips(pixels: np.ndarray) -> None:
    mode, back = decode(encode_png(pixels))
    assert mode == "L" and (back == pixels).all()


@settings(max_examples=40, deadline=None)
@given(arrays(np.uint16, SHAPES))
def test_16_bit_round_trips(pixels: np.ndarray) -> None:
    mode, back = decode(encode_png(pixels))
    assert mode == "I;16" and (back == pixels).all()


def test_other_arrays_are_refused() -> None:
    with pytest.raises(ValueError):
        encode_png(np.zeros((2, 2, 4), dtype=np.uint8))
    with pytest.raises(ValueError):
        encode_png(np.zeros((2, 2), dtype=np.float32))  # type: ignore[arg-type]
