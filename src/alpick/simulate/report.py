"""Simulation reports: results CSV + JSON, the learning-curve PNG and ``report.md``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from alpick.errors import AlpickError
from alpick.fileio import atomic_open, write_text_atomic
from alpick.simulate.runner import RoundResult, load_rounds
from alpick.simulate.stats import Interval, area, compare_to_reference, reach


@dataclass(frozen=True)
class Curve:
    """Mean and spread of one metric over seeds, per labelled count, for one strategy."""

    strategy: str
    n_labelled: NDArray[np.int64]
    mean: NDArray[np.float64]
    std: NDArray[np.float64]
    n_seeds: NDArray[np.int64]


def curves(rows: Sequence[RoundResult], metric: str = "AP50") -> list[Curve]:
    """One curve per strategy, in the order strategies first appear."""
    out: list[Curve] = []
    for strategy in dict.fromkeys(r.strategy for r in rows):
        mine = [r for r in rows if r.strategy == strategy]
        counts = sorted({r.n_labelled for r in mine})
        means, stds, ns = [], [], []
        for n in counts:
            values = np.array([r.metrics.get(metric, np.nan) for r in mine if r.n_labelled == n])
            means.append(float(np.nanmean(values)) if np.isfinite(values).any() else np.nan)
            stds.append(float(np.nanstd(values)) if np.isfinite(values).any() else np.nan)
            ns.append(len(values))
        out.append(
            Curve(
                strategy,
                np.array(counts, np.int64),
                np.array(means, np.float64),
                np.array(stds, np.float64),
                np.array(ns, np.int64),
            )
        )
    return out


def area_under_curve(curve: Curve) -> float:
    """Normalised area under the curve: the trapezoid area divided by the labelled range.

    A curve with a single point has that point's value.
    """
    return float(area(curve.n_labelled.astype(np.float64), curve.mean)[0])


def labels_to_reach(curve: Curve, target: float) -> float | None:
    """Labelled images the curve needs to first reach ``target`` (linear interpolation).

    Returns ``None`` when the curve never reaches it.
    """
    need = reach(curve.n_labelled.astype(np.float64), curve.mean, target)
    return need if np.isfinite(need) else None


def write_results(rows: Sequence[RoundResult], out_dir: Path) -> tuple[Path, Path]:
    """``results.csv`` (one line per round, metrics as columns) and ``results.json``."""
    metric_names = sorted({k for r in rows for k in r.metrics})
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(
        ["strategy", "seed", "round", "n_labelled", *metric_names, "picked_sequences",
         "picked_conditions", "seconds_total"]
    )  # fmt: skip
    for r in rows:
        writer.writerow(
            [r.strategy, r.seed, r.round, r.n_labelled]
            + [f"{r.metrics.get(m, float('nan')):.4f}" for m in metric_names]
            + [r.picked_sequences, json.dumps(r.picked_conditions, sort_keys=True),
               f"{sum(r.seconds.values()):.1f}"]
        )  # fmt: skip
    csv_path, json_path = out_dir / "results.csv", out_dir / "results.json"
    write_text_atomic(csv_path, buf.getvalue())
    write_text_atomic(json_path, json.dumps([asdict(r) for r in rows], indent=1))
    return csv_path, json_path


def plot_learning_curves(
    rows: Sequence[RoundResult], out_png: Path, *, metric: str = "AP50", title: str = ""
) -> Path:
    """AP50 (or ``metric``) against labelled images: mean line and ±1 std band per strategy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    for curve in curves(rows, metric):
        x = curve.n_labelled
        (line,) = ax.plot(x, curve.mean, marker="o", label=f"{curve.strategy}")
        if (curve.n_seeds > 1).any():
            ax.fill_between(
                x, curve.mean - curve.std, curve.mean + curve.std, alpha=0.2,
                color=line.get_color(), linewidth=0,
            )  # fmt: skip
    n_seeds = len({r.seed for r in rows})
    ax.set_xlabel("labelled images")
    ax.set_ylabel(f"{metric} on the test split")
    ax.set_title(title or f"Learning curves (mean ± std over {n_seeds} seed(s))")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    with atomic_open(out_png, "wb") as fh:
        fig.savefig(fh, format="png")
    plt.close(fig)
    return out_png


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None or not np.isfinite(value):
        return "-"
    return f"{value:.{digits}f}"


def _curve_table(cs: Sequence[Curve], n_seeds: int) -> list[str]:
    """Mean (± std over seeds) per labelled count, and the area under each curve."""
    counts = sorted({int(n) for c in cs for n in c.n_labelled})
    lines = ["| strategy | " + " | ".join(str(n) for n in counts) + " | AUC |"]
    lines.append("|---" * (len(counts) + 2) + "|")
    for c in cs:
        by_n = dict(zip(c.n_labelled.tolist(), zip(c.mean, c.std, strict=True), strict=True))
        cells = []
        for n in counts:
            if n in by_n:
                m, s = by_n[n]
                cells.append(f"{_fmt(m)} ± {_fmt(s, 3)}" if n_seeds > 1 else _fmt(m))
            else:
                cells.append("")
        lines.append(f"| {c.strategy} | " + " | ".join(cells) + f" | {_fmt(area_under_curve(c))} |")
    lines.append("")
    return lines


