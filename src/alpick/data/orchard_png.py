"""A small, fast, reproducible PNG writer for the generated images and masks.

Every row uses PNG's "Up" filter (a difference to the row above, one numpy subtraction) and the
data is deflated with zlib's run-length strategy at a fixed level: about three times faster
than Pillow's adaptive filtering at a similar size, and the bytes depend only on the pixels
and on zlib, not on the imaging library's version. Any PNG reader opens the files.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_UP = 2
_ZLIB_LEVEL = 6


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(pixels: NDArray[np.uint8] | NDArray[np.uint16]) -> bytes:
    """PNG bytes of an image.

    Args:
        pixels: ``(height, width, 3)`` uint8 for RGB, ``(height, width)`` uint8 for 8-bit
            grey, or ``(height, width)`` uint16 for 16-bit grey.

    Raises:
        ValueError: For any other shape or dtype.
    """
    if pixels.ndim == 3 and pixels.shape[2] == 3 and pixels.dtype == np.uint8:
        color, depth, rows = 2, 8, pixels.reshape(pixels.shape[0], -1)
    elif pixels.ndim == 2 and pixels.dtype == np.uint8:
        color, depth, rows = 0, 8, pixels
    elif pixels.ndim == 2 and pixels.dtype == np.uint16:
        big_endian = pixels.astype(">u2").view(np.uint8)
        color, depth, rows = 0, 16, big_endian.reshape(pixels.shape[0], -1)
    else:
        raise ValueError(f"cannot write {pixels.dtype} pixels of shape {pixels.shape} as PNG")
    height, width = pixels.shape[0], pixels.shape[1]
    filtered = np.empty((height, rows.shape[1] + 1), dtype=np.uint8)
    filtered[:, 0] = _UP
    filtered[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:])  # modulo 256, as PNG wants
    deflate = zlib.compressobj(_ZLIB_LEVEL, zlib.DEFLATED, 15, 8, zlib.Z_RLE)
    data = deflate.compress(filtered.tobytes()) + deflate.flush()
    header = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    return _SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def write_png(path: Path, pixels: NDArray[np.uint8] | NDArray[np.uint16]) -> None:
    """Write ``pixels`` (see :func:`encode_png`) to ``path``."""
    Path(path).write_bytes(encode_png(pixels))
