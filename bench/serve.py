"""Benchmark: ``alpick serve`` on a 100,000-sample project.

Builds a project of ``--n`` samples: real tiny PNGs for the first ``--real`` images (the ones
the first grid pages show) and database rows only ("headers only") for the rest, three
ground-truth boxes per image, a prediction set, a score set, a tag, and ``--dim``-dimensional
embeddings brought in with ``alpick embed import``. Then starts ``alpick serve --port 0`` for
real (uvicorn on 127.0.0.1) and times, with a fresh server (cold caches):

- the first grid page (``/api/samples``, 48 items with their boxes), cold and warm;
- a filtered, score-sorted grid page (tag + score range + sort);
- the page's 48 thumbnails, made by Pillow on first request (sequentially; a browser asks
  six at a time);
- the map's data (``/api/map``: PCA of the embeddings; the latest set is projected while the
  server starts, another set on request) and its colours (``/api/values``);
- a sample page (nearest neighbours over all embeddings).

Prints each figure and its ratio to the 1 s target, and the server's resident memory.

    nice -n 10 python bench/serve.py                  # 100,000 samples
    nice -n 10 python bench/serve.py --n 20000
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
from PIL import Image

from alpick.api import Project
from alpick.formats.detections import Classes, Detections

TARGET_S = 1.0
SRC = Path(__file__).resolve().parents[1] / "src"


def build(root: Path, n: int, dim: int, real: int) -> None:
    """The bench project in ``root``."""
    rng = np.random.default_rng(0)
    images = root / "data" / "raw" / "images"
    images.mkdir(parents=True)
    names = [f"img_{i:06d}.png" for i in range(n)]
    for name in names[:real]:
        Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(images / name)
    with Project.create(root):
        pass
    conn = sqlite3.connect(root / ".alpick" / "alpick.db", isolation_level=None)
    conn.execute("BEGIN")
    conn.execute("INSERT INTO classes (id, name) VALUES (0, 'apple')")
    conn.executemany(
        "INSERT INTO samples (id, path, width, height, hash) VALUES (?, ?, 64, 48, ?)",
        ((i + 1, name, f"{i:032x}") for i, name in enumerate(names)),
    )
    boxes = rng.uniform(0, 40, (n, 3, 2))
    conn.executemany(
        "INSERT INTO labels (sample_id, class_id, x0, y0, x1, y1) VALUES (?, 0, ?, ?, ?, ?)",
        (
            (i + 1, float(x), float(y), float(x) + 8, float(y) + 6)
            for i in range(n)
            for x, y in boxes[i]
        ),
    )
    conn.execute("COMMIT")
    conn.close()

    np.save(root / "emb.npy", rng.normal(size=(n, dim)).astype(np.float32))
    (root / "names.txt").write_text("\n".join(names) + "\n")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    for name in ("other", "emb"):  # "emb" last: the latest, the one the map shows first
        subprocess.run(
            [sys.executable, "-m", "alpick", "--project", str(root), "embed", "import",
             str(root / "emb.npy"), "--filenames", str(root / "names.txt"), "--name", name],
            check=True, env=env, capture_output=True,
        )  # fmt: skip

    with Project.open(root) as project:
        conf = rng.uniform(0.05, 1, (n, 3)).astype(np.float32)
        preds = {
            i + 1: Detections.unchecked(
                np.concatenate([boxes[i], boxes[i] + [8, 6]], axis=1).astype(np.float32),
                np.zeros(3, np.int64),
                conf[i],
            )
            for i in range(n)
        }
        project.save_predictions("preds", preds, Classes(["apple"]), source="bench")
        project.save_scores("preds", "preds", {"uncertainty_entropy": rng.uniform(0, 1, n)})
        project.create_tag("picked", rng.choice(n, 1000, replace=False) + 1, method="RANDOM")


def fetch(url: str) -> tuple[float, bytes]:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as r:
        body = r.read()
    return time.perf_counter() - start, body


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of ``pid`` in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def start_server(root: Path) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "alpick", "--project", str(root), "serve", "--port", "0"],
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if " at " not in line:
        proc.kill()
        raise SystemExit(f"alpick serve did not start: {line!r}")
    return proc, line.split(" at ", 1)[1].strip().rstrip("/")


def row(label: str, seconds: float, extra: str = "") -> None:
    print(f"  {label:<50} {seconds:7.3f} s   x{seconds / TARGET_S:5.2f} of the 1 s target {extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--real", type=int, default=200, help="real image files (first ones)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="alpick-bench-serve-") as tmp:
        root = Path(tmp) / "project"
        t0 = time.perf_counter()
        build(root, args.n, args.dim, args.real)
        print(f"built a {args.n:,}-sample project ({args.dim}-d embeddings) in "
              f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
        proc, base = start_server(root)
        try:
            rss0, _ = rss_mb(proc.pid)
            print(f"server up, {rss0:.0f} MB resident; timings over HTTP on 127.0.0.1:")
            cold, body = fetch(base + "/api/samples?limit=48")
            page = json.loads(body)
            assert page["total"] == args.n and len(page["items"]) == 48
            row("first grid page (cold)", cold, f"{len(body) / 1024:.0f} kB")
            row("first grid page (warm)", fetch(base + "/api/samples?limit=48")[0])
            query = ("/api/samples?limit=48&tag=picked&score=preds/uncertainty_entropy"
                     "&min_score=0.2&sort=preds/uncertainty_entropy")  # fmt: skip
            row("tag + score filter, sorted by score", fetch(base + query)[0])
            start = time.perf_counter()
            for item in page["items"]:
                fetch(f"{base}/api/samples/{item['id']}/thumb?size=256")
            row("48 thumbnails of that page (made, cold)", time.perf_counter() - start)
            start = time.perf_counter()
            for item in page["items"]:
                fetch(f"{base}/api/samples/{item['id']}/thumb?size=256")
            row("the same 48 thumbnails again (cached)", time.perf_counter() - start)
            cold_map, body = fetch(base + "/api/map")
            row(
                "map data (first request; PCA warmed at start)",
                cold_map,
                f"{len(body) / 1e6:.1f} MB",
            )
            row("map data (warm)", fetch(base + "/api/map")[0])
            row(
                "map data of another set (cold: PCA on request)",
                fetch(base + "/api/map?embeddings=other")[0],
            )
            row("map colours by score", fetch(base + "/api/values?color=score:preds/"
                                              "uncertainty_entropy")[0])  # fmt: skip
            row("map colours by tag", fetch(base + "/api/values?color=tag:picked")[0])
            row("sample page with 8 neighbours", fetch(base + "/api/samples/7")[0])
            rss, peak = rss_mb(proc.pid)
            print(f"  server memory: {rss:.0f} MB resident now, {peak:.0f} MB peak")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
