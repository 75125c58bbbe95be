"""MinneApple (instance masks) to images + KITTI labels.

MinneApple's detection data is ``images/*.png`` and, for the training split, ``masks/*.png`` of
the same names: single-channel images where 0 is background and every apple has its own integer
id (16-bit masks allow ids above 255). The box of an id is the extent of its pixels in the
pixel-edge convention: pixels ``x_min..x_max`` give ``x0 = x_min``, ``x1 = x_max + 1`` (so a
single pixel is a 1 x 1 box). Boxes one pixel wide or high or less (a line, not an apple) are
dropped as degenerate.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from alpick.errors import AlpickError
from alpick.formats.detections import Classes, Detections
from alpick.formats.kitti import format_kitti

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
MIN_SIDE = 2  # boxes narrower or lower than this (in pixels) are degenerate


@dataclass(frozen=True)
class ConvertReport:
    """What :func:`convert_minneapple` did.

    Attributes:
        images: Images written.
        boxes: Boxes written (over all label files).
        degenerate: Boxes dropped as degenerate.
        out: The output folder.
        labelled: Whether masks were found (and label files written).
    """

    images: int
    boxes: int
    degenerate: int
    out: Path
    labelled: bool


def mask_boxes(mask: NDArray[np.integer]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Boxes of every instance id of a mask, in one vectorised pass over its pixels.

    Args:
        mask: ``(H, W)`` integer ids; 0 is background.

    Returns:
        The ids, ``(K,)`` ascending, and their boxes, ``(K, 4)`` as x0, y0, x1, y1 in the
        pixel-edge convention (``x1 = last column + 1``).
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"mask must be (H, W), got {mask.shape}")
    flat = mask.ravel()
    fg = np.flatnonzero(flat)
    if len(fg) == 0:
        return np.zeros(0, np.int64), np.zeros((0, 4), np.int64)
    values = flat[fg]
    order = np.argsort(values, kind="stable")
    values, fg = values[order], fg[order]
    starts = np.flatnonzero(np.diff(values, prepend=values[0] - 1))
    ys, xs = np.divmod(fg, mask.shape[1])
    boxes = np.stack(
        [
            np.minimum.reduceat(xs, starts),
            np.minimum.reduceat(ys, starts),
            np.maximum.reduceat(xs, starts) + 1,
            np.maximum.reduceat(ys, starts) + 1,
        ],
        axis=1,
    )
    return values[starts].astype(np.int64), boxes.astype(np.int64)


def convert_minneapple(
    src: Path, out: Path, *, class_name: str = "apple", link: bool = True
) -> ConvertReport:
    """Convert a MinneApple split to ``out/images`` + ``out/labels/*.txt`` (KITTI).

    ``out`` may exist, but not with a non-empty ``images`` or ``labels`` folder. Both folders
    are built under temporary names inside ``out`` and renamed into place at the end, so a
    failure leaves nothing half-written.

    Args:
        src: The split folder, holding ``images/`` and optionally ``masks/``.
        out: The output folder.
        class_name: The class of every box (no spaces).
        link: Hard-link the images when possible (else copy); ``False`` always copies.

    Returns:
        What was converted.

    Raises:
        AlpickError: If ``src/images`` is missing or empty, a mask has no image or an image no
            mask, sizes differ, a mask is not single-channel or cannot be read, or the output
            folders already hold files.
    """
    from PIL import Image

    src, out = Path(src), Path(out)
    if not class_name or len(class_name.split()) != 1 or class_name.strip() != class_name:
        raise AlpickError(f"class name must be one word, got {class_name!r}")
    images = _list_images(src / "images")
    if not images:
        raise AlpickError(f"{src / 'images'}: no images (.png, .jpg) found")
    masks_dir = src / "masks"
    labelled = masks_dir.is_dir()
    masks = _match_masks(masks_dir, images) if labelled else {}
    for target in (out / "images", out / "labels"):
        if target.exists() and any(target.iterdir()):
            raise AlpickError(f"{target} already holds files; choose another output folder")
    out.mkdir(parents=True, exist_ok=True)

    classes = Classes([class_name])
    tmp_images = Path(tempfile.mkdtemp(prefix=".images.", dir=out))
    tmp_labels = Path(tempfile.mkdtemp(prefix=".labels.", dir=out))
    n_boxes = n_degenerate = 0
    try:
        for image in images:
            _place(image, tmp_images / image.name, link=link)
            if not labelled:
                continue
            with Image.open(image) as img:
                size = img.size
            _, boxes = _read_mask(masks[image.name], size)
            keep = ((boxes[:, 2] - boxes[:, 0]) >= MIN_SIDE) & (
                (boxes[:, 3] - boxes[:, 1]) >= MIN_SIDE
            )
            n_degenerate += int((~keep).sum())
            n_boxes += int(keep.sum())
            det = Detections(boxes[keep].astype(np.float32), np.zeros(int(keep.sum()), np.int64))
            (tmp_labels / f"{image.stem}.txt").write_text(format_kitti(det, classes))
        _move_into_place(tmp_images, out / "images")
        try:
            _move_into_place(tmp_labels, out / "labels")
        except BaseException:
            shutil.rmtree(out / "images", ignore_errors=True)
            raise
    finally:
        shutil.rmtree(tmp_images, ignore_errors=True)
        shutil.rmtree(tmp_labels, ignore_errors=True)
    return ConvertReport(len(images), n_boxes, n_degenerate, out, labelled)


def _list_images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise AlpickError(f"{folder}: no such folder (expected SRC/images)")
    found = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    stems = [p.stem for p in found]
    if len(set(stems)) != len(stems):
        raise AlpickError(f"{folder}: two images share a name apart from the suffix")
    return sorted(found)


def _match_masks(masks_dir: Path, images: list[Path]) -> dict[str, Path]:
    """Image name -> its mask (same stem, any image suffix)."""
    masks = {p.stem: p for p in _list_images(masks_dir)}
    stems = {p.stem for p in images}
    extra = sorted(set(masks) - stems)
    if extra:
        raise AlpickError(f"{masks[extra[0]]}: mask without an image ({len(extra)} in all)")
    missing = sorted(stems - set(masks))
    if missing:
        raise AlpickError(f"{masks_dir}: no mask for image {missing[0]!r} ({len(missing)} in all)")
    return {p.name: masks[p.stem] for p in images}


def _read_mask(path: Path, size: tuple[int, int]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            mask = np.asarray(img)
    except (OSError, UnidentifiedImageError) as exc:
        raise AlpickError(f"{path}: cannot read mask: {exc}") from None
    if mask.ndim == 3:
        if not (mask == mask[..., :1]).all():
            raise AlpickError(
                f"{path}: mask must be single-channel (ids), got {mask.shape[2]} channels"
            )
        mask = mask[..., 0]
    if mask.ndim != 2 or not np.issubdtype(mask.dtype, np.integer):
        raise AlpickError(f"{path}: mask must be an integer image, got {mask.dtype} {mask.shape}")
    if (mask.shape[1], mask.shape[0]) != size:
        raise AlpickError(
            f"{path}: mask is {mask.shape[1]}x{mask.shape[0]} but its image is {size[0]}x{size[1]}"
        )
    return mask_boxes(mask)


def _place(src: Path, dst: Path, *, link: bool) -> None:
    if link:
        try:
            os.link(src, dst)
            return
        except OSError:
            pass
    shutil.copy2(src, dst)


def _move_into_place(tmp: Path, target: Path) -> None:
    if target.exists():
        target.rmdir()  # checked empty above
    os.replace(tmp, target)
