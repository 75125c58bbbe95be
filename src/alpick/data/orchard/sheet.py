"""Contact sheets: a grid of images with a label under each, to look at a dataset quickly."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from alpick.data.orchard.conditions import CONDITION_NAMES
from alpick.errors import AlpickError
from alpick.fileio import write_bytes_atomic

_LABEL_HEIGHT = 22


def contact_sheet(
    images: Sequence[Path],
    out_png: Path,
    *,
    labels: Sequence[str] | None = None,
    cols: int = 6,
    thumb_width: int = 256,
) -> None:
    """Write a grid of ``images`` (scaled to ``thumb_width``) with optional labels under them.

    Args:
        images: Image files, laid out row by row.
        out_png: The PNG to write (atomically).
        labels: One caption per image, or None.
        cols: Images per row.
        thumb_width: Width of each cell in pixels.

    Raises:
        AlpickError: If there are no images, the labels do not match, or a file is unreadable.
    """
    if not images:
        raise AlpickError("contact sheet: no images")
    if labels is not None and len(labels) != len(images):
        raise AlpickError(f"contact sheet: {len(labels)} labels for {len(images)} images")
    try:
        thumbs = [Image.open(p).convert("RGB") for p in images]
    except OSError as exc:
        raise AlpickError(f"contact sheet: cannot read an image: {exc}") from None
    thumb_h = max(round(t.height * thumb_width / t.width) for t in thumbs)
    label_h = _LABEL_HEIGHT if labels is not None else 0
    cols = max(1, min(cols, len(thumbs)))
    rows = (len(thumbs) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * thumb_width, rows * (thumb_h + label_h)), (255, 255, 255))
    pen = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=15)
    for i, thumb in enumerate(thumbs):
        x, y = (i % cols) * thumb_width, (i // cols) * (thumb_h + label_h)
        scaled = thumb.resize((thumb_width, round(thumb.height * thumb_width / thumb.width)))
        sheet.paste(scaled, (x, y))
        if labels is not None:
            pen.text((x + 6, y + thumb_h + 3), labels[i], fill=(0, 0, 0), font=font)
    buf = io.BytesIO()
    sheet.save(buf, format="PNG", optimize=True)
    out_png = Path(out_png)
    try:
        write_bytes_atomic(out_png, buf.getvalue())
    except OSError as exc:
        raise AlpickError(f"cannot write {out_png}: {exc.strerror or exc}") from None


def orchard_contact_sheet(
    dataset: Path,
    out_png: Path,
    *,
    n: int = 12,
    cols: int = 6,
    split: str = "test",
    thumb_width: int = 256,
) -> list[str]:
    """A contact sheet of ``n`` images of a generated orchard, cycling through the conditions.

    Args:
        dataset: Folder written by ``generate_orchard``.
        out_png: The PNG to write.
        n: Number of images.
        cols: Images per row.
        split: Split to take the images from.
        thumb_width: Width of each cell in pixels.

    Returns:
        The file names shown, in order.

    Raises:
        AlpickError: If the dataset's metadata cannot be read.
    """
    meta = Path(dataset) / "metadata.csv"
    try:
        with meta.open(encoding="utf-8", newline="") as fh:
            rows = [r for r in csv.DictReader(fh) if r["split"] == split]
    except (OSError, KeyError) as exc:
        raise AlpickError(f"cannot read {meta}: {exc}") from None
    by_condition: dict[str, list[dict[str, str]]] = {name: [] for name in CONDITION_NAMES}
    for row in rows:
        by_condition.setdefault(row["condition"], []).append(row)
    picked: list[dict[str, str]] = []
    while len(picked) < n and any(by_condition.values()):
        for queue in by_condition.values():
            if queue and len(picked) < n:
                picked.append(queue.pop(0))
    order = list(by_condition)
    picked.sort(key=lambda r: order.index(r["condition"]))
    images = [Path(dataset) / split / "images" / r["image"] for r in picked]
    labels = [f"{r['condition']} ({r['apple_count']} apples)" for r in picked]
    contact_sheet(images, out_png, labels=labels, cols=cols, thumb_width=thumb_width)
    return [r["image"] for r in picked]
