"""Benchmark: a 1,000,000-sample project on one machine, each step as the user runs it.

Builds, under ``--root`` (default: a fresh folder in /tmp, deleted at the end unless
``--keep``), ``--n`` tiny PNGs (1,000 per folder), one KITTI prediction file per image and a
``--n`` x ``--dim`` float32 embedding matrix, then runs each step as its own ``alpick``
process and reports its wall time and its peak memory (the process's maximum resident set,
from ``wait4``) against the issue's targets:

| step | target |
|---|---|
| ``alpick init`` (headers only) | <= 4 min for 1,000,000 images |
| ``alpick init`` again, nothing changed (re-scan) | <= 30 s |
| ``alpick tag create`` / ``tag show`` of 100,000 samples | <= 2 s each |
| ``alpick select --method CORESET --n-samples 1000`` on N x 128 | <= 1.3 x 1,000 bare matvecs |
| ``alpick scores`` over N prediction files | <= 60 s |
| peak memory of each | <= 2 GB beyond the embedding matrix |

The targets are for 1,000,000 samples; with ``--n`` smaller they scale down linearly (the
matvec ratio does not depend on N). ``embed import`` is timed too (it feeds ``select``).
The baseline of the CORESET row is measured here: 1,000 products ``X @ v`` over the same
matrix, in a child process with the same BLAS threads as the ``alpick`` steps (``--threads``,
default every core). Each row prints ours, the target (or baseline) and their ratio.

    nice -n 10 python bench/scale.py                 # 1,000,000 samples (~10 min, ~10 GB disk)
    nice -n 10 python bench/scale.py --n 100000      # a quick look
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

PER_FOLDER = 1000
TAG_SIZE = 100_000
PICKS = 1000
MiB = 2**20


def build(root: Path, n: int, dim: int) -> None:
    """``n`` 8x8 PNGs in folders of 1,000, a KITTI prediction file each (0 to 3 boxes, from a
    few dozen variants), and the embeddings; written with bare ``os`` calls to build fast."""
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (90, 140, 60)).save(buf, format="PNG")
    png = buf.getvalue()
    rng = np.random.default_rng(0)
    variants = [
        "".join(
            f"apple 0.00 0 0.00 1.00 1.00 6.00 7.00 0 0 0 0 0 0 0 {rng.random():.4f}\n"
            for _ in range(k)
        ).encode()
        for k in (0, 1, 2, 3)
        for _ in range(16)
    ]
    images, preds = root / "data/raw/images", root / "preds"
    names = []
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    for lo in range(0, n, PER_FOLDER):
        folder = f"f{lo // PER_FOLDER:04d}"
        (images / folder).mkdir(parents=True)
        (preds / folder).mkdir(parents=True)
        for i in range(lo, min(n, lo + PER_FOLDER)):
            names.append(f"{folder}/im{i:07d}.png")
            for path, data in (
                (f"{images}/{folder}/im{i:07d}.png", png),
                (f"{preds}/{folder}/im{i:07d}.txt", variants[(i * 7919) % len(variants)]),
            ):
                fd = os.open(path, flags, 0o644)
                os.write(fd, data)
                os.close(fd)
    (root / "names.txt").write_text("\n".join(names) + "\n")
    picked = rng.choice(n, size=min(TAG_SIZE, n), replace=False)
    (root / "tag.txt").write_text("\n".join(names[i] for i in sorted(picked)) + "\n")
    np.save(root / "emb.npy", rng.standard_normal((n, dim), dtype=np.float32))


def run(root: Path, threads: int, *args: str) -> tuple[float, float]:
    """Seconds and peak resident MiB of ``alpick ARGS`` run in ``root`` with ``threads``
    BLAS/OpenMP threads (0: every core)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "alpick", *args],
        cwd=root,
        env=_thread_env(threads),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    assert proc.stderr is not None
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"alpick {' '.join(args)} failed:\n{proc.stderr.read().decode()}")
    proc.stderr.close()
    return seconds, usage.ru_maxrss / 1024  # KiB on Linux


