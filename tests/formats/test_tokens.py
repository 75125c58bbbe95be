from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpick.errors import AlpickError
from alpick.formats.tokens import read_bytes, to_float, to_str, tokenise


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
