"""A training run's per-epoch record: ``metrics.csv`` and the loss curve ``loss.png``."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from alpick.fileio import atomic_path

Row = dict[str, float]


def write_metrics_csv(path: Path, history: Sequence[Row]) -> None:
    """Write one row per epoch (columns: the union of the rows' keys, ``epoch`` first)."""
    columns: list[str] = []
    for row in history:
        columns.extend(k for k in row if k not in columns)
    if "epoch" in columns:
        columns.remove("epoch")
        columns.insert(0, "epoch")
    with atomic_path(path) as tmp, tmp.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for row in history:
            writer.writerow({k: _fmt(row.get(k)) for k in columns})


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def plot_loss(path: Path, history: Sequence[Row]) -> None:
    """Save the loss curves (total and per part) against the epoch as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [row["epoch"] for row in history]
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    try:
        parts = [k for k in history[0] if k.startswith("loss_")] if history else []
        ax.plot(epochs, [row["loss"] for row in history], marker="o", label="loss", lw=2)
        for key in parts:
            ax.plot(epochs, [row.get(key, float("nan")) for row in history], label=key[5:], lw=1)
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png")
    finally:
        plt.close(fig)