def _savings_table(cs: Sequence[Curve], metric: str) -> list[str]:
    """Labels each strategy needs to reach RANDOM's final value (empty without RANDOM)."""
    random = next((c for c in cs if c.strategy == "random"), None)
    if random is None or not len(random.mean):
        return []
    target = float(random.mean[-1])
    final_n = int(random.n_labelled[-1])
    lines = [
        f"Labels needed to reach RANDOM's final {metric} ({_fmt(target)} at {final_n} "
        "labelled images):",
        "",
        "| strategy | labels needed | saving vs RANDOM |",
        "|---|---|---|",
    ]
    for c in cs:
        need = labels_to_reach(c, target)
        if need is None:
            lines.append(f"| {c.strategy} | not reached | - |")
        else:
            lines.append(f"| {c.strategy} | {need:.0f} | {100 * (1 - need / final_n):.0f}% |")
    lines.append("")
    return lines


def _signed(i: Interval) -> str:
    if not np.isfinite(i.value):
        return "-"
    mark = " *" if i.excludes_zero else ""
    return f"{i.value:+.3f} [{i.low:+.3f}, {i.high:+.3f}]{mark}"


def _share(i: Interval) -> str:
    def pct(v: float) -> str:
        return "not reached" if not np.isfinite(v) else f"{100 * v:.0f}%"

    return f"{pct(i.value)} [{pct(i.low)}, {pct(i.high)}]"


def _paired_table(rows: Sequence[RoundResult], metric: str) -> list[str]:
    """Differences to RANDOM paired by seed, with bootstrap intervals (needs 2+ seeds)."""
    comparisons = compare_to_reference(rows, metric=metric)
    if not comparisons or len(comparisons[0].seeds) < 2:
        return []
    counts = [f"{n:.0f}" for n in comparisons[0].n_labelled]
    lines = [
        f"Difference to RANDOM in {metric}, paired by seed: mean [95% bootstrap interval over "
        "seeds]; * = the interval excludes zero. Last column: the labels the strategy needs to "
        "reach RANDOM's final value, as a share of RANDOM's.",
        "",
        "| strategy | " + " | ".join(counts) + " | AUC | labels to reach RANDOM |",
        "|---" * (len(counts) + 3) + "|",
    ]
    for c in comparisons:
        cells = [_signed(d) for d in c.diff] + [_signed(c.auc_diff), _share(c.label_share)]
        lines.append(f"| {c.strategy} | " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def _conditions_picked(rows: Sequence[RoundResult]) -> list[str]:
    """Per strategy, the conditions of the images it picked (empty without metadata)."""
    if not any(r.picked_conditions for r in rows):
        return []
    lines = ["Conditions of the images each strategy picked (all rounds, all seeds):", ""]
    for strategy in dict.fromkeys(r.strategy for r in rows):
        total: dict[str, int] = {}
        for r in rows:
            if r.strategy == strategy:
                for k, v in r.picked_conditions.items():
                    total[k] = total.get(k, 0) + v
        if total:
            parts = ", ".join(f"{k} {v}" for k, v in sorted(total.items()))
            lines.append(f"- {strategy}: {parts}")
    lines.append("")
    return lines


def report_markdown(rows: Sequence[RoundResult], *, metric: str = "AP50", png: str = "") -> str:
    """The simulation report: per-round table, area under each curve, labels to reach RANDOM."""
    cs = curves(rows, metric)
    lines = ["# Active-learning simulation", ""]
    if png:
        lines += [f"![learning curves]({png})", ""]
    seeds = sorted({r.seed for r in rows})
    lines += [f"Seeds: {', '.join(map(str, seeds))}. Metric: {metric} on the test split.", ""]
    lines += _curve_table(cs, len(seeds))
    lines += _savings_table(cs, metric)
    lines += _paired_table(rows, metric)
    lines += _conditions_picked(rows)
    return "\n".join(lines)


def write_report(rows: Sequence[RoundResult], out_dir: Path, *, metric: str = "AP50") -> Path:
    """Write results CSV/JSON, ``learning_curve.png`` and ``report.md``; return the report."""
    write_results(rows, out_dir)
    plot_learning_curves(rows, out_dir / "learning_curve.png", metric=metric)
    path = out_dir / "report.md"
    write_text_atomic(path, report_markdown(rows, metric=metric, png="learning_curve.png"))
    return path


def merge_rounds(folders: Sequence[Path]) -> list[RoundResult]:
    """The finished rounds of simulations run in separate folders (say, one seed each).

    Raises:
        AlpickError: If a folder holds no finished round, or a round appears twice.
    """
    rows: list[RoundResult] = []
    seen: set[tuple[str, int, int]] = set()
    for folder in folders:
        found = load_rounds(folder)
        if not found:
            raise AlpickError(f"{folder} holds no finished round (rounds.jsonl)")
        for row in found:
            key = (row.strategy, row.seed, row.round)
            if key in seen:
                raise AlpickError(
                    f"{folder}: {row.strategy} seed {row.seed} round {row.round} twice"
                )
            seen.add(key)
            rows.append(row)
    return rows


def merge_simulations(folders: Sequence[Path], out_dir: Path) -> tuple[Path, int]:
    """Merge simulations run in separate folders into one report in ``out_dir``.

    Returns:
        The report's path and the number of rounds it covers.

    Raises:
        AlpickError: As :func:`merge_rounds`.
    """
    rows = merge_rounds(folders)
    out_dir.mkdir(parents=True, exist_ok=True)
    return write_report(rows, out_dir), len(rows)