def _thread_env(threads: int) -> dict[str, str]:
    count = str(threads or os.cpu_count() or 1)
    return {**os.environ, "OMP_NUM_THREADS": count, "OPENBLAS_NUM_THREADS": count}


#: The CORESET baseline, run as its own process with the same threads as ``alpick``.
MATVECS = """
import sys, time, numpy as np
x = np.load("emb.npy")
start = time.perf_counter()
for i in range({picks}):
    x @ x[i]
sys.stderr.write(repr(time.perf_counter() - start))
"""


def matvecs(root: Path, picks: int, threads: int) -> float:
    """Seconds for ``picks`` products ``X @ v`` over the embedding matrix (the memory bound),
    in a child process with the same thread settings as the ``alpick`` steps."""
    done = subprocess.run(
        [sys.executable, "-c", MATVECS.format(picks=picks)],
        cwd=root,
        env=_thread_env(threads),
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="BLAS/OpenMP threads of every step and of the baseline (default: every core).",
    )
    parser.add_argument("--root", type=Path, default=None, help="Work folder (default: /tmp).")
    parser.add_argument(
        "--keep", action="store_true", help="Keep the work folder (--root it again to reuse it)."
    )
    args = parser.parse_args()
    root = args.root or Path(tempfile.mkdtemp(prefix="alpick-scale-"))
    scale = args.n / 1_000_000
    emb_mib = args.n * args.dim * 4 / MiB
    try:
        t0 = time.perf_counter()
        if (root / "emb.npy").is_file():  # a folder kept by --keep: the steps again
            shutil.rmtree(root / ".alpick", ignore_errors=True)
            print(f"reusing the files in {root}")
        else:
            build(root, args.n, args.dim)
            print(f"built {args.n:,} images + prediction files in {time.perf_counter() - t0:.0f} s")
        print(f"embedding matrix: {args.n:,} x {args.dim} float32 = {emb_mib:,.0f} MiB")
        print(f"{'step':44} {'ours':>9} {'target':>9} {'ratio':>6} {'peak MiB':>9}")

        def step(*command: str) -> tuple[float, float]:
            return run(root, args.threads, *command)

        def row(name: str, seconds: float, target: float, peak: float) -> None:
            print(
                f"{name:44} {seconds:8.1f}s {target:8.1f}s {seconds / target:6.2f} {peak:9,.0f}",
                flush=True,
            )

        row("init (headers only)", *_first(step("init"), 240 * scale))
        row("init again, nothing changed", *_first(step("init"), 30 * scale))
        row("tag create (100,000)", *_first(
            step("tag", "create", "big", "--from-file", "tag.txt"), 2.0))  # fmt: skip
        row("tag show (100,000)", *_first(step("tag", "show", "big"), 2.0))
        seconds, peak = step("embed", "import", "emb.npy", "--filenames", "names.txt",
                             "--name", "emb")  # fmt: skip
        print(f"{'embed import (no target)':44} {seconds:8.1f}s {'':>9} {'':>6} {peak:9,.0f}")
        bound = matvecs(root, PICKS, args.threads)
        seconds, peak = step("select", "--method", "CORESET", "--n-samples", str(PICKS),
                             "--new-tag", "core", "--embeddings", "emb")  # fmt: skip
        row(f"select CORESET {PICKS:,} (vs {PICKS:,} matvecs)", seconds, bound * 1.3, peak)
        print(f"{'':44} (1,000 matvecs: {bound:.1f} s; ours / matvecs = {seconds / bound:.2f})")
        row("scores over the prediction files", *_first(
            step("scores", "--predictions", "preds"), 60 * scale))  # fmt: skip
        print(f"peak memory target: {2048 + emb_mib:,.0f} MiB (2 GiB + the embedding matrix)")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def _first(result: tuple[float, float], target: float) -> tuple[float, float, float]:
    seconds, peak = result
    return seconds, target, peak


if __name__ == "__main__":
    main()
