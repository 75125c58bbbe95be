from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from alpick.formats.images import ImageDecodeError, load_resized, load_rgb, to_rgb


def _save(tmp_path: Path, image: Image.Image, name: str) -> Path:
    path = tmp_path / name
    image.save(path)
    return path


def test_grayscale_becomes_three_equal_channels(tmp_path: Path) -> None:
    gray = np.tile(np.arange(0, 256, 4, dtype=np.uint8), (8, 1))
    out = np.asarray(load_rgb(_save(tmp_path, Image.fromarray(gray, "L"), "g.png")))
    assert out.shape == (8, 64, 3)
    assert (out == gray[..., None]).all()


def test_16_bit_png_is_scaled_not_clipped(tmp_path: Path) -> None:
    values = np.array([[0, 257, 32896, 65535]], dtype=np.uint16)
    path = _save(tmp_path, Image.fromarray(values), "g16.png")
    assert Image.open(path).mode == "I;16"
    out = np.asarray(load_rgb(path))
    assert out[0, :, 0].tolist() == [0, 1, 128, 255]


def test_32_bit_int_and_float_grayscale() -> None:
    wide = Image.fromarray(np.array([[0, 65535]], dtype=np.int32), mode="I")
    assert np.asarray(to_rgb(wide))[0, :, 0].tolist() == [0, 255]
    narrow = Image.fromarray(np.array([[0, 200]], dtype=np.int32), mode="I")
    assert np.asarray(to_rgb(narrow))[0, :, 0].tolist() == [0, 200]
    unit = Image.fromarray(np.array([[0.0, 0.5, 1.0]], dtype=np.float32), mode="F")
    assert np.asarray(to_rgb(unit))[0, :, 0].tolist() == [0, 128, 255]


def test_transparency_is_composited_over_white(tmp_path: Path) -> None:
    rgba = np.zeros((2, 2, 4), dtype=np.uint8)
    rgba[0, 0] = (255, 0, 0, 255)  # opaque red
    rgba[1, 1] = (0, 0, 0, 0)  # fully transparent black
    out = np.asarray(load_rgb(_save(tmp_path, Image.fromarray(rgba, "RGBA"), "a.png")))
    assert out[0, 0].tolist() == [255, 0, 0]
    assert out[1, 1].tolist() == [255, 255, 255]
    la = Image.fromarray(np.array([[[10, 255], [0, 0]]], dtype=np.uint8), "LA")
    assert np.asarray(load_rgb(_save(tmp_path, la, "la.png")))[0].tolist() == [
        [10, 10, 10],
        [255, 255, 255],
    ]


@pytest.mark.parametrize("mode", ["P", "1", "CMYK", "YCbCr", "PA"])
def test_other_modes_become_rgb(tmp_path: Path, mode: str) -> None:
    base = Image.fromarray(np.random.default_rng(0).integers(0, 256, (8, 8, 3), dtype=np.uint8))
    image = base.convert(mode) if mode != "PA" else base.convert("P").convert("PA")
    suffix = ".jpg" if mode in ("CMYK", "YCbCr") else ".png"
    out = to_rgb(image) if mode == "PA" else load_rgb(_save(tmp_path, image, f"m{suffix}"))
    assert out.mode == "RGB" and out.size == (8, 8)


def test_palette_with_transparent_index(tmp_path: Path) -> None:
    image = Image.new("P", (2, 1))
    image.putpalette([0, 0, 0, 0, 255, 0] + [0] * 762)
    image.putpixel((1, 0), 1)
    image.info["transparency"] = 0
    path = tmp_path / "t.png"
    image.save(path, transparency=0)
    assert np.asarray(load_rgb(path))[0].tolist() == [[255, 255, 255], [0, 255, 0]]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file (0 bytes)"),
        (b"hello, I am a text file\n", "not an image file Pillow can read"),
    ],
)
def test_not_images(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "x.png"
    path.write_bytes(content)
    with pytest.raises(ImageDecodeError) as info:
        load_resized(path, 32)
    assert str(info.value) == reason


def test_truncated_png(tmp_path: Path) -> None:
    noise = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    path = _save(tmp_path, Image.fromarray(noise), "t.png")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ImageDecodeError, match="truncated or corrupt"):
        load_resized(path, 32)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ImageDecodeError, match="file not found"):
        load_rgb(tmp_path / "nope.png")
    with pytest.raises(ImageDecodeError, match="directory"):
        load_rgb(tmp_path)


def test_decompression_bomb_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _save(tmp_path, Image.new("RGB", (100, 100)), "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ImageDecodeError, match=r"too large.*MAX_IMAGE_PIXELS"):
        load_resized(path, 32)


def test_huge_jpeg_uses_a_reduced_decode(tmp_path: Path) -> None:
    big = Image.new("RGB", (6000, 4000), (40, 120, 200))
    path = tmp_path / "huge.jpg"
    big.save(path, quality=80)
    assert load_rgb(path, min_size=224).size == (750, 500)  # decoded at 1/8 scale
    out = load_resized(path, 224)
    assert out.shape == (224, 224, 3)
    assert np.abs(out.astype(int) - (40, 120, 200)).max() <= 3


@settings(max_examples=25, deadline=None)
@given(
    width=st.integers(1, 300),
    height=st.integers(1, 300),
    size=st.integers(16, 96),
    mode=st.sampled_from(["RGB", "L", "RGBA", "I;16", "P"]),
)
def test_any_picture_comes_out_square_rgb(width: int, height: int, size: int, mode: str) -> None:
    image = Image.new(mode, (width, height))
    out = np.asarray(to_rgb(image).resize((size, size)))
    assert out.shape == (size, size, 3) and out.dtype == np.uint8


def test_same_file_same_pixels(tmp_path: Path) -> None:
    noise = np.random.default_rng(2).integers(0, 256, (300, 500, 3), dtype=np.uint8)
    path = _save(tmp_path, Image.fromarray(noise), "n.png")
    assert np.array_equal(load_resized(path, 64), load_resized(path, 64))
