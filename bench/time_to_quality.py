"""Time to quality: training wall time until the detector first reaches a test AP50.

Old: the detector's settings before the feature cache (the whole backbone but its stem trained
from decoded, TLT-augmented images; 256x448, pyramid P2-P5, square anchors, AdamW lr 1e-3,
batch 4, 12 epochs, NCHW convolutions). New: today's defaults (``TrainConfig()``: settings
fitted to the data, frozen stages computed once per image, NHWC convolutions). Both train on
the default orchard (300 train / 100 test, seed 0) and are evaluated on the test split after
every epoch; evaluation time is not counted.
A run stops at the first epoch that reaches the target (``train_detector(on_epoch=...)``). The
two runs go one after the other in this process, each with the whole machine (``--threads``,
default: every core, as ``alpick train`` runs), or side by side in two one-thread processes
with ``--parallel``. Run it on a machine with nothing else running.

    PYTHONPATH=src python bench/time_to_quality.py [--target 0.5] [--epochs 12] [--parallel]
        [--orchard DIR] [--threads N]

Prints each epoch's AP50 and cumulated training seconds, then old and new time-to-target and
their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

OLD = {
    "freeze": 1,
    "feature_cache": False,
    "augment": True,
    "input_size": (256, 448),
    "levels": (2, 3, 4, 5),
    "aspect_ratios": (1.0,),
    "lr": 1e-3,
    "batch_size": 4,
    "warmup_epochs": 1.0,
    "channels_last": False,
}


def load_split(root: Path) -> list:
    """(image path, Detections) of one orchard split, from its ``boxes.json``."""
    from alpick.formats.detections import Detections

    boxes = json.loads((root / "boxes.json").read_text())
    out = []
    for name in sorted(boxes):
        xyxy = np.array([b[1:] for b in boxes[name]], np.float32).reshape(-1, 4)
        out.append((root / "images" / name, Detections(xyxy, np.zeros(len(xyxy), np.int64))))
    return out


def run(which: str, orchard: Path, epochs: int, target: float, threads: int) -> dict:
    """Train ``which`` ("old" or "new") epoch by epoch; AP50 and training seconds per epoch."""
    import torch

    from alpick.detector.config import TrainConfig
    from alpick.detector.features import FeatureCache
    from alpick.detector.predict import load_detector, predict_images
    from alpick.detector.train import train_detector
    from alpick.evaluate.coco import coco_metrics

    torch.set_num_threads(threads)
    train, test = load_split(orchard / "train"), load_split(orchard / "test")
    settings = dict(OLD, epochs=epochs) if which == "old" else {}
    config = TrainConfig(checkpoint_every=1, **settings)  # type: ignore[arg-type]
    cache = FeatureCache()
    rows: list[dict] = []
    test_paths = [p for p, _ in test]
    truth = {str(i): d for i, (_, d) in enumerate(test)}
    spent = evaluating = 0.0

    def evaluate(row: dict) -> bool:
        """Evaluate the epoch just saved; stop once the target is reached."""
        nonlocal spent, evaluating
        spent += row["seconds"]
        t0 = time.perf_counter()
        detector = load_detector(run_dir / "last.pt")
        preds = predict_images(detector, test_paths, progress=False, cache=cache)
        metrics = coco_metrics(truth, {str(i): p for i, p in enumerate(preds)}, ["apple"],
                               per_class=False).metrics  # fmt: skip
        rows.append({"epoch": int(row["epoch"]), "seconds": round(spent, 1),
                     "AP50": metrics["AP50"]})  # fmt: skip
        print(f"{which} epoch {int(row['epoch'])}: AP50 {metrics['AP50']:.3f} after "
              f"{spent:.0f} s of training", flush=True)  # fmt: skip
        evaluating += time.perf_counter() - t0
        return bool(metrics["AP50"] >= target)

    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / which
        started = time.perf_counter()
        train_detector(train, ["apple"], run_dir, config=config, progress=False,
                       cache=cache, on_epoch=evaluate)  # fmt: skip
        wall = time.perf_counter() - started
    hit = next((r["seconds"] for r in rows if r["AP50"] >= target), None)
    # set-up outside the epochs (fitting, the feature cache) counts too; evaluation does not
    setup = wall - spent - evaluating
    return {"which": which, "rows": rows, "setup_s": max(0.0, setup),
            "to_target_s": None if hit is None else hit + max(0.0, setup)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", type=float, default=0.5)
    parser.add_argument("--epochs", type=int, default=12, help="The old schedule's epochs.")
    parser.add_argument("--orchard", type=Path, help="An existing default orchard folder.")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--parallel", action="store_true")
    parser.add_argument("--only", choices=["old", "new"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    orchard = args.orchard
    if orchard is None:
        from alpick.data.orchard import generate_orchard

        orchard = Path(tempfile.mkdtemp()) / "orchard"
        generate_orchard(orchard, n_train=300, n_test=100, seed=0)
    if args.only:
        print("RESULT " + json.dumps(run(args.only, orchard, args.epochs, args.target,
                                         args.threads)))  # fmt: skip
        return
    if args.parallel:
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--only",
                    which,
                    "--orchard",
                    str(orchard),
                    "--epochs",
                    str(args.epochs),
                    "--target",
                    str(args.target),
                    "--threads",
                    "1",
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            for which in ("old", "new")
        ]
        results = []
        for proc in procs:
            out, _ = proc.communicate()
            print(out, end="")
            results.append(json.loads(out.split("RESULT ", 1)[1]))
    else:
        results = [run(w, orchard, args.epochs, args.target, args.threads) for w in ("old", "new")]
    old, new = results
    print(f"\ntime to test AP50 >= {args.target} on the default orchard (training only):")
    for r in results:
        best = max(x["AP50"] for x in r["rows"])
        hit = r["to_target_s"]
        text = "not reached" if hit is None else f"{hit:.0f} s"
        print(f"  {r['which']}: {text} (best AP50 {best:.3f}, set-up {r['setup_s']:.0f} s)")
    if old["to_target_s"] and new["to_target_s"]:
        print(f"  ratio old/new: {old['to_target_s'] / new['to_target_s']:.2f}x")


if __name__ == "__main__":
    main()
