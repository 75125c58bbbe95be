"""Reading image sizes and hashes in batches, on one thread or a few: the same either way."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from alpick.errors import AlpickError
from alpick.store import scan
from alpick.store.scan import find_images, read_image_info, read_images


def _pool(root: Path, n: int) -> list[str]:
    for i in range(n):
        folder = root / f"d{i % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        Image.new("RGB", (4 + i % 5, 3 + i % 7), (i % 256, 9, 9)).save(buf, format="PNG")
        (folder / f"im{i:04d}.png").write_bytes(buf.getvalue())
    return find_images(root)


def test_batches_read_what_one_image_at_a_time_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _pool(tmp_path, 450)
    monkeypatch.setattr(scan, "BATCH", 150)  # three batches: one thread, then threads, then ...
    infos = read_images(tmp_path, paths, progress=True)
    assert infos == [read_image_info(tmp_path, p) for p in paths]
    assert {(i.width, i.height) for i in infos} == {(4 + k % 5, 3 + k % 7) for k in range(450)}


def test_the_first_unreadable_image_in_order_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _pool(tmp_path, 450)
    for k in (200, 420):  # both in the second batch (threads) and the third
        (tmp_path / paths[k]).write_bytes(b"not an image")
    monkeypatch.setattr(scan, "BATCH", 150)
    with pytest.raises(AlpickError, match=f"cannot read image .*{paths[200]}"):
        read_images(tmp_path, paths)


def test_a_bomb_in_a_threaded_batch_is_an_error_and_the_filter_is_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import warnings

    paths = _pool(tmp_path, 450)  # images of at most 8 x 9 = 72 pixels
    big = paths[200]  # the second batch: on threads
    Image.new("RGB", (10, 10)).save(tmp_path / big)  # 100 pixels: a warning, not PIL's error
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 80)
    monkeypatch.setattr(scan, "BATCH", 150)
    filters = list(warnings.filters)
    with pytest.raises(AlpickError, match=f"cannot read image .*{big}: too large"):
        read_images(tmp_path, paths)
    assert warnings.filters == filters
