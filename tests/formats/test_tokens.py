from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpick.errors import AlpickError
from alpick.formats import tokens
from alpick.formats.tokens import FileReader, read_bytes, to_float, to_str, tokenise


def test_lines_and_files() -> None:
    table = tokenise([b"a b\r\n\n  c\n", b"", b"\xef\xbb\xbfd e f", b"\n\ng"])
    assert table.line_ntok.tolist() == [2, 1, 3, 1]
    assert table.line_file.tolist() == [0, 0, 2, 3]
    assert table.line_number.tolist() == [1, 3, 1, 3]
    assert table.lines_per_file().tolist() == [2, 0, 1, 1]
    assert [table.text(t) for t in range(len(table.starts))] == list("abcdefg")


def test_no_tokens_at_all() -> None:
    table = tokenise([b"", b" \n\t"])
    assert len(table.line_first) == 0
    assert table.lines_per_file().tolist() == [0, 0]


@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=False, allow_infinity=False, width=64).map(repr),
            st.floats(-1e5, 1e5).map("{:.3f}".format),
            st.integers(-(10**20), 10**20).map(str),
            st.floats(-1e5, 1e5).map("{:.4e}".format),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_to_float_equals_numpy(texts: list[str]) -> None:
    table = tokenise([" ".join(texts).encode()])
    got = to_float(table, np.arange(len(texts)), np.zeros(len(texts), np.int64), ["f"], "T")
    want = np.array(texts).astype(np.float64)
    np.testing.assert_array_equal(got, want)


def test_to_float_errors_name_the_line() -> None:
    table = tokenise([b"1 2\n3 4x\n"])
    with pytest.raises(AlpickError, match=r"f:2: T: not a number: '4x'"):
        to_float(table, np.arange(4), np.array([0, 0, 1, 1]), ["f"], "T")


def test_to_str_first_appearance_order() -> None:
    table = tokenise([b"pear apple pear a-very-long-name" + b"x" * 100 + b" apple"])
    names, index = to_str(table, np.arange(5))
    assert names == ["pear", "apple", "a-very-long-name" + "x" * 100]
    assert index.tolist() == [0, 1, 0, 2, 1]


def test_read_bytes(tmp_path: Path) -> None:
    assert read_bytes(tmp_path / "missing") == b""
    (tmp_path / "f").write_bytes(b"x" * 200_000)
    assert read_bytes(tmp_path / "f") == b"x" * 200_000
    with pytest.raises(AlpickError, match="cannot read"):
        read_bytes(tmp_path)


def _files(tmp_path: Path, n: int) -> list[str]:
    paths = []
    for i in range(n):
        path = tmp_path / f"f{i:04d}.txt"
        if i % 7 != 3:  # every 7th file is missing: b""
            path.write_bytes(f"apple {i}\n".encode() * (i % 4))
        paths.append(str(path))
    return paths


def test_file_reader_threads_read_what_one_thread_reads(tmp_path: Path) -> None:
    paths = _files(tmp_path, 300)
    serial = [read_bytes(p) for p in paths]
    reader = FileReader(threads=4)
    assert reader.read(paths) == serial
    reader.threaded = True  # as after a batch from the disk
    assert reader.read(paths) == serial
    assert reader.read(paths[:5]) == serial[:5]  # too few files for threads: read serially


def test_file_reader_raises_the_first_unreadable_file_in_order(tmp_path: Path) -> None:
    paths = _files(tmp_path, 300)
    for bad in (paths[40], paths[250]):
        Path(bad).unlink(missing_ok=True)
        Path(bad).mkdir()  # a folder where a file should be
    for threaded in (False, True):
        reader = FileReader(threads=4)
        reader.threaded = threaded
        with pytest.raises(AlpickError, match=r"f0040\.txt: cannot read: not a regular file"):
            reader.read(paths)


def test_file_reader_goes_threaded_while_reads_are_slow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _files(tmp_path, 200)
    reader = FileReader()
    monkeypatch.setattr(tokens, "_SLOW_SERIAL", 0.0)  # every serial batch looks slow: disk
    reader.read(paths)
    assert reader.threaded
    reader.read(paths[:10])  # too small a batch to judge: no change
    assert reader.threaded
    monkeypatch.setattr(tokens, "_FAST_THREADED", 1.0)  # every threaded batch looks fast: cache
    reader.read(paths)
    assert not reader.threaded
