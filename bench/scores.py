"""Benchmark: scoring KITTI prediction files, our pipeline against the tutorial's approach.

Generates ``--n-files`` KITTI-16 prediction files (TLT inference output: the 15 KITTI columns
plus a confidence; about 20 boxes each, some files empty; seeded) in a temporary folder, then
times, in one run:

* ours: bulk read of the whole folder into ``Detections`` (``alpick.formats.kitti
  .load_kitti_dir``), one ``BoxTable.from_detections`` and ``compute_scores`` for every score;
* ours end to end, as ``alpick scores --predictions DIR --out FILE.csv`` runs outside a
  project: ``alpick.project.scores.score_folder`` (format dispatch, checks) plus the CSV file;
* the tutorial's approach on the first ``--baseline-files`` files: its ``load_model_outputs``
  (one ``numpy.genfromtxt`` per file, a ``BoundingBox`` object per box, class probabilities
  built per box as Python lists by ``from_scores``) and the platform scorer's per-image loops,
  for its five scores (ours computes all seven).

Prints both rates (files per second) and their ratio (target >= 10x), and checks that both give
the same five platform scores on the common files. The files go to /dev/shm when it exists, so
that parsing, not the disk, is timed.

    nice -n 10 python bench/scores.py                      # 100,000 files
    nice -n 10 python bench/scores.py --n-files 10000 --baseline-files 1000
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from alpick.formats.detections import Classes
from alpick.formats.kitti import load_kitti_dir
from alpick.project.scores import score_folder, write_scores_csv
from alpick.scores import SCORES, BoxTable, compute_scores

CLASS_NAMES = ("apple",)  # the tutorial's orchard: one class

READER = "alpick.formats.kitti.load_kitti_dir"


def generate(directory: Path, n_files: int, seed: int) -> int:
    """Write ``n_files`` KITTI-16 prediction files; returns the number of boxes."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(20, size=n_files)
    counts[rng.random(n_files) < 0.02] = 0
    total = int(counts.sum())
    cls = rng.integers(0, len(CLASS_NAMES), size=total)
    x0 = rng.uniform(0, 1200, total)
    y0 = rng.uniform(0, 650, total)
    w = rng.uniform(5, 80, total)
    h = rng.uniform(5, 70, total)
    conf = np.round(rng.beta(2, 2, total), 4)
    lines = [
        f"{CLASS_NAMES[c]} 0.00 0 0.00 {a:.2f} {b:.2f} {a + ww:.2f} {b + hh:.2f} "
        f"0.00 0.00 0.00 0.00 0.00 0.00 0.00 {s:.4f}\n"
        for c, a, b, ww, hh, s in zip(cls, x0, y0, w, h, conf, strict=True)
    ]
    start = 0
    for i, n in enumerate(counts):
        (directory / f"{i:06d}.txt").write_text("".join(lines[start : start + n]))
        start += n
    return total


# --- the tutorial's approach -------------------------------------------------------------------
# The tutorial's load_model_outputs(): np.genfromtxt per file, a BoundingBox per box (clipped and
# normalised), ObjectDetectionOutput.from_scores (Python lists of class probabilities per box),
# then the platform scorer, image by image. One fix: ``ndmin=2``, since the tutorial's
# ``len(contents.shape) > 1`` test silently dropped the predictions of one-line files.

MAX_WIDTH, MAX_HEIGHT = 1280, 720
PLATFORM_SCORES = (
    "object_frequency",
    "objectness_least_confidence",
    "uncertainty_least_confidence",
    "uncertainty_margin",
    "uncertainty_entropy",
)


