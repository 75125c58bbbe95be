"""Decoding any image file into an 8-bit RGB picture, or a one-line reason why it cannot be.

The one image loader: the embedder and the detector (training, prediction, the feature cache)
both read pixels through :func:`load_rgb`, so they see the same picture for the same file.

Every Pillow mode is converted to RGB: grayscale (``L``, ``1``), palette (``P``), CMYK, YCbCr,
16-bit and 32-bit integer grayscale (``I;16*``, ``I``: scaled from 0..65535 down to 0..255, not
clipped), float (``F``), and anything with transparency (``RGBA``, ``LA``, ``PA``, a palette with a
transparent colour), which is composited over white. Big pictures are decoded cheaply: JPEGs are
asked for a reduced-scale decode (``Image.draft``) and the resize first reduces by a whole factor
(``reducing_gap``), so a 6000x6000 photo costs little more than a small one. The result depends
only on the file and the target size, never on what else is decoded alongside.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

__all__ = ["ImageDecodeError", "load_resized", "load_rgb", "to_rgb"]

_WHITE = (255, 255, 255, 255)
# Resize in two steps when shrinking by more than this factor: a cheap whole-factor reduce, then
# an antialiased bilinear resize. 3.0 keeps the result visually equal to a one-step resize.
_REDUCING_GAP = 3.0


class ImageDecodeError(Exception):
    """An image file that cannot be decoded; ``str(error)`` is the reason, one line."""


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert a loaded image of any mode to 8-bit RGB.

    Args:
        image: A Pillow image of any mode.

    Returns:
        An ``RGB`` image of the same size.

    Raises:
        ImageDecodeError: If Pillow cannot convert the mode (e.g. ``LAB``).
    """
    mode = image.mode
    if mode == "RGB":
        return image
    if mode.startswith("I") or mode == "F":
        return _scale_wide_gray(image).convert("RGB")
    has_alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
    try:
        if has_alpha:
            rgba = image.convert("RGBA")
            background = Image.new("RGBA", rgba.size, _WHITE)
            return Image.alpha_composite(background, rgba).convert("RGB")
        return image.convert("RGB")
    except (ValueError, OSError) as exc:
        raise ImageDecodeError(f"cannot convert image mode {mode} to RGB ({exc})") from exc


def _scale_wide_gray(image: Image.Image) -> Image.Image:
    """``I;16*``/``I``/``F`` grayscale to ``L``: 16-bit ranges scaled by 255/65535, not clipped.

    ``I`` (32-bit) images hold 16-bit data when Pillow reads 16-bit PNGs or TIFFs; an ``I`` image
    whose values all fit in 0..255 is taken as 8-bit. ``F`` images in 0..1 are scaled by 255.
    """
    values = np.asarray(image, dtype=np.float64)
    peak = float(values.max()) if values.size else 0.0
    if image.mode.startswith("I;16") or (image.mode == "I" and peak > 255):
        values = values * (255.0 / 65535.0)
    elif image.mode == "F" and peak <= 1.0:
        values = values * 255.0
    gray = np.clip(np.rint(values), 0, 255).astype(np.uint8)
    return Image.fromarray(gray, mode="L")


def load_rgb(path: Path, *, min_size: int | None = None) -> Image.Image:
    """Decode an image file to RGB, at reduced scale when only ``min_size`` pixels are needed.

    Args:
        path: The image file.
        min_size: When given, JPEGs may be decoded at a reduced scale (1/2, 1/4, 1/8) as long as
            both sides stay at least this large; other formats decode at full size.

    Returns:
        The decoded ``RGB`` image.

    Raises:
        ImageDecodeError: If the file is missing, empty, not an image, truncated or corrupt, larger
            than Pillow's decompression-bomb limit (``PIL.Image.MAX_IMAGE_PIXELS``), or of a mode
            that cannot become RGB. The message says which.
    """
    try:
        if path.stat().st_size == 0:
            raise ImageDecodeError("empty file (0 bytes)")
        with warnings.catch_warnings():
            # Pictures up to twice Pillow's limit only warn; they are legitimate big photos.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if min_size is not None and image.format == "JPEG":
                    image.draft("RGB", (min_size, min_size))
                image.load()
                return to_rgb(image)
    except ImageDecodeError:
        raise
    except FileNotFoundError as exc:
        raise ImageDecodeError("file not found") from exc
    except IsADirectoryError as exc:
        raise ImageDecodeError("is a directory, not an image") from exc
    except UnidentifiedImageError as exc:
        raise ImageDecodeError("not an image file Pillow can read") from exc
    except Image.DecompressionBombError as exc:
        raise ImageDecodeError(
            f"too large to decode safely ({exc}); raise PIL.Image.MAX_IMAGE_PIXELS to allow it"
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageDecodeError(f"truncated or corrupt image ({_one_line(exc)})") from exc
    except MemoryError as exc:
        raise ImageDecodeError("not enough memory to decode it") from exc


def load_resized(path: Path, size: int) -> NDArray[np.uint8]:
    """Decode an image file and resize it (aspect not kept) to ``size`` x ``size`` RGB.

    Args:
        path: The image file.
        size: The side of the square output, in pixels.

    Returns:
        The pixels, ``(size, size, 3)`` uint8, rows first (HWC).

    Raises:
        ImageDecodeError: See :func:`load_rgb`.
    """
    image = load_rgb(path, min_size=size)
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=_REDUCING_GAP)
    return np.asarray(image, dtype=np.uint8)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
