from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from alpick.embed import Backbone, embed_images, finetune_simclr
from alpick.errors import AlpickError

from .conftest import MakeImages

SIZE = 64


def _max_change(a: Backbone, b: Backbone) -> float:
    sa, sb = a.module.state_dict(), b.module.state_dict()
    return max(float((sa[k].float() - sb[k].float()).abs().max()) for k in sa)


def test_one_epoch_changes_the_weights_reproducibly(
    effnet: Backbone, make_images: MakeImages
) -> None:
    paths = make_images(8)
    before = {k: v.clone() for k, v in effnet.module.state_dict().items()}
    tuned = finetune_simclr(
        paths, effnet, epochs=1, batch_size=4, input_size=SIZE, num_workers=0, progress=False
    )
    again = finetune_simclr(
        paths, effnet, epochs=1, batch_size=4, input_size=SIZE, num_workers=2, progress=False
    )
    assert _max_change(effnet, tuned) > 0
    assert tuned.weights_hash == again.weights_hash != effnet.weights_hash
    assert all(torch.equal(v, effnet.module.state_dict()[k]) for k, v in before.items())
    assert tuned.source == "simclr" and tuned.head is None and not tuned.module.training
    assert tuned.info["ssl_epochs"] == 1
    assert tuned.info["base_weights_hash"] == effnet.weights_hash
    rows = embed_images(paths[:2], tuned, input_size=SIZE, progress=False).embeddings
    assert np.isfinite(rows).all()


def test_a_different_seed_gives_different_weights(
    effnet: Backbone, make_images: MakeImages
) -> None:
    paths = make_images(4)
    kwargs = {"epochs": 1, "batch_size": 4, "input_size": SIZE, "num_workers": 0}
    a = finetune_simclr(paths, effnet, seed=0, progress=False, **kwargs)  # type: ignore[arg-type]
    b = finetune_simclr(paths, effnet, seed=1, progress=False, **kwargs)  # type: ignore[arg-type]
    assert a.weights_hash != b.weights_hash


def test_unreadable_images_are_skipped(effnet: Backbone, make_images: MakeImages) -> None:
    paths = make_images(3)
    empty = paths[0].parent / "empty.png"
    empty.write_bytes(b"")
    tuned = finetune_simclr(
        [*paths, empty],
        effnet,
        epochs=1,
        batch_size=4,
        input_size=SIZE,
        num_workers=0,
        progress=False,
    )
    assert tuned.weights_hash != effnet.weights_hash


def test_bad_arguments(effnet: Backbone, make_images: MakeImages, tmp_path: Path) -> None:
    with pytest.raises(AlpickError, match="at least one epoch"):
        finetune_simclr(make_images(4), effnet, epochs=0)
    with pytest.raises(AlpickError, match="at least 2 images"):
        finetune_simclr(make_images(1), effnet, epochs=1)
    blanks = []
    for i in range(3):
        blanks.append(tmp_path / f"blank{i}.png")
        blanks[-1].write_bytes(b"")
    with pytest.raises(AlpickError, match="readable"):
        finetune_simclr(blanks, effnet, epochs=1, num_workers=0, progress=False)


def test_numpy_global_state_is_left_alone(effnet: Backbone, make_images: MakeImages) -> None:
    state = np.random.get_state()
    finetune_simclr(
        make_images(4),
        effnet,
        epochs=1,
        batch_size=4,
        input_size=SIZE,
        num_workers=0,
        progress=False,
    )
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2] == after[2]


@pytest.mark.slow
def test_longer_finetuning_moves_embeddings(effnet: Backbone, make_images: MakeImages) -> None:
    paths = make_images(32, size=(160, 96))
    tuned = finetune_simclr(paths, effnet, epochs=3, batch_size=16, input_size=96, progress=False)
    before = embed_images(paths, effnet, input_size=96, progress=False).embeddings
    after = embed_images(paths, tuned, input_size=96, progress=False).embeddings
    assert np.isfinite(after).all()
    assert not np.allclose(before, after, atol=1e-3)
