"""Detector speed on this CPU (or GPU), and the architecture comparison behind the default.

Speed (default): training and inference images/s at the default input size (256x448), through
the whole pipeline (decode, resize, augment, batch; `train_detector` / `predict_images`) and,
as the baseline, the bare model on pre-decoded tensors; the ratio pipeline/bare shows what data
loading costs, and the share of training time spent waiting on the loader is printed too.

    PYTHONPATH=src python bench/detector.py [--images 32] [--epochs 2] [--threads N] [--workers W]

Architecture comparison: trains each candidate (FCOS / RetinaNet, pyramid levels) for a few
epochs on the same synthetic images and reports COCO AP/AP50 on held-out ones plus speed.

    PYTHONPATH=src python bench/detector.py --compare [--train 60] [--test 20] [--epochs 8]
        [--batch 8] [--lr 1e-3] [--eval-every N] [--candidates "fcos P2-P5,retinanet P2-P5"]

Images: the synthetic orchard when `alpick.data.orchard` is importable, else shaded discs of
apple-like sizes with occlusion (`alpick.detector.synthetic`). The CPU may be shared with other
work, which lowers and scatters the figures.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from alpick.detector.config import TrainConfig
from alpick.detector.data import DetectionDataset
from alpick.detector.model import build_detector
from alpick.detector.predict import load_detector, predict_images
from alpick.detector.synthetic import write_disc_dataset
from alpick.detector.train import train_detector
from alpick.evaluate.coco import coco_metrics
from alpick.formats.detections import Detections

SIZE = (256, 448)


def _boxes_from_mask(mask_path: Path) -> Detections:
    mask = np.asarray(Image.open(mask_path))
    boxes = []
    for obj in np.unique(mask):
        if obj == 0:
            continue
        ys, xs = np.nonzero(mask == obj)
        if xs.max() > xs.min() and ys.max() > ys.min():
            boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
    arr = np.array(boxes, np.float32).reshape(-1, 4)
    return Detections(arr, np.zeros(len(arr), np.int64))


def make_data(root: Path, n_train: int, n_test: int, seed: int) -> tuple[list, list, str]:
    """(train samples, test samples, description) from the orchard generator or discs."""
    try:
        from alpick.data.orchard import generate_orchard
    except ImportError:
        generate_orchard = None
    if generate_orchard is not None:
        generate_orchard(root / "orchard", n_train=n_train, n_test=max(n_test, 1), seed=seed)
        splits = []
        for split in ("train", "test"):
            images = sorted((root / "orchard" / split / "images").glob("*.png"))
            masks = root / "orchard" / split / "masks"
            splits.append([(p, _boxes_from_mask(masks / p.name)) for p in images])
        return splits[0][:n_train], splits[1][:n_test], "synthetic orchard"
    kw = dict(size=SIZE, n_discs=(0, 30), radius=(2.5, 10.0), occlusion=0.5)
    train = write_disc_dataset(root / "train", n_train, seed=seed, **kw)
    test = write_disc_dataset(root / "test", n_test, seed=seed + 1, **kw)
    return train, test, "synthetic discs (orchard generator not available)"


def bare_speed(config: TrainConfig, samples: list, steps: int) -> tuple[float, float]:
    """Images/s of the bare model (train step, inference) on pre-decoded tensors."""
    ds = DetectionDataset(samples, config.input_size, augment=False)
    batch = [ds[i % len(ds)] for i in range(config.batch_size)]
    images, targets = [b[0] for b in batch], [b[1] for b in batch]
    torch.manual_seed(0)
    model = build_detector(config.model_config(), 1)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4)
    model.train()
    times = []
    for _ in range(steps + 1):
        start = time.perf_counter()
        loss = sum(model(images, targets).values())
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - start)
    train_ips = config.batch_size / float(np.median(times[1:]))
    model.eval()
    model.score_thresh, model.detections_per_img = 0.001, 200
    times = []
    with torch.inference_mode():
        for _ in range(steps + 1):
            start = time.perf_counter()
            model(images)
            times.append(time.perf_counter() - start)
    return train_ips, config.batch_size / float(np.median(times[1:]))


def speed(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        train, _, source = make_data(root, args.images, 0, seed=0)
        config = TrainConfig(
            epochs=args.epochs,
            batch_size=8,
            input_size=SIZE,
            num_workers=args.workers,
            checkpoint_every=0,
            seed=0,
        )
        print(
            f"data: {len(train)} images of {source}, input {SIZE[0]}x{SIZE[1]}, "
            f"torch threads {torch.get_num_threads()}, dataloader workers {args.workers}"
        )
        bare_train, bare_infer = bare_speed(config, train, steps=3)
        result = train_detector(train, ["apple"], root / "run", config=config, progress=False)
        last = result.history[-1]  # the first epoch includes warm-up effects
        detector = load_detector(result.checkpoint)
        paths = [p for p, _ in train]
        predict_images(detector, paths[:8], progress=False)  # warm-up
        start = time.perf_counter()
        predict_images(detector, paths, batch_size=8, progress=False)
        infer = len(paths) / (time.perf_counter() - start)
    print(f"{'':24}{'bare model':>12}{'pipeline':>12}{'ratio':>8}")
    print(
        f"{'train images/s':24}{bare_train:12.2f}{last['images_per_s']:12.2f}"
        f"{last['images_per_s'] / bare_train:8.2f}"
    )
    print(f"{'inference images/s':24}{bare_infer:12.2f}{infer:12.2f}{infer / bare_infer:8.2f}")
    print(f"share of training time waiting on the data loader: {last['data_share']:.1%}")
    per_epoch = 300 / last["images_per_s"]
    print(f"=> 300 images x 20 epochs ~ {20 * per_epoch / 60:.1f} min at this speed")


CANDIDATES = {
    "fcos P2-P5": dict(arch="fcos", levels=(2, 3, 4, 5)),
    "fcos P3-P5": dict(arch="fcos", levels=(3, 4, 5)),
    "retinanet P2-P5": dict(arch="retinanet", levels=(2, 3, 4, 5)),
    "retinanet P3-P5": dict(arch="retinanet", levels=(3, 4, 5)),
    "retinanet no-aug": dict(arch="retinanet", augment=False),
    "retinanet no-jitter": dict(arch="retinanet", jitter=0.0),
    "retinanet no-colour": dict(arch="retinanet", hue=0.0, saturation=1.0, exposure=1.0),
}


def compare(args: argparse.Namespace) -> None:
    names = args.candidates.split(",") if args.candidates else list(CANDIDATES)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        train, test, source = make_data(root, args.train, args.test, seed=0)
        print(
            f"data: {len(train)} train / {len(test)} test images of {source}; "
            f"{sum(len(d) for _, d in train)} / {sum(len(d) for _, d in test)} boxes; "
            f"{args.epochs} epochs of batch {args.batch}, lr {args.lr}, "
            f"torch threads {torch.get_num_threads()}"
        )
        print(
            f"{'candidate':18}{'epoch':>6}{'AP':>7}{'AP50':>7}{'AP75':>7}{'AR100':>7}"
            f"{'train img/s':>13}{'infer img/s':>13}"
        )
        gt = {p.stem: d for p, d in test}
        for name in names:
            config = TrainConfig(
                epochs=args.epochs,
                batch_size=args.batch,
                input_size=SIZE,
                checkpoint_every=args.eval_every,
                seed=0,
                lr=args.lr,
                **CANDIDATES[name],
            )
            run = root / name
            result = train_detector(train, ["apple"], run, config=config, progress=False)
            ips = float(np.mean([h["images_per_s"] for h in result.history[1:]] or [0]))
            checkpoints = sorted(run.glob("epoch_*.pt")) or [result.checkpoint]
            for ckpt in checkpoints:
                detector = load_detector(ckpt)
                start = time.perf_counter()
                preds = predict_images(detector, [p for p, _ in test], progress=False)
                infer = len(test) / (time.perf_counter() - start)
                pred = {p.stem: d for (p, _), d in zip(test, preds, strict=True)}
                m = coco_metrics(gt, pred, ["apple"]).metrics
                epoch = ckpt.stem.split("_")[-1] if ckpt.stem.startswith("epoch") else "last"
                print(
                    f"{name:18}{epoch:>6}{m['AP']:7.3f}{m['AP50']:7.3f}{m['AP75']:7.3f}"
                    f"{m['AR100']:7.3f}{ips:13.2f}{infer:13.2f}",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--compare", action="store_true", help="run the architecture comparison")
    parser.add_argument("--images", type=int, default=32, help="speed: training images")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--workers", type=int, default=0, help="speed: dataloader workers")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--train", type=int, default=60, help="compare: training images")
    parser.add_argument("--test", type=int, default=20, help="compare: test images")
    parser.add_argument("--lr", type=float, default=TrainConfig.lr, help="compare: peak LR")
    parser.add_argument("--candidates", default="", help="compare: comma-separated names")
    parser.add_argument("--batch", type=int, default=TrainConfig.batch_size, help="batch size")
    parser.add_argument(
        "--eval-every", type=int, default=0, help="compare: evaluate every N epochs"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.compare:
        args.epochs = args.epochs or 8
        compare(args)
    else:
        args.epochs = args.epochs or 2
        speed(args)


if __name__ == "__main__":
    main()
