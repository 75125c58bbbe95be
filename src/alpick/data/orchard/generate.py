"""A synthetic orchard in the MinneApple layout: detection data we can generate anywhere.

``generate_orchard(out)`` writes::

    out/train/images/train_00000.png   RGB, portrait (default 256x448)
    out/train/masks/train_00000.png    one id per apple, its visible pixels only ("L" or "I;16")
    out/train/boxes.json               the generator's own record of each image's boxes
    out/test/...                       the same for the test split
    out/metadata.csv                   split, image, condition, sequence, frame, apple_count

Training images come in sequences of near-duplicate frames and in skewed conditions; test
images are independent scenes covering the conditions evenly (see ``docs/orchard.md``). The
same seed gives the same files: pixels are computed with machine-independent arithmetic and
written by a fixed PNG encoder (``png``).
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from alpick.data.orchard.conditions import CONDITION_NAMES
from alpick.data.orchard.plan import REGIMES, SPLITS, FramePlan, OrchardPlan, plan_orchard
from alpick.data.orchard.png import write_png
from alpick.data.orchard.scene import MIN_SIDE, Frame, render_sequence
from alpick.errors import AlpickError
from alpick.progress import Advance, progress_bar

DEFAULT_SIZE = (256, 448)
"""Default frame size, (width, height): MinneApple's 720x1280 portrait, scaled down."""
METADATA_COLUMNS = ("split", "image", "condition", "sequence", "frame", "apple_count")


@dataclass(frozen=True)
class OrchardReport:
    """What :func:`generate_orchard` wrote.

    Attributes:
        out: The dataset folder.
        size: Frame size, (width, height).
        seed: The seed used.
        images: Number of images per split.
        apples: Number of recorded apples (boxes) per split.
        empty: Number of images without any apple, per split.
        conditions: Per split, the number of images in each condition.
        sequences: Number of sequences per split.
        seconds: Wall time of the generation.
    """

    out: Path
    size: tuple[int, int]
    seed: int
    images: dict[str, int]
    apples: dict[str, int]
    empty: dict[str, int]
    conditions: dict[str, dict[str, int]]
    sequences: dict[str, int]
    seconds: float = field(compare=False)

    def summary(self) -> str:
        """One line: counts per split and per condition."""
        parts = []
        for split in SPLITS:
            per = ", ".join(f"{k} {v}" for k, v in self.conditions[split].items() if v)
            parts.append(
                f"{split}: {self.images[split]} images, {self.apples[split]} apples, "
                f"{self.empty[split]} empty ({per})"
            )
        w, h = self.size
        head = f"wrote {self.out} ({w}x{h}, seed {self.seed}) in {self.seconds:.1f} s"
        return "; ".join([head, *parts])


def _mask_pixels(mask: NDArray[np.uint16]) -> NDArray[np.uint8] | NDArray[np.uint16]:
    """8-bit ("L") when every id fits, else 16-bit ("I;16")."""
    if int(mask.max(initial=0)) <= 255:
        return mask.astype(np.uint8)
    return mask


#: The largest frame: its float canvases and masks must fit in memory many times over.
MAX_SIDE = 8192
MAX_PIXELS = 4096 * 4096
#: Seeds are stored as SQLite integers and given to numpy: non-negative 64-bit signed.
MAX_SEED = 2**63 - 1


def _check_args(n_train: int, n_test: int, size: tuple[int, int], seed: int) -> None:
    if n_train < 1:
        raise AlpickError(f"--n-train must be at least 1, got {n_train}")
    if n_test < 0:
        raise AlpickError(f"--n-test must be at least 0, got {n_test}")
    if len(size) != 2 or min(size) < MIN_SIDE:
        shown = "x".join(str(v) for v in size)
        raise AlpickError(f"size must be at least {MIN_SIDE}x{MIN_SIDE} pixels, got {shown}")
    if seed < 0 or seed > MAX_SEED:
        raise AlpickError(f"--seed must be in [0, {MAX_SEED}], got {seed}")
    if max(size) > MAX_SIDE or size[0] * size[1] > MAX_PIXELS:
        shown = "x".join(str(v) for v in size)
        raise AlpickError(
            f"size {shown} is too large: at most {MAX_SIDE} pixels a side and "
            f"{MAX_PIXELS:,} pixels a frame (each frame is painted in memory)"
        )


def _prepare(out: Path, overwrite: bool) -> Path:
    """Check ``out`` and make a fresh temporary folder beside it; returns the temporary folder."""
    if out.exists() and not out.is_dir():
        raise AlpickError(f"cannot write to {out}: it is a file")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise AlpickError(f"{out} exists and is not empty (use --force to replace it)")
    for above in out.absolute().parents:
        if above.exists():
            if not above.is_dir():
                raise AlpickError(f"cannot write to {out}: {above} is a file")
            break
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.parent / f".{out.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        tmp.mkdir()
    except OSError as exc:
        raise AlpickError(f"cannot write to {out}: {exc.strerror or exc}") from None
    return tmp


