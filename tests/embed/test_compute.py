from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from alpick.embed import compute_embeddings
from alpick.embed.weights import file_sha256

from .conftest import MakeImages

SIZE = 64
KEYS = {"model", "input_size", "dim", "weights_hash", "ssl_epochs"}


def test_metadata_and_incremental_rows(make_images: MakeImages) -> None:
    paths = make_images(4)
    full, meta = compute_embeddings(paths, input_size=SIZE, batch_size=3, progress=False)
    more, meta_more = compute_embeddings(paths[3:], input_size=SIZE, progress=False)
    assert set(meta) == KEYS and meta == meta_more
    assert meta["model"] == "efficientnet_lite0" and meta["dim"] == 1280
    assert meta["input_size"] == SIZE and meta["ssl_epochs"] == 0
    np.testing.assert_allclose(more.embeddings[0], full.embeddings[3], rtol=1e-4, atol=1e-4)


def test_finetuned_weights_are_saved_and_reused(make_images: MakeImages, tmp_path: Path) -> None:
    paths = make_images(6)
    model_file = tmp_path / ".alpick" / "models" / "set1.pt"
    first, meta = compute_embeddings(
        paths[:4],
        input_size=SIZE,
        batch_size=4,
        ssl_epochs=1,
        ssl_out=model_file,
        num_workers=0,
        progress=False,
    )
    assert meta["ssl_epochs"] == 1 and meta["weights_hash"] == file_sha256(model_file)
    # New images later: embed them with the saved weights, no new fine-tuning.
    later, meta_later = compute_embeddings(
        paths[2:], weights=model_file, input_size=SIZE, num_workers=0, progress=False
    )
    assert meta_later == meta
    np.testing.assert_allclose(later.embeddings[:2], first.embeddings[2:4], rtol=1e-4, atol=1e-4)


def test_random_torchvision_model(make_images: MakeImages) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result, meta = compute_embeddings(
            make_images(2), model="resnet18", allow_random=True, input_size=SIZE, progress=False
        )
    assert result.embeddings.shape == (2, 512) and meta["dim"] == 512
