from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from alpick.errors import AlpickError
from alpick.formats.embeddings_csv import load_embeddings_csv, save_embeddings_csv


@settings(max_examples=30)
@given(
    emb=st.integers(1, 6).flatmap(
        lambda d: arrays(
            np.float32,
            st.tuples(st.integers(0, 5), st.just(d)),
            elements=st.floats(-1e6, 1e6, width=32),
        )
    ),
    data=st.data(),
)
def test_round_trip(
    tmp_path_factory: pytest.TempPathFactory, emb: np.ndarray, data: st.DataObject
) -> None:
    names = [f"dir/img, {i}.png" if i % 2 else f"img_{i}.png" for i in range(len(emb))]
    labels = data.draw(st.one_of(st.none(), st.just([str(i % 3) for i in range(len(emb))])))
    path = tmp_path_factory.mktemp("emb") / "e.csv"
    save_embeddings_csv(path, names, emb, labels)
    got_names, got, got_labels = load_embeddings_csv(path)
    assert got_names == names
    np.testing.assert_array_equal(got, emb)  # exact: 9 significant digits
    assert got.dtype == np.float32 and got.shape == emb.shape
    assert got_labels == (labels if labels is not None else ["0"] * len(emb))


def test_lightly_embed_layout(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text(
        "filenames,embedding_0,embedding_1,labels\r\na.png,0.5,-1,0\r\n\r\nb.png,2,3e-2,1\r\n"
    )
    names, emb, labels = load_embeddings_csv(path)
    assert names == ["a.png", "b.png"]
    assert emb.tolist() == [[0.5, -1.0], [2.0, np.float32(0.03)]]
    assert labels == ["0", "1"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("\n \n", "empty file"),
        ("name,embedding_0,labels\n", r":1: .*start with 'filenames'"),
        ("filenames,embedding_0\n", r":1: .*end with 'labels'"),
        ("filenames,labels\n", r":1: no embedding"),
        ("filenames,embedding_0,embedding_2,labels\n", r":1: .*'embedding_1'"),
        (
            "filenames,embedding_0,embedding_1,labels\na,1,2,0\nb,1,0\n",
            r":3: expected 4 columns.*got 3",
        ),
        ("filenames,embedding_0,labels\na,1,0\nb,x,0\n", r":3: not a number: 'x'"),
        ("filenames,embedding_0,labels\na,nan,0\n", r":2: .*finite"),
    ],
)
def test_malformed(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "e.csv"
    path.write_text(text)
    with pytest.raises(AlpickError, match=message):
        load_embeddings_csv(path)


def test_header_only_is_zero_rows(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("filenames,embedding_0,embedding_1,labels\n")
    names, emb, labels = load_embeddings_csv(path)
    assert names == [] and labels == [] and emb.shape == (0, 2)


def test_save_checks(tmp_path: Path) -> None:
    with pytest.raises(AlpickError, match="must be"):
        save_embeddings_csv(tmp_path / "e.csv", ["a"], np.zeros((2, 3)))
    with pytest.raises(AlpickError, match="labels"):
        save_embeddings_csv(tmp_path / "e.csv", ["a"], np.zeros((1, 3)), ["0", "1"])
    with pytest.raises(AlpickError, match="no such file"):
        load_embeddings_csv(tmp_path / "missing.csv")
