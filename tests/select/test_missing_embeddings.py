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
