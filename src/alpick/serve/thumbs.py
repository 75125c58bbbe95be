"""Thumbnails made with Pillow, cached under ``.alpick/thumbs/SIZE/`` by sample id and hash.

The boxes are not burnt in: the front end draws them over the thumbnail, so toggling ground
truth or predictions and moving the confidence slider need no new image.
"""

from __future__ import annotations

import io
import os
import secrets
from pathlib import Path

from alpick.serve.errors import ApiError

#: The sizes a client may ask for (longest side, pixels): a fixed set, so the cache is bounded.
SIZES = (96, 128, 192, 256, 384, 512)
BROWSER_FORMATS = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}


def thumbnail(image: Path, cache_dir: Path, sample_id: int, digest: str, size: int) -> Path:
    """The cached JPEG thumbnail of an image, made on first use (written atomically).

    Raises:
        ApiError: 400 for a size not in :data:`SIZES`; 404 if the image cannot be decoded.
    """
    if size not in SIZES:
        raise ApiError(400, f"size must be one of {', '.join(map(str, SIZES))}")
    folder = cache_dir / str(size)
    path = folder / f"{sample_id}-{digest[:16]}.jpg"
    if path.is_file():
        return path
    data = _encode(image, size)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _encode(image: Path, size: int) -> bytes:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(image) as im:
            im.draft("RGB", (size, size))
            rgb = im.convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError):
        raise ApiError(404, "the image cannot be decoded") from None
    rgb.thumbnail((size, size))
    buf = io.BytesIO()
    rgb.save(buf, format="JPEG", quality=82)
    return buf.getvalue()


def browser_image(image: Path) -> tuple[bytes | Path, str]:
    """The image as a browser shows it: the file itself when it is PNG/JPEG/GIF/WebP, else
    a PNG made from it.

    Raises:
        ApiError: 404 if it cannot be decoded.
    """
    media = BROWSER_FORMATS.get(image.suffix.lower())
    if media is not None:
        return image, media
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(image) as im:
            buf = io.BytesIO()
            im.convert("RGB").save(buf, format="PNG")
    except (OSError, UnidentifiedImageError, ValueError):
        raise ApiError(404, "the image cannot be decoded") from None
    return buf.getvalue(), "image/png"
