"""`alpick embed`: compute, reuse, extend incrementally, export, map; bad images."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alpick.api import Project
from alpick.errors import AlpickError
from alpick.formats.embeddings_csv import load_embeddings_csv
from alpick.project.embed import embed_project


def _pool(root: Path, n: int, start: int = 0) -> None:
    images = root / "data" / "raw" / "images"
    images.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(start)
    for i in range(start, start + n):
        pixels = rng.integers(0, 255, size=(40, 56, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(images / f"im{i:02d}.png")


def _alpick(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alpick", *args], cwd=root, capture_output=True, text=True
    )


def test_embed_reuses_and_extends(tmp_path: Path) -> None:
    _pool(tmp_path, 4)
    project = Project.create(tmp_path)
    project.import_samples()
    first = embed_project(project, input_size=64, batch_size=2, progress=False)
    assert (first.embedded, first.reused) == (4, 0)
    array, record = project.embeddings()
    assert array.shape == (4, 1280) and record.name == "efficientnet_lite0-64"
    again = embed_project(project, input_size=64, progress=False)
    assert again.embedded == 0
    _pool(tmp_path, 2, start=4)
    project.import_samples()
    more = embed_project(project, input_size=64, batch_size=2, progress=False)
    assert (more.embedded, more.reused) == (2, 4)
    extended, _ = project.embeddings()
    np.testing.assert_array_equal(extended[:4], array)  # old rows kept as they were
    fresh = embed_project(project, name="fresh", input_size=64, batch_size=4, progress=False)
    np.testing.assert_allclose(project.embeddings("fresh")[0], extended, atol=1e-4)
    assert fresh.embedded == 6
    with pytest.raises(AlpickError, match="other settings"):
        embed_project(project, name="fresh", input_size=96, progress=False)


def test_bad_image_is_named_and_nothing_saved(tmp_path: Path) -> None:
    _pool(tmp_path, 3)
    project = Project.create(tmp_path)
    project.import_samples()
    (tmp_path / "data/raw/images/im01.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(AlpickError, match=r"im01\.png"):
        embed_project(project, input_size=64, progress=False)
    assert project.embedding_sets() == []
    good = (tmp_path / "data/raw/images/im00.png").read_bytes()
    report = embed_project(project, input_size=64, skip_bad=True, progress=False)
    assert [p for p, _ in report.failed] == ["im01.png"]
    array = project.embeddings()[0]
    assert np.isnan(array[1]).all() and np.isfinite(array[[0, 2]]).all()  # as docs/embed.md
    # The skipped image is never selected, whatever the seed.
    for seed in range(3):
        for method in ("CORESET", "RANDOM"):  # RANDOM reads no embeddings, and still skips it
            tag = project.select(f"{method}{seed}", n_samples=2, method=method, seed=seed)
            paths = {s.path for s in project.samples() if s.id in set(tag.sample_ids)}
            assert paths == {"im00.png", "im02.png"}, (method, seed, paths)
    # The next run tries it again: fixed, it gets its row; the others are reused.
    (tmp_path / "data/raw/images/im01.png").write_bytes(good)
    again = embed_project(project, input_size=64, progress=False)
    assert (again.embedded, again.failed) == (1, [])
    assert np.isfinite(project.embeddings()[0]).all()


def test_cli_embed_export_and_map(tmp_path: Path) -> None:
    _pool(tmp_path, 3)
    assert _alpick(tmp_path, "init").returncode == 0
    run = _alpick(tmp_path, "embed", "--input-size", "64", "--map", "map.png")
    assert run.returncode == 0, run.stderr
    assert "embedded 3 images" in run.stdout
    assert (tmp_path / "map.png").stat().st_size > 1000
    run = _alpick(tmp_path, "embed", "export", "e.csv")
    assert run.returncode == 0, run.stderr
    names, rows, _ = load_embeddings_csv(tmp_path / "e.csv")
    assert names == ["im00.png", "im01.png", "im02.png"] and rows.shape == (3, 1280)
    bad = _alpick(tmp_path, "embed", "--model", "resnet18")
    assert bad.returncode == 1
    assert bad.stderr.strip().startswith("error:") and len(bad.stderr.strip().splitlines()) == 1
