from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alpick.embed import Backbone, embed_images
from alpick.embed import pipeline as pipeline_module

from .conftest import MakeImages

SIZE = 64


def test_rows_follow_path_order_and_do_not_depend_on_the_batch(
    effnet: Backbone, make_images: MakeImages
) -> None:
    a, b, c = make_images(3)
    together = embed_images([a, b, c], effnet, input_size=SIZE, batch_size=2, num_workers=0)
    alone = embed_images([c], effnet, input_size=SIZE, num_workers=0)
    reordered = embed_images([c, a], effnet, input_size=SIZE, batch_size=1, num_workers=1)
    rows = together.embeddings
    assert rows.shape == (3, 1280) and rows.dtype == np.float32
    np.testing.assert_allclose(alone.embeddings[0], rows[2], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(reordered.embeddings, rows[[2, 0]], rtol=1e-4, atol=1e-4)
    assert not np.allclose(rows[0], rows[1])
    assert together.failed == [] and together.ok.all()


def test_same_call_same_rows(effnet: Backbone, make_images: MakeImages) -> None:
    paths = make_images(5)
    first = embed_images(paths, effnet, input_size=SIZE, batch_size=2, num_workers=2)
    second = embed_images(paths, effnet, input_size=SIZE, batch_size=2, num_workers=2)
    assert np.array_equal(first.embeddings, second.embeddings)


def _bad_images(folder: Path) -> tuple[list[Path], set[str]]:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    good: list[Path] = []
    for name, image in [
        ("gray.png", Image.fromarray(noise[..., 0], "L")),
        ("rgba.png", Image.fromarray(np.dstack([noise, noise[..., :1]]), "RGBA")),
        ("deep.png", Image.fromarray(noise[..., 0].astype(np.uint16) * 257)),
        ("rgb.jpg", Image.fromarray(noise)),
        ("huge.png", Image.new("RGB", (6000, 6000), (30, 160, 60))),
    ]:
        image.save(folder / name, compress_level=1) if name.endswith("png") else image.save(
            folder / name
        )
        good.append(folder / name)
    (folder / "zero.png").write_bytes(b"")
    (folder / "text.png").write_text("this is not a picture\n")
    truncated = folder / "truncated.png"
    Image.fromarray(noise).save(truncated)
    truncated.write_bytes(truncated.read_bytes()[:-200])
    bad = {"zero.png", "text.png", "truncated.png"}
    return sorted(good + [folder / b for b in bad]), bad


@pytest.mark.parametrize("workers", [0, 2])
def test_bad_images_are_reported_by_name_and_the_rest_embedded(
    effnet: Backbone, tmp_path: Path, workers: int
) -> None:
    paths, bad = _bad_images(tmp_path)
    result = embed_images(paths, effnet, input_size=SIZE, batch_size=3, num_workers=workers)
    assert {p.name for p, _ in result.failed} == bad
    reasons = {p.name: r for p, r in result.failed}
    assert reasons["zero.png"] == "empty file (0 bytes)"
    assert reasons["text.png"] == "not an image file Pillow can read"
    assert reasons["truncated.png"].startswith("truncated or corrupt")
    for path, ok, row in zip(paths, result.ok, result.embeddings, strict=True):
        assert ok == (path.name not in bad)
        assert np.isfinite(row).all() if ok else np.isnan(row).all()


def test_on_batch_sees_every_row_once(effnet: Backbone, make_images: MakeImages) -> None:
    paths = make_images(5)
    seen: list[int] = []
    rows: dict[int, np.ndarray] = {}

    def on_batch(index: np.ndarray, batch: np.ndarray) -> None:
        seen.extend(index.tolist())
        rows.update(zip(index.tolist(), batch.copy(), strict=True))

    result = embed_images(paths, effnet, input_size=SIZE, batch_size=2, on_batch=on_batch)
    assert seen == [0, 1, 2, 3, 4]
    assert np.array_equal(np.stack([rows[i] for i in range(5)]), result.embeddings)


def test_no_paths(effnet: Backbone) -> None:
    result = embed_images([], effnet)
    assert result.embeddings.shape == (0, 1280) and result.failed == []


def test_bad_arguments(effnet: Backbone, make_images: MakeImages) -> None:
    with pytest.raises(ValueError, match="input_size"):
        embed_images(make_images(1), effnet, input_size=4)
    with pytest.raises(ValueError, match="batch_size"):
        embed_images(make_images(1), effnet, batch_size=0)


def test_ctrl_c_stops_cleanly_and_shuts_workers_down(
    effnet: Backbone, make_images: MakeImages
) -> None:
    paths = make_images(8)

    def interrupt(index: np.ndarray, batch: np.ndarray) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        embed_images(
            paths, effnet, input_size=SIZE, batch_size=2, num_workers=2, on_batch=interrupt
        )
    assert multiprocessing.active_children() == []


def test_a_dying_worker_does_not_lose_the_run(
    effnet: Backbone, make_images: MakeImages, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = make_images(6)
    decode = pipeline_module.load_resized

    def die_in_worker(path: Path, size: int) -> np.ndarray:
        from torch.utils.data import get_worker_info

        if get_worker_info() is not None and path == paths[3]:
            os._exit(1)  # as if killed for memory
        return decode(path, size)

    monkeypatch.setattr(pipeline_module, "load_resized", die_in_worker)
    reference = embed_images(paths, effnet, input_size=SIZE, batch_size=2, num_workers=0)
    result = embed_images(paths, effnet, input_size=SIZE, batch_size=2, num_workers=1)
    assert result.failed == []
    np.testing.assert_allclose(result.embeddings, reference.embeddings, rtol=1e-4, atol=1e-4)


def test_default_workers() -> None:
    assert pipeline_module.default_num_workers(10, 32) == 0
    assert pipeline_module.default_num_workers(1000, 32) >= 1