class BoundingBox:
    """One Python object per box, as in the tutorial."""

    def __init__(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.x0, self.y0, self.x1, self.y1 = x0, y0, x1, y1


class DetectionOutput:
    """``ObjectDetectionOutput.from_scores``: per-box class probabilities as Python lists."""

    def __init__(self, boxes: list[BoundingBox], scores: list[float], labels: list[int]) -> None:
        if any(s > 1 for s in scores) or any(s < 0 for s in scores):
            raise ValueError("scores must be in [0, 1]")
        if not all(isinstance(label, int) for label in labels):
            raise ValueError("labels must be integers")
        max_label = max(labels) if labels else 0
        self.class_probabilities = []
        for s, label in zip(scores, labels, strict=True):
            k = max(max_label, 1)
            probs = [(1 - s) / k] * (k + 1)
            probs[label] = s
            self.class_probabilities.append(probs)
        self.object_probabilities = list(scores)
        _ = [o * max(c) for o, c in zip(scores, self.class_probabilities, strict=True)]
        _ = [c.index(max(c)) for c in self.class_probabilities]
        self.boxes, self.scores, self.labels = boxes, scores, labels


def _uncertainties(probs: np.ndarray) -> dict[str, np.ndarray]:
    """``ScorerClassification`` on one image's boxes, normalised with ``np.interp``."""

    def raw(p: np.ndarray) -> dict[str, np.ndarray]:
        logs = np.zeros_like(p)
        np.log2(p, out=logs, where=p > 0)
        part = np.partition(p, -2, axis=1)
        return {
            "uncertainty_least_confidence": 1 - np.max(p, axis=1),
            "uncertainty_margin": 1 - (part[:, -1] - part[:, -2]),
            "uncertainty_entropy": -np.sum(p * logs, axis=1),
        }

    c = probs.shape[1]
    sure = np.zeros((1, c))
    sure[0, 0] = 1
    lo, hi = raw(sure), raw(np.ones((1, c)) / c)
    return {
        k: np.interp(np.nan_to_num(v), [float(lo[k][0]), float(hi[k][0])], [0, 1])
        for k, v in raw(probs).items()
    }


def tutorial_pipeline(paths: list[Path]) -> dict[str, np.ndarray]:
    outputs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # genfromtxt warns on empty files
        for path in paths:
            contents = np.genfromtxt(path, ndmin=2)
            boxes = []
            for x0, y0, x1, y1 in contents[:, 4:8]:
                boxes.append(
                    BoundingBox(
                        max(0, min(x0, MAX_WIDTH)) / MAX_WIDTH,
                        max(0, min(y0, MAX_HEIGHT)) / MAX_HEIGHT,
                        min(MAX_WIDTH, x1) / MAX_WIDTH,
                        min(MAX_HEIGHT, y1) / MAX_HEIGHT,
                    )
                )
            scores = [float(s) for s in contents[:, -1]] if len(contents) else []
            labels = [0] * len(boxes)  # the tutorial's single class: apples
            outputs.append(DetectionOutput(boxes, scores, labels))
    result: dict[str, list[float]] = {k: [] for k in PLATFORM_SCORES}
    n_objs = []
    for out in outputs:
        objs: dict[int, float] = {}
        for label in out.labels:
            objs[label] = objs[label] + 0.25 if label in objs else 1.0
        n_objs.append(sum(objs.values()))
        result["objectness_least_confidence"].append(1 - np.mean(out.scores) if out.scores else 0)
        per_box = _uncertainties(np.array(out.class_probabilities)) if out.scores else {}
        for name in PLATFORM_SCORES[2:]:
            result[name].append(float(np.max(per_box[name])) if per_box else 0.0)
    lo, hi = min(n_objs), max(n_objs)
    result["object_frequency"] = [float(np.interp(x, (lo, hi), (0.9, 1.0))) for x in n_objs]
    return {k: np.asarray(v) for k, v in result.items()}


# --- ours ---------------------------------------------------------------------------------------


def our_pipeline(directory: Path, names: list[str] | None = None) -> tuple[dict, dict[str, float]]:
    times = {}
    t0 = time.perf_counter()
    _, dets = load_kitti_dir(directory, Classes(list(CLASS_NAMES)), names=names)
    t1 = time.perf_counter()
    table = BoxTable.from_detections(dets)
    t2 = time.perf_counter()
    scores = compute_scores(table)
    t3 = time.perf_counter()
    times = {"read": t1 - t0, "table": t2 - t1, "scores": t3 - t2, "total": t3 - t0}
    return scores, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-files", type=int, default=100_000)
    parser.add_argument("--baseline-files", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path("/dev/shm") if Path("/dev/shm").is_dir() else None,
        help="where to create the temporary folder (default: /dev/shm when present, so that "
        "parsing is timed rather than the disk)",
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="alpick-bench-scores-", dir=args.dir))
    try:
        t0 = time.perf_counter()
        n_boxes = generate(tmp, args.n_files, args.seed)
        print(
            f"generated {args.n_files:,} KITTI-16 files, {n_boxes:,} boxes "
            f"({n_boxes / args.n_files:.1f} per file) in {time.perf_counter() - t0:.1f} s"
        )
        print(f"reader: {READER}")

        _, ours = our_pipeline(tmp)
        rate_ours = args.n_files / ours["total"]
        print(
            f"ours, all {args.n_files:,} files: {ours['total']:.2f} s = {rate_ours:,.0f} files/s "
            f"(read {ours['read']:.2f} s, box table {ours['table']:.2f} s, "
            f"{len(SCORES)} scores {ours['scores']:.2f} s)"
        )

        t0 = time.perf_counter()
        report = score_folder(tmp)
        t1 = time.perf_counter()
        csv_path = tmp.with_name(tmp.name + ".csv")
        write_scores_csv(csv_path, report.samples, report.scores)
        t2 = time.perf_counter()
        csv_path.unlink()
        rate_cli = args.n_files / (t2 - t0)
        print(
            f"ours as `alpick scores --out FILE.csv` (outside a project): {t2 - t0:.2f} s = "
            f"{rate_cli:,.0f} files/s (read + scores {t1 - t0:.2f} s, CSV of "
            f"{len(report.samples):,} rows {t2 - t1:.2f} s)"
        )

        subset = sorted(tmp.glob("*.txt"))[: args.baseline_files]
        t0 = time.perf_counter()
        base = tutorial_pipeline(subset)
        t_base = time.perf_counter() - t0
        rate_base = len(subset) / t_base
        print(
            f"tutorial approach, {len(subset):,} files: {t_base:.2f} s = {rate_base:,.0f} files/s"
        )
        print(f"ours / tutorial = {rate_ours / rate_base:.1f}x faster   (target >= 10x)")
        print(f"ours end to end (CLI + CSV) / tutorial = {rate_cli / rate_base:.1f}x faster")

        same, _ = our_pipeline(tmp, names=[p.stem for p in subset])
        diff = max(float(np.abs(same[k] - base[k]).max()) for k in PLATFORM_SCORES)
        print(f"same scores on the {len(subset):,} common files: max |difference| = {diff:.1e}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
