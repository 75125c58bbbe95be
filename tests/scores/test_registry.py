"""compute_scores against a direct, per-image transcription of the platform scorer's logic."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpick.scores import REDUCIBLE, SCORES, BoxTable, ScoreError, compute_scores

Image = tuple[list[float], list[int]]


def _classification_raw(probs: np.ndarray) -> dict[str, np.ndarray]:
    part = np.partition(probs, -2, axis=1)
    logs = np.zeros_like(probs)
    np.log2(probs, out=logs, where=probs > 0)
    return {
        "uncertainty_least_confidence": 1 - np.max(probs, axis=1),
        "uncertainty_margin": 1 - (part[:, -1] - part[:, -2]),
        "uncertainty_entropy": -np.sum(probs * logs, axis=1),
    }


def _classification_scores(probs: np.ndarray) -> dict[str, np.ndarray]:
    """One image's per-box scores, normalised the platform's way (np.interp per image)."""
    if probs.shape[1] == 1:
        probs = np.concatenate([probs, 1 - probs], axis=1)
    c = probs.shape[1]
    sure = np.zeros((1, c))
    sure[0, 0] = 1
    lo = _classification_raw(sure)
    hi = _classification_raw(np.ones((1, c)) / c)
    return {
        k: np.interp(np.nan_to_num(v), [float(lo[k][0]), float(hi[k][0])], [0, 1])
        for k, v in _classification_raw(probs).items()
    }


def platform_reference(images: list[Image]) -> dict[str, list[float]]:
    """Per image with Python loops, as the platform scorer does with ``from_scores`` outputs."""
    out: dict[str, list[float]] = {k: [] for k in SCORES if k not in ("uncertainty_entropy_sum",)}
    n_objs = []
    for scores, labels in images:
        objs: dict[int, float] = {}
        for label in labels:
            objs[label] = objs[label] + 0.25 if label in objs else 1
        n_objs.append(sum(objs.values()) if objs else 0)
        out["objectness_least_confidence"].append(1.0 - np.mean(scores) if scores else 0.0)
        max_label = max(labels) if labels else 0
        vectors = []
        for s, label in zip(scores, labels, strict=True):
            k = max(max_label, 1)
            c = [(1 - s) / k] * (k + 1)
            c[label] = s
            vectors.append(c)
        per_box = _classification_scores(np.array(vectors)) if vectors else {}
        for name in REDUCIBLE:
            out[name].append(float(np.max(per_box[name])) if vectors else 0.0)
        ent = sorted(per_box["uncertainty_entropy"], reverse=True)[:3] if vectors else []
        out["uncertainty_entropy_topk_mean"].append(float(np.mean(ent)) if ent else 0.0)
    lo, hi = min(n_objs), max(n_objs)
    out["object_frequency"] = [float(np.interp(x, (lo, hi), (0.9, 1.0))) for x in n_objs]
    return out


def _table(images: list[Image]) -> BoxTable:
    return BoxTable.from_counts(
        [len(s) for s, _ in images],
        [x for s, _ in images for x in s],
        [x for _, labels in images for x in labels],
    )


image_st = st.integers(0, 6).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(0, 1), min_size=n, max_size=n),
        st.lists(st.integers(0, 4), min_size=n, max_size=n),
    )
)


@settings(max_examples=200, deadline=None)
@given(st.lists(image_st, min_size=1, max_size=8))
def test_matches_platform_reference(images: list[Image]) -> None:
    ours = compute_scores(_table(images))
    ref = platform_reference(images)
    for name, expected in ref.items():
        np.testing.assert_allclose(ours[name], expected, rtol=0, atol=1e-12, err_msg=name)


def test_names_case_insensitive_and_ordered() -> None:
    table = _table([([0.5], [0])])
    out = compute_scores(table, ["Uncertainty_Entropy", "OBJECT_FREQUENCY"])
    assert list(out) == ["uncertainty_entropy", "object_frequency"]
    assert list(compute_scores(table)) == list(SCORES)


def test_unknown_names_list_valid_ones() -> None:
    table = _table([([0.5], [0])])
    with pytest.raises(ScoreError, match="object_frequency, objectness_least_confidence"):
        compute_scores(table, ["entropy"])
    with pytest.raises(ScoreError, match="max, mean, sum"):
        compute_scores(table, reduction="median")


def test_min_confidence_drops_boxes_first() -> None:
    # TLT writes boxes down to 0.001: they saturate max-uncertainty unless dropped
    table = _table([([0.95, 0.002], [0, 3]), ([0.001], [7])])
    raw = compute_scores(table, ["uncertainty_entropy", "objectness_least_confidence"])
    assert raw["uncertainty_entropy"][0] > 0.75
    kept = compute_scores(
        table, ["uncertainty_entropy", "objectness_least_confidence"], min_confidence=0.5
    )
    assert kept["uncertainty_entropy"] == pytest.approx(
        [-(0.95 * np.log2(0.95) + 0.05 * np.log2(0.05)), 0.0]
    )
    assert kept["objectness_least_confidence"] == pytest.approx([0.05, 0.0])


def test_reduction_applies_to_uncertainty_scores_only() -> None:
    table = _table([([0.9, 0.6], [0, 1])])
    mx = compute_scores(table, reduction="max")
    mean = compute_scores(table, reduction="mean")
    for name in SCORES:
        if name in REDUCIBLE:
            assert mean[name][0] < mx[name][0]
        else:
            assert mean[name][0] == mx[name][0]


def test_hundred_thousand_images_vectorised() -> None:
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 41, size=100_000)
    m = int(counts.sum())
    table = BoxTable.from_counts(counts, rng.random(m), rng.integers(0, 16, m))
    out = compute_scores(table)
    assert all(v.shape == (100_000,) and np.isfinite(v).all() for v in out.values())
