"""Benchmark: synthetic orchard generation speed, images per second on one core.

Ours is the default run (256x448 frames, 300 train + 100 test images, PNGs written); the
baseline beside it is the same generator at MinneApple's full 720x1280 size, the cost a
full-size synthetic pool would have. Target: at least 20 images/s at the default size.

    PYTHONPATH=src python bench/generate.py [--n-train 300] [--n-test 100]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from alpick.data.orchard import DEFAULT_SIZE, generate_orchard

TARGET = 20.0


def images_per_second(n_train: int, n_test: int, size: tuple[int, int]) -> float:
    """Generate a dataset into a temporary folder; returns images written per second."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        generate_orchard(Path(tmp) / "orchard", n_train=n_train, n_test=n_test, size=size)
        return (n_train + n_test) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=300)
    parser.add_argument("--n-test", type=int, default=100)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    ours = images_per_second(args.n_train, args.n_test, DEFAULT_SIZE)
    full = images_per_second(max(args.n_train // 10, 1), max(args.n_test // 10, 1), (720, 1280))
    w, h = DEFAULT_SIZE
    print(f"baseline 720x1280 : {full:6.1f} images/s")
    print(f"ours     {w}x{h}  : {ours:6.1f} images/s ({args.n_train} train + {args.n_test} test)")
    print(f"ratio             : {ours / full:6.1f}x")
    verdict = "meets" if ours >= TARGET else "MISSES"
    print(f"target            : >= {TARGET:.0f} images/s at {w}x{h}: {verdict}")


if __name__ == "__main__":
    main()
