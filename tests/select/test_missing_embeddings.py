"""Samples without an embedding (NaN rows, from `embed --skip-bad`) are never selected."""

from __future__ import annotations

import numpy as np
import pytest

from alpick.select import SelectionInputs, select_samples
from alpick.select.presets import METHODS, method_needs, preset_config


@pytest.mark.parametrize("method", [m for m in METHODS if method_needs(m).embeddings])
@pytest.mark.parametrize("seed", range(4))
def test_nan_rows_are_never_picked(method: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 40
    emb = rng.normal(size=(n, 8)).astype(np.float32)
    missing = rng.choice(n, 10, replace=False)
    emb[missing] = np.nan
    pre = np.zeros(n, bool)
    pre[rng.choice(np.setdiff1d(np.arange(n), missing), 3, replace=False)] = True
    pre[missing[0]] = True  # a preselected sample without embedding must not poison distances
    scores = {"uncertainty_entropy": rng.random(n)}
    inputs = SelectionInputs(embeddings=emb, scores=scores)
    picks = select_samples(preset_config(method, 20), inputs, pre, rng=rng)
    assert len(picks) == 20 - int(pre.sum())
    assert not set(picks.tolist()) & set(missing.tolist())


def test_missing_rows_is_isnan_any() -> None:
    from alpick.select.inputs import missing_rows

    rng = np.random.default_rng(0)
    emb = rng.normal(size=(200, 16)).astype(np.float32)
    emb[3, 5] = np.nan
    emb[7] = np.nan
    emb[11, 0], emb[11, 1] = np.inf, -np.inf  # sums to NaN, holds no NaN
    emb[13, 2] = np.finfo(np.float32).max  # with another max: sums to inf
    emb[13, 3] = np.finfo(np.float32).max
    np.testing.assert_array_equal(missing_rows(emb), np.isnan(emb).any(axis=1))
    assert missing_rows(np.zeros((4, 0), np.float32)).tolist() == [False] * 4


@pytest.mark.parametrize("method", [m for m in METHODS if method_needs(m).embeddings])
def test_the_callers_embeddings_are_left_alone(method: str) -> None:
    rng = np.random.default_rng(1)
    emb = rng.normal(size=(30, 4)).astype(np.float32)
    before = emb.copy()
    inputs = SelectionInputs(embeddings=emb, scores={"uncertainty_entropy": rng.random(30)})
    picks = select_samples(preset_config(method, 5), inputs, np.zeros(30, bool))
    np.testing.assert_array_equal(emb, before)
    owned = SelectionInputs(
        embeddings=emb.copy(), scores=inputs.scores, own_embeddings=True
    )  # the engine may scale its own copy: the same picks
    same = select_samples(preset_config(method, 5), owned, np.zeros(30, bool))
    np.testing.assert_array_equal(picks, same)
