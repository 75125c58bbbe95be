"""Finding images under a folder and reading what the store keeps of each: size and hash.

Sizes come from the file header (``PIL.Image.open`` is lazy: it parses the header and decodes no
pixels); the hash is blake2b over the file's bytes, read once and shared with the header parser.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from alpick.errors import AlpickError
from alpick.fileio import ReadPool, read_bytes

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"})
#: Images per batch of :func:`read_images` (a fraction of a second each for real photos).
BATCH = 1024


@dataclass(frozen=True)
class ImageInfo:
    """What the store records of one image file (``path`` relative to the images root)."""

    path: str
    width: int
    height: int
    hash: str


def find_images(root: Path) -> list[str]:
    """Relative posix paths of the images under ``root``, recursively, sorted.

    Hidden files and folders (names starting with ``.``) are skipped.

    Raises:
        AlpickError: If ``root`` is not a folder.
    """
    if not root.is_dir():
        raise AlpickError(f"images folder {root} does not exist")
    return sorted(_walk(root, ""))


def _walk(folder: Path, prefix: str) -> Iterator[str]:
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                yield from _walk(Path(entry.path), f"{prefix}{entry.name}/")
            elif os.path.splitext(entry.name)[1].lower() in IMAGE_SUFFIXES and entry.is_file():
                yield prefix + entry.name


def read_image_info(root: Path, path: str) -> ImageInfo:
    """Size (from the header) and content hash of ``root / path``.

    Raises:
        AlpickError: If the file cannot be read or is not an image PIL recognizes.
    """
    with _bombs_are_errors():
        return _read_image_info(root, path)


@contextlib.contextmanager
def _bombs_are_errors() -> Iterator[None]:
    """PIL's decompression-bomb warning raised as an error while inside.

    The warnings filter is one for the whole process, and ``catch_warnings`` is not
    thread-safe: enter it on the calling thread only, around all the work of the pool's
    threads, never inside them.
    """
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def _read_image_info(root: Path, path: str) -> ImageInfo:
    """:func:`read_image_info` without setting the warnings filter (safe on any thread)."""
    from PIL import Image, UnidentifiedImageError

    full = root / path
    data = read_bytes(full)  # a FIFO is refused, not waited on
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise AlpickError(f"cannot read image {full}: too large ({exc})") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise AlpickError(f"cannot read image {full}: {exc}") from None
    if width <= 0 or height <= 0:
        raise AlpickError(f"cannot read image {full}: size {width}x{height}")
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    return ImageInfo(path, int(width), int(height), digest)


def read_images(root: Path, paths: Sequence[str], *, progress: bool = False) -> list[ImageInfo]:
    """:func:`read_image_info` for each path, in order, in batches of :data:`BATCH` on one thread
    or a few (:class:`~alpick.fileio.ReadPool`: reading and hashing big files releases the GIL,
    so two threads read and hash 270 KB JPEGs 1.7x faster than one on two cores).

    Raises:
        AlpickError: For the first image in order that cannot be read.
    """
    from alpick.progress import progress_bar

    pool, read = ReadPool(), partial(_read_image_info, root)
    infos: list[ImageInfo] = []
    with (
        _bombs_are_errors(),
        progress_bar(len(paths), "reading images", enabled=progress) as advance,
    ):
        for lo in range(0, len(paths), BATCH):
            infos += pool.map(read, paths[lo : lo + BATCH])
            advance(len(infos) - lo)
    return infos
