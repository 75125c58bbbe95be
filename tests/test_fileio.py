from __future__ import annotations

from pathlib import Path

import pytest

from alpick.fileio import atomic_open, atomic_path, write_text_atomic


def test_replaces_in_one_step(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "a.txt"
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent and not target.exists()
        tmp.write_text("new")
    assert target.read_text() == "new"
    assert [p.name for p in target.parent.iterdir()] == ["a.txt"]


def test_failure_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_write_text_atomic_creates_folders_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b.txt"
    write_text_atomic(target, "x\n")
    write_text_atomic(target, "y\n")
    assert target.read_text() == "y\n"
    assert [p.name for p in target.parent.iterdir()] == ["b.txt"]


def test_atomic_open_failure_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_open(target, "wb") as fh:
        fh.write(b"half")
        raise RuntimeError
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]
    with pytest.raises(ValueError):
        atomic_open(target, "a").__enter__()


def test_check_output_file_and_dir_name_path_and_reason(tmp_path: Path) -> None:
    from alpick.errors import AlpickError
    from alpick.fileio import check_output_dir, check_output_file

    (tmp_path / "f").write_text("x")
    check_output_file(tmp_path / "new" / "deeper" / "a.csv")
    check_output_dir(tmp_path / "new-folder")
    assert not (tmp_path / "new").exists() and not (tmp_path / "new-folder").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]  # the probe is gone
    for call, bad, reason in [
        (check_output_file, tmp_path, "is a folder"),
        (check_output_file, tmp_path / "f" / "a.csv", "is not a folder"),
        (check_output_dir, tmp_path / "f", "is a file"),
        (check_output_file, Path("/proc/alpick-x/a.csv"), "cannot write"),
        (check_output_dir, Path("/proc/alpick-x"), "cannot write"),
    ]:
        with pytest.raises(AlpickError, match="cannot write") as info:
            call(bad)
        assert str(bad) in str(info.value) and reason in str(info.value)


def test_atomic_write_errors_name_the_target(tmp_path: Path) -> None:
    from alpick.errors import AlpickError

    (tmp_path / "f").write_text("x")
    with pytest.raises(AlpickError, match=r"f/a\.txt: cannot write"):
        write_text_atomic(tmp_path / "f" / "a.txt", "x")
    with pytest.raises(AlpickError, match="cannot write"):
        write_text_atomic(tmp_path, "x")  # a folder: the rename fails
    with pytest.raises(FileNotFoundError), atomic_path(tmp_path / "b.txt"):
        (tmp_path / "missing").read_text()  # an input's error passes through
