from __future__ import annotations

import threading
from pathlib import Path

import pytest

from alpick.errors import AlpickError
from alpick.fileio import ReadPool, atomic_open, atomic_path, read_bytes, write_text_atomic


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


def _files(tmp_path: Path, n: int) -> list[str]:
    paths = []
    for i in range(n):
        path = tmp_path / f"f{i:04d}.txt"
        path.write_bytes(f"apple {i}\n".encode() * (i % 4))
        paths.append(str(path))
    return paths


class _Seen:
    """A read that notes whether it ran off the calling thread."""

    def __init__(self) -> None:
        self.main, self.threaded = threading.get_ident(), False

    def __call__(self, path: str) -> bytes:
        self.threaded |= threading.get_ident() != self.main
        return read_bytes(path)


def test_read_pool_reads_the_same_on_threads(tmp_path: Path) -> None:
    paths = _files(tmp_path, 300)
    expected = [read_bytes(p) for p in paths]
    pool, modes = ReadPool(threads=4), []
    for _ in range(3):
        seen = _Seen()
        assert pool.map(seen, paths) == expected
        modes.append(seen.threaded)
    assert modes[:2] == [False, True]  # first one thread, then a few, each timed
    assert all(t is not None for t in pool.seconds_per_item.values())


def test_read_pool_keeps_the_faster_mode_and_probes_the_other(tmp_path: Path) -> None:
    paths = _files(tmp_path, 200)
    for faster_threaded in (True, False):
        pool, modes = ReadPool(threads=2, probe_every=4), []
        for batch in range(10):
            seen = _Seen()
            pool.map(seen, paths)
            modes.append(seen.threaded)
            if batch >= 1:  # pretend the timings said so, whatever this machine measured
                pool.seconds_per_item = {faster_threaded: 1.0, not faster_threaded: 2.0}
        best = faster_threaded
        assert modes[:2] == [False, True]
        # then the faster mode, but the other one after every 4th timed batch (5th and 9th)
        assert modes[2:] == [best, best, not best, best, best, best, not best, best]


def test_read_pool_small_batches_stay_on_one_thread(tmp_path: Path) -> None:
    paths = _files(tmp_path, 100)  # fewer than 2 x 64: not worth threads
    pool = ReadPool(threads=4)
    pool.seconds_per_item = {False: 1.0, True: 0.0}
    seen = _Seen()
    assert pool.map(seen, paths) == [read_bytes(p) for p in paths]
    assert not seen.threaded and pool.seconds_per_item == {False: 1.0, True: 0.0}


@pytest.mark.parametrize("threaded", [False, True])
def test_read_pool_raises_the_first_failure_in_order(tmp_path: Path, threaded: bool) -> None:
    paths = _files(tmp_path, 300)
    for bad in (paths[40], paths[250]):
        Path(bad).unlink()
    pool = ReadPool(threads=4)
    pool.seconds_per_item = {False: 1.0, True: 0.5} if threaded else {False: 0.5, True: 1.0}
    with pytest.raises(AlpickError, match=r"f0040\.txt: cannot read: no such file"):
        pool.map(read_bytes, paths)
