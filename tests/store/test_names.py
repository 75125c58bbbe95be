from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpick.errors import AlpickError
from alpick.store.names import check_name, read_filenames, resolve_names
from alpick.store.records import Sample

SAMPLES = [
    Sample(1, "a.png", 1, 1, "h"),
    Sample(2, "x/b.png", 1, 1, "h"),
    Sample(5, "x/a.png", 1, 1, "h"),
    Sample(7, "y/c.jpg", 1, 1, "h"),
]


def test_paths_and_unique_bare_names_resolve() -> None:
    names = ["x/a.png", "b.png", " ./y/c.jpg "]
    assert resolve_names(names, SAMPLES, what="f") == [5, 2, 7]
    assert resolve_names(["x\\b.png"], SAMPLES, what="f") == [2]  # Windows separators
    assert resolve_names(["a.png"], SAMPLES, what="f") == [1]  # exact path wins over bare name


def test_unknown_names_are_listed() -> None:
    with pytest.raises(
        AlpickError,
        match=r"4 image name\(s\) in list.txt are not in the project: "
        r"'q1', 'q2', 'q3' and 1 more",
    ):
        resolve_names(["q1", "q2", "q3", "q4", "a.png"], SAMPLES, what="list.txt")


def test_ambiguous_and_repeated_names() -> None:
    samples = [*SAMPLES, Sample(9, "z/b.png", 1, 1, "h")]
    with pytest.raises(AlpickError, match="match several images"):
        resolve_names(["b.png"], samples, what="f")
    with pytest.raises(AlpickError, match=r"listed twice in f: 'x/b\.png'"):
        resolve_names(["b.png", "x/b.png"], SAMPLES, what="f")


@given(st.permutations(SAMPLES))
def test_resolution_keeps_the_callers_order(order: list[Sample]) -> None:
    assert resolve_names([s.path for s in order], SAMPLES, what="f") == [s.id for s in order]


@pytest.mark.parametrize("name", ["initial-selection", "CORESET_100", "a.b+c@d", "0"])
def test_valid_names(name: str) -> None:
    assert check_name("tag", name) == name


@pytest.mark.parametrize("name", ["", "-x", ".x", "a b", "a/b", "x" * 129, "é"])
def test_invalid_names(name: str) -> None:
    with pytest.raises(AlpickError, match="invalid tag name"):
        check_name("tag", name)


def test_read_filenames_skips_blank_lines(tmp_path: Path) -> None:
    f = tmp_path / "l.txt"
    f.write_text("a.png\r\n\n  b.png  \n")
    assert read_filenames(f) == ["a.png", "b.png"]
    with pytest.raises(AlpickError, match="cannot read"):
        read_filenames(tmp_path / "missing.txt")
