"""PNG writing for the generated images and masks, through Pillow with fixed settings.

Fixed settings (compression level 1, no optimisation pass, no metadata) keep the bytes a function
of the pixels and of Pillow's bundled zlib only, and level 1 keeps generation fast.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

_LEVEL = 1


def encode_png(pixels: NDArray[np.uint8] | NDArray[np.uint16]) -> bytes:
    """PNG bytes of an image.

    Args:
        pixels: ``(height, width, 3)`` uint8 for RGB, ``(height, width)`` uint8 for 8-bit
            grey, or ``(height, width)`` uint16 for 16-bit grey.

    Raises:
        ValueError: For any other shape or dtype.
    """
    if pixels.ndim == 3 and pixels.shape[2] == 3 and pixels.dtype == np.uint8:
        image = Image.fromarray(pixels, "RGB")
    elif pixels.ndim == 2 and pixels.dtype == np.uint8:
        image = Image.fromarray(pixels, "L")
    elif pixels.ndim == 2 and pixels.dtype == np.uint16:
        image = Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint16))
    else:
        raise ValueError(f"cannot write {pixels.dtype} pixels of shape {pixels.shape} as PNG")
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=_LEVEL, optimize=False)
    return buf.getvalue()


def write_png(path: Path, pixels: NDArray[np.uint8] | NDArray[np.uint16]) -> None:
    """Write ``pixels`` (see :func:`encode_png`) to ``path``."""
    Path(path).write_bytes(encode_png(pixels))
