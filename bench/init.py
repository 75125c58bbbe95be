"""Benchmark: importing a 10,000-image folder with KITTI labels (``alpick init``).

Ours: ``ProjectStore.create(...).import_samples()`` -- sizes from image headers, one read + blake2b
per file, labels parsed as text, one transaction. Baseline: the naive way -- decode every image
(``PIL ... .convert("RGB")``) to learn its size and read each label file with
``numpy.genfromtxt`` -- timed on a subset and reported per image.

Run: ``PYTHONPATH=src python bench/init.py [--n 10000] [--baseline-n 1000] [--size 64x48]``
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from alpick.store.project import ProjectStore


def make_dataset(root: Path, n: int, *, width: int = 64, height: int = 48) -> None:
    """``n`` small PNGs (16 distinct contents) with 3-box KITTI label files each."""
    rng = np.random.default_rng(0)
    blobs = []
    for _ in range(16):
        pixels = rng.integers(0, 255, size=(height, width, 3), dtype=np.uint8)
        buf = io.BytesIO()
        Image.fromarray(pixels).save(buf, format="PNG")
        blobs.append(buf.getvalue())
    images = root / "data/raw/images"
    labels = root / "data/raw/labels"
    images.mkdir(parents=True)
    labels.mkdir(parents=True)
    for i in range(n):
        (images / f"img_{i:05d}.png").write_bytes(blobs[i % 16])
        boxes = rng.uniform(0, [width / 2, height / 2], size=(3, 2))
        lines = [
            f"apple 0.00 0 0.00 {x:.2f} {y:.2f} {x + 10:.2f} {y + 8:.2f} 0 0 0 0 0 0 0"
            for x, y in boxes
        ]
        (labels / f"img_{i:05d}.txt").write_text("\n".join(lines) + "\n")


def naive(root: Path, n: int) -> float:
    """Seconds for the naive import of the first ``n`` images (decode + genfromtxt)."""
    images = sorted((root / "data/raw/images").iterdir())[:n]
    start = time.perf_counter()
    records = []
    for path in images:
        with Image.open(path) as image:
            rgb = image.convert("RGB")
        label = root / "data/raw/labels" / (path.stem + ".txt")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            boxes = np.genfromtxt(label, usecols=(4, 5, 6, 7), ndmin=2)
        records.append((path.name, rgb.size, boxes))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--baseline-n", type=int, default=1_000)
    parser.add_argument("--size", default="64x48", help="image size WxH (default 64x48)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        width, height = (int(v) for v in args.size.lower().split("x"))
        make_dataset(root, args.n, width=width, height=height)
        print(f"made {args.n:,} {args.size} images + labels in {time.perf_counter() - t0:.1f} s")

        base_s = naive(root, min(args.baseline_n, args.n))
        base_rate = min(args.baseline_n, args.n) / base_s

        start = time.perf_counter()
        with ProjectStore.create(root) as project:
            report = project.import_samples()
        ours_s = time.perf_counter() - start
        ours_rate = report.added / ours_s

        start = time.perf_counter()
        with ProjectStore.open(root) as project:
            again = project.import_samples()
        rescan_s = time.perf_counter() - start

    print(
        f"baseline (decode + genfromtxt, {min(args.baseline_n, args.n):,} images): "
        f"{base_rate:,.0f} images/s -> {args.n / base_rate:.1f} s for {args.n:,}"
    )
    print(
        f"alpick init ({report.added:,} images, {report.boxes:,} boxes): "
        f"{ours_rate:,.0f} images/s ({ours_s:.2f} s)"
    )
    print(f"alpick init re-scan ({again.unchanged:,} unchanged): {rescan_s:.2f} s")
    print(f"ratio: {ours_rate / base_rate:.1f}x faster than the baseline")


if __name__ == "__main__":
    main()
