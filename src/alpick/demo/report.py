"""The demo's figures and its Markdown report."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw

from alpick.fileio import atomic_open, write_text_atomic

if TYPE_CHECKING:
    from alpick.api import Project
    from alpick.demo.run import DemoConfig, DemoResult
    from alpick.formats.detections import Detections

#: Boxes below this confidence are not drawn.
DRAW_CONFIDENCE = 0.3


def draw_predictions(
    paths: Sequence[Path], predictions: Sequence[Detections], out_png: Path, *, cols: int = 6
) -> Path:
    """Images side by side with their predicted boxes (confidence >= 0.3) drawn in cyan."""
    tiles = []
    for path, det in zip(paths, predictions, strict=True):
        image = Image.open(path).convert("RGB")
        draw = ImageDraw.Draw(image)
        conf = det.confidence if det.confidence is not None else None
        for k, box in enumerate(det.xyxy):
            if conf is None or conf[k] >= DRAW_CONFIDENCE:
                draw.rectangle([float(v) for v in box], outline=(0, 255, 255), width=2)
        tiles.append(image)
    width, height = tiles[0].size
    rows = (len(tiles) + cols - 1) // cols
    sheet = Image.new("RGB", (width * min(cols, len(tiles)), height * rows), "white")
    for i, tile in enumerate(tiles):
        sheet.paste(tile.resize((width, height)), ((i % cols) * width, (i // cols) * height))
    with atomic_open(out_png, "wb") as fh:
        sheet.save(fh, format="PNG")
    return out_png


def selection_sheets(project: Project, tags: Sequence[str], figures: Path) -> list[Path]:
    """A contact sheet of the images each tag added over its parent (at most 12 each)."""
    from alpick.data.orchard.sheet import contact_sheet

    written = []
    for tag in tags:
        added = project.added_samples(tag)[:12]
        if not added:
            continue
        png = figures / f"selected-{tag}.png"
        contact_sheet(
            [project.images_dir / s.path for s in added],
            png,
            labels=[s.path for s in added],
            cols=6,
            thumb_width=160,
        )
        written.append(png)
    return written


def write_demo_report(result: DemoResult, out: Path, cfg: DemoConfig) -> Path:
    """``report.md``: the steps and their times, the tutorial's two models, the simulation."""
    from alpick.demo.run import CORAL_TAG, INITIAL_TAG

    lines = [
        "# alpick demo: active learning on a synthetic apple orchard",
        "",
        f"{cfg.n_train} training-pool images and {cfg.n_test} test images were generated "
        f"(`orchard/`), converted to KITTI labels and made into an alpick project (`project/`).",
        "",
        "## The tutorial's loop",
        "",
        "| step | seconds |",
        "|---|---|",
    ]
    lines += [f"| {name} | {secs:.0f} |" for name, secs in result.steps]
    total = sum(s for _, s in result.steps)
    lines += [f"| **total** | **{total:.0f}** |", ""]
    lines += [
        "Detector trained on each selection, evaluated on the test split (COCO metrics):",
        "",
        "| training set | images | AP | AP50 | AP75 |",
        "|---|---|---|---|---|",
    ]
    sizes = {INITIAL_TAG: cfg.initial, CORAL_TAG: cfg.initial + cfg.budget}
    for tag, m in result.metrics.items():
        lines.append(
            f"| {tag} | {sizes.get(tag, '')} | {m['AP']:.3f} | {m['AP50']:.3f} | {m['AP75']:.3f} |"
        )
    lines += [
        "",
        "Predictions of the retrained detector on test images (confidence >= 0.3):",
        "",
        "![predictions](figures/predictions.png)",
        "",
        "Images chosen in each round:",
        "",
    ]
    for tag in (INITIAL_TAG, CORAL_TAG):
        png = out / "figures" / f"selected-{tag}.png"
        if png.exists():
            lines += [f"**{tag}**", "", f"![{tag}](figures/{png.name})", ""]
    sim = out / "simulation"
    if (sim / "report.md").exists():
        body = (sim / "report.md").read_text().split("\n", 1)[1]
        body = body.replace("](learning_curve.png)", "](simulation/learning_curve.png)")
        lines += [
            "## RANDOM vs CORAL (simulation)",
            "",
            f"One seed, {cfg.sim_rounds + 1} rounds of {cfg.sim_steps} training steps each, every "
            "round starting from the previous round's detector: an illustration of the loop, not "
            "evidence. The evidence, over several seeds with intervals, is `docs/results.md`.",
            body,
        ]
    lines += [
        "",
        "This demo is small so that it runs in minutes on a laptop CPU; its numbers are noisy. "
        "See `docs/results.md` for the full comparison over several seeds.",
        "",
    ]
    path = out / "report.md"
    write_text_atomic(path, "\n".join(lines))
    write_text_atomic(
        out / "demo.json", json.dumps({"steps": result.steps, "metrics": result.metrics})
    )
    return path