def _finish(tmp: Path, out: Path) -> None:
    """Move the finished dataset into place, replacing what was there."""
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_frames(
    tmp: Path, plan: OrchardPlan, size: tuple[int, int], advance: Advance
) -> Iterator[tuple[FramePlan, Frame]]:
    """Render every sequence and write its frames' PNGs; yields each frame with its plan."""
    plans = {(fp.split, fp.index): fp for fp in plan.frames}
    for seq in plan.sequences:
        frames = render_sequence(seq, size)
        for f, frame in enumerate(frames):
            fp = plans[(seq.split, seq.first_index + f)]
            write_png(tmp / fp.split / "images" / fp.image, frame.image)
            write_png(tmp / fp.split / "masks" / fp.image, _mask_pixels(frame.mask))
            yield fp, frame
        advance(len(frames))


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")


def _write_dataset(
    tmp: Path, plan: OrchardPlan, size: tuple[int, int], advance: Advance
) -> tuple[list[dict[str, object]], dict[str, int], dict[str, int]]:
    """Write every split's images, masks and ``boxes.json``, and ``metadata.csv``, into ``tmp``.

    Returns:
        The metadata rows, and the apples and the empty images per split.
    """
    rows: list[dict[str, object]] = []
    boxes: dict[str, list[str]] = {s: [] for s in SPLITS}
    apples = dict.fromkeys(SPLITS, 0)
    empty = dict.fromkeys(SPLITS, 0)
    for split in SPLITS:
        (tmp / split / "images").mkdir(parents=True)
        (tmp / split / "masks").mkdir()
    for fp, frame in _write_frames(tmp, plan, size, advance):
        split, name = fp.split, fp.image
        count = len(frame.ids)
        apples[split] += count
        empty[split] += count == 0
        rows.append(
            {
                "split": split,
                "image": name,
                "condition": fp.condition,
                "sequence": fp.sequence,
                "frame": fp.frame,
                "apple_count": count,
            }
        )
        record = np.concatenate([frame.ids[:, None], frame.boxes], axis=1).tolist()
        boxes[split].append(f"  {json.dumps(name)}: {json.dumps(record)}")
    for split in SPLITS:
        _write_text(tmp / split / "boxes.json", "{\n" + ",\n".join(boxes[split]) + "\n}\n")
    with (tmp / "metadata.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=METADATA_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return rows, apples, empty


def generate_orchard(
    out: Path,
    *,
    n_train: int = 300,
    n_test: int = 100,
    size: tuple[int, int] = DEFAULT_SIZE,
    seed: int = 0,
    progress: bool = False,
    overwrite: bool = False,
    regime: str = "default",
) -> OrchardReport:
    """Generate a synthetic MinneApple-like orchard dataset in ``out``.

    The dataset is written to a temporary folder beside ``out`` and renamed at the end, so an
    error or Ctrl-C leaves nothing half-written.

    Args:
        out: Dataset folder to create (must be absent or empty unless ``overwrite``).
        n_train: Training images, at least 1 (in sequences of 3-12 near-duplicate frames).
        n_test: Test images, at least 0 (independent scenes, conditions evenly spread).
        size: Frame size as (width, height), each at least 64 pixels.
        seed: Any non-negative integer; the same seed gives byte-identical files.
        progress: Show a progress bar on stderr when generation takes more than two seconds.
        overwrite: Replace an existing non-empty ``out``.
        regime: The training pool's make-up, one of :data:`~alpick.data.orchard.plan.REGIMES`:
            ``default`` (sequences of near-duplicate frames, skewed conditions) or ``balanced``
            (independent scenes, conditions evenly spread). The test split is the same in both.

    Returns:
        Counts of what was written.

    Raises:
        AlpickError: On a bad count, size or seed, or when ``out`` cannot be written.
    """
    _check_args(n_train, n_test, size, seed)
    if regime not in REGIMES:
        raise AlpickError(f"unknown orchard regime {regime!r}; choose {' or '.join(REGIMES)}")
    out = Path(out)
    started = time.monotonic()
    plan = plan_orchard(n_train, n_test, seed, regime)
    tmp = _prepare(out.absolute(), overwrite)
    bar = progress_bar(n_train + n_test, "generating orchard", enabled=progress, transient=True)
    try:
        with bar as advance:
            rows, apples, empty = _write_dataset(tmp, plan, size, advance)
        _finish(tmp, out.absolute())
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise AlpickError(f"cannot write to {out}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    conditions = {s: dict.fromkeys(CONDITION_NAMES, 0) for s in SPLITS}
    for row in rows:
        conditions[str(row["split"])][str(row["condition"])] += 1
    return OrchardReport(
        out=out,
        size=(int(size[0]), int(size[1])),
        seed=seed,
        images={s: sum(conditions[s].values()) for s in SPLITS},
        apples=apples,
        empty=empty,
        conditions=conditions,
        sequences={s: sum(1 for q in plan.sequences if q.split == s) for s in SPLITS},
        seconds=time.monotonic() - started,
    )


def read_boxes(split_dir: Path) -> dict[str, NDArray[np.int64]]:
    """The generator's record of boxes of one split, as written to ``boxes.json``.

    Args:
        split_dir: ``OUT/train`` or ``OUT/test``.

    Returns:
        For every image file name (empty images included), its boxes ``(N, 4)`` int64 as
        x0, y0, x1, y1 (``x1 = max x + 1``), in increasing mask id order.

    Raises:
        AlpickError: If the record is missing or malformed.
    """
    path = Path(split_dir) / "boxes.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AlpickError(f"cannot read {path}: {exc}") from None
    return {
        name: np.array(rows, dtype=np.int64).reshape(-1, 5)[:, 1:] for name, rows in data.items()
    }
