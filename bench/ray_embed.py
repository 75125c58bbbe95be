"""Benchmark: embedding throughput in one process against a local Ray cluster of 1 and 2 workers.

Writes ``--n`` generated images (``--size`` pixels square), embeds them with
``efficientnet_lite0`` at 224 px in one process (``compute_embeddings``, the baseline), then on
a local Ray cluster of ``--cpus`` CPUs (started here on 127.0.0.1, stopped at the end) with 1
and with 2 model workers of one CPU each and with one worker of every CPU, and prints images/s,
the ratio to the baseline, and the largest difference of the rows (the results must equal the
single-process ones to 1e-5). The cluster's start is not timed; each Ray run includes
connecting, starting the actors and shipping the model.

    nice -n 10 python bench/ray_embed.py --n 1024   # the figures in docs/scale.md
    nice -n 10 python bench/ray_embed.py            # 256 images
    nice -n 10 python bench/ray_embed.py --n 64     # a quick look
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # Ray on 127.0.0.1 only


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--cpus", type=int, default=2)
    args = parser.parse_args()

    import ray
    import torch

    from alpick.distributed import RayOptions
    from alpick.distributed.embed import embed_on_ray
    from alpick.embed import compute_embeddings

    folder = Path(tempfile.mkdtemp(prefix="alpick-ray-embed-"))
    try:
        rng = np.random.default_rng(0)
        paths = []
        for i in range(args.n):
            pixels = rng.integers(0, 255, size=(args.size, args.size, 3), dtype=np.uint8)
            paths.append(folder / f"im{i:04d}.png")
            Image.fromarray(pixels).save(paths[-1])
        settings = {"model": "efficientnet_lite0", "input_size": 224, "progress": False}
        start = time.perf_counter()
        one, _ = compute_embeddings(paths, batch_size=args.batch_size, **settings)  # type: ignore[arg-type]
        base = args.n / (time.perf_counter() - start)
        print(f"{f'one process, {torch.get_num_threads()} threads:':26}{base:7.1f} images/s")
        ray.init(address="local", num_cpus=args.cpus, include_dashboard=False,
                 logging_level="ERROR", object_store_memory=300 * 2**20)  # fmt: skip
        try:
            for workers, cpus in ((1, 1), (2, 1), (1, args.cpus)):
                start = time.perf_counter()
                result, _ = embed_on_ray(
                    paths,
                    options=RayOptions("auto", workers=workers, cpus_per_worker=cpus),
                    batch_size=args.batch_size,
                    **settings,
                )
                rate = args.n / (time.perf_counter() - start)
                diff = float(np.abs(result.embeddings - one.embeddings).max())
                label = f"Ray, {workers} worker{'s' if workers > 1 else ''} x {cpus} CPU:"
                print(
                    f"{label:26}{rate:7.1f} images/s  "
                    f"({rate / base:.2f}x one process; max |diff| {diff:.1e})"
                )
        finally:
            ray.shutdown()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
