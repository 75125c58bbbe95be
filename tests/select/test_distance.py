import numpy as np
import pytest

from alpick.select import MinDistance, SelectionError, l2_normalize
from alpick.select import distance as distance_mod


def _brute(x: np.ndarray, centers: list[int]) -> np.ndarray:
    d2 = ((x[:, None, :].astype(np.float64) - x[None, centers, :]) ** 2).sum(-1)
    return d2.min(axis=1)


def test_streaming_update_matches_brute_force() -> None:
    x = np.random.default_rng(0).standard_normal((1000, 16)).astype(np.float32)
    md = MinDistance(x, stream_rows=97)  # chunks that do not divide N
    for c in (3, 500, 999):
        md.add_center(c)
    np.testing.assert_allclose(md.d2, _brute(x, [3, 500, 999]), rtol=1e-4, atol=1e-4)
    assert md.n_centers == 3


def test_blocked_centers_match_streaming(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(distance_mod, "BLOCK_ROWS", 64)
    monkeypatch.setattr(distance_mod, "BLOCK_CENTERS", 7)
    x = np.random.default_rng(1).standard_normal((300, 5)).astype(np.float32)
    centers = np.arange(0, 300, 13)
    blocked = MinDistance(x)
    blocked.add_centers(centers)
    np.testing.assert_allclose(blocked.d2, _brute(x, list(centers)), rtol=1e-4, atol=1e-4)
    assert blocked.n_centers == len(centers)


def test_exclude_and_farthest() -> None:
    x = np.array([[0.0], [1.0], [5.0], [2.0]], np.float32)
    md = MinDistance(x)
    md.add_center(0)
    md.exclude(0)
    assert md.farthest() == 2
    md.exclude(2)
    assert md.farthest() == 3
    assert md.distances(np.array([1, 3])) == pytest.approx([1.0, 2.0])


def test_duplicates_have_zero_not_negative_distance() -> None:
    x = np.full((5, 3), 0.1234567, np.float32)
    md = MinDistance(x)
    md.add_center(0)
    assert (md.d2 >= 0).all()


def test_l2_normalize() -> None:
    out = l2_normalize([[3.0, 4.0], [0.0, 0.0]])
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])
    with pytest.raises(SelectionError, match="finite"):
        l2_normalize([[np.nan, 1.0]])
    with pytest.raises(SelectionError, match="N, D"):
        l2_normalize([1.0, 2.0])


def test_min_distance_rejects_bad_features() -> None:
    with pytest.raises(SelectionError, match="finite"):
        MinDistance(np.array([[np.inf, 0.0]]))
    with pytest.raises(SelectionError):
        MinDistance(np.zeros(3))


def test_l2_normalize_in_place_scales_the_given_matrix() -> None:
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0]], np.float32)
    expected = l2_normalize(x)
    assert not np.shares_memory(expected, x)
    np.testing.assert_array_equal(x[0], [3.0, 4.0])  # untouched without inplace
    out = l2_normalize(x, inplace=True)
    assert out is x
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("kind", ["float64", "strided", "read-only"])
def test_l2_normalize_in_place_copies_what_it_cannot_scale(kind: str) -> None:
    base = np.array([[3.0, 4.0, 9.0], [1.0, 0.0, 9.0]], np.float32)
    x = {"float64": base.astype(np.float64), "strided": base[:, :2], "read-only": base.copy()}[kind]
    if kind == "read-only":
        x.flags.writeable = False
    before = x.copy()
    out = l2_normalize(x, inplace=True)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-6)
