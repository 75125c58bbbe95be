from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from alpick.embed import embedding_map, pca_2d


def test_pca_finds_the_directions_of_largest_spread() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5)) * np.array([10.0, 0.1, 3.0, 0.1, 0.1])
    coords = pca_2d(x)
    assert coords.shape == (200, 2)
    assert np.std(coords[:, 0]) == pytest.approx(np.std(x[:, 0]), rel=0.05)
    assert np.std(coords[:, 1]) == pytest.approx(np.std(x[:, 2]), rel=0.05)


@settings(max_examples=30, deadline=None)
@given(
    arrays(
        np.float64, st.tuples(st.integers(1, 12), st.integers(1, 6)), elements=st.floats(-100, 100)
    )
)
def test_pca_is_deterministic_and_sign_fixed(x: np.ndarray) -> None:
    a, b = pca_2d(x), pca_2d(-x)
    assert a.shape == (x.shape[0], 2) and np.isfinite(a).all()
    np.testing.assert_allclose(np.abs(a), np.abs(b), atol=1e-6)
    np.testing.assert_array_equal(a, pca_2d(x.copy()))


def test_nan_rows_stay_nan() -> None:
    x = np.arange(12, dtype=np.float32).reshape(4, 3) ** 1.5
    x[1] = np.nan
    coords = pca_2d(x)
    assert np.isnan(coords[1]).all() and np.isfinite(coords[[0, 2, 3]]).all()
    assert np.isnan(pca_2d(np.full((2, 3), np.nan))).all()


def test_map_png_is_written_with_groups(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(30, 8)).astype(np.float32)
    x[0] = np.nan
    groups = {"initial": np.arange(30) < 10, "selected": (np.arange(30) % 7) == 0}
    out = embedding_map(x, tmp_path / "maps" / "map.png", groups=groups, title="t")
    assert out == tmp_path / "maps" / "map.png"
    with Image.open(out) as image:
        assert image.format == "PNG" and image.width > 300
    assert [p.name for p in out.parent.iterdir()] == ["map.png"]  # no temporary left


def test_map_without_groups_and_bad_mask(tmp_path: Path) -> None:
    x = np.random.default_rng(2).normal(size=(5, 3))
    embedding_map(x, tmp_path / "plain.png")
    assert (tmp_path / "plain.png").stat().st_size > 0
    with pytest.raises(ValueError, match="mask has shape"):
        embedding_map(x, tmp_path / "bad.png", groups={"a": np.ones(4, dtype=bool)})
    assert not (tmp_path / "bad.png").exists()
