"""The project: a folder holding ``.alpick/alpick.db`` (plus array files) next to the user's data.

Index spaces: a *sample id* is stable and never reused; a *row* (or position) is the sample's
place in :meth:`ProjectStore.samples` (ordered by id). Embeddings and score arrays are indexed
by rows; tags, labels and predictions by sample ids. :meth:`ProjectStore.positions` and
:meth:`ProjectStore.sample_ids` map between the two.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np
from numpy.typing import NDArray

from alpick.errors import AlpickError
from alpick.formats.detections import Classes, Detections
from alpick.store import db as _db
from alpick.store import importer as _importer
from alpick.store import label_sets as _label_sets
from alpick.store import tags as _tags
from alpick.store.artifacts import Artifacts
from alpick.store.label_sets import LabelSet, LabelVersion
from alpick.store.labels_io import check_format
from alpick.store.records import (
    ImportReport,
    Sample,
    Tag,
)

__all__ = ["DB_NAME", "STATE_DIR", "ProjectStore", "find_project_root"]

STATE_DIR = ".alpick"
DB_NAME = "alpick.db"


def find_project_root(path: Path | None = None) -> Path | None:
    """The folder holding ``.alpick/alpick.db``: ``path`` (default: the working directory) or
    its nearest parent; ``None`` when there is none."""
    start = Path(path if path is not None else Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / STATE_DIR / DB_NAME).is_file():
            return folder
    return None


def _db_files(path: Path) -> tuple[Path, Path, Path]:
    """The database and its WAL files."""
    return path, path.with_name(DB_NAME + "-wal"), path.with_name(DB_NAME + "-shm")


def _setting_path(root: Path, value: str | Path) -> str:
    """A folder setting as stored: relative to ``root`` (posix) when inside it, else absolute."""
    path = Path(value)
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.resolve().as_posix()


class ProjectStore(Artifacts):
    """An alpick project. Make one with :meth:`create` or :meth:`initialize`, or :meth:`open`.

    Attributes:
        root: The project folder (the one holding ``.alpick``).
        state_dir: ``root / ".alpick"``.
    """

    def __init__(self, root: Path, conn: sqlite3.Connection) -> None:
        self.root = root
        self.state_dir = root / STATE_DIR
        self._conn = conn
        rows = conn.execute("SELECT key, value FROM settings").fetchall()
        self._settings: dict[str, str] = dict(rows)

    # --- making and finding -------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        root: Path,
        *,
        images: str = "data/raw/images",
        labels: str = "data/raw/labels",
        label_format: str = "kitti",
    ) -> Self:
        """Make a project in ``root`` (or open the one there, if its settings are the same).

        Args:
            root: The project folder; created if missing.
            images: The images folder, relative to ``root`` (or absolute).
            labels: The ground-truth labels folder (or COCO file), relative to ``root``.
            label_format: ``kitti``, ``coco``, ``yolo`` or ``voc``.

        Raises:
            AlpickError: If a project exists there with other settings, or the format is unknown.
        """
        root = Path(root).resolve()
        settings = {
            "images": _setting_path(root, images),
            "labels": _setting_path(root, labels),
            "label_format": check_format(label_format),
        }
        path = root / STATE_DIR / DB_NAME
        if path.exists():
            project = cls(root, _db.connect(path))
            differ = [k for k, v in settings.items() if project._settings.get(k) != v]
            if differ:
                project.close()
                theirs = ", ".join(f"{k}={project._settings.get(k)}" for k in differ)
                raise AlpickError(
                    f"project {root} already exists with {theirs}; to change the labels "
                    "folder or format run `alpick init --reconfigure` with the new options"
                )
            return project
        (root / STATE_DIR).mkdir(parents=True, exist_ok=True)
        _db.create(path, settings)
        return cls(root, _db.connect(path))

    @classmethod
    def initialize(
        cls,
        root: Path,
        *,
        images: str | None = None,
        labels: str | None = None,
        label_format: str | None = None,
        progress: bool = False,
        reconfigure: bool = False,
    ) -> tuple[Self, ImportReport]:
        """Create the project in ``root`` if needed, then import its images (``alpick init``).

        Options left ``None`` keep the existing project's setting (or, for a new one, the
        default; the label format is then detected from the label files). A labels folder
        given explicitly must exist; a labels folder whose files are in another format than
        the one given is refused, naming what it holds. With ``reconfigure`` the labels folder
        and format of an existing project change (its labels are reloaded; the images folder
        cannot change). If a new project's first import fails, the project is not left behind;
        a failed reconfiguration keeps the old settings.

        Raises:
            AlpickError: On settings that contradict the existing project (without
                ``reconfigure``), a missing images or labels folder, label files of another or
                of several formats, no images, or any import error.
        """
        from alpick.formats.detect import describe_found, detect_label_format, label_files_found

        root = Path(root).resolve()
        path = root / STATE_DIR / DB_NAME
        existing: dict[str, str] = {}
        if path.is_file() and path.stat().st_size == 0:
            # A database lost to a crash or a full disk (0 bytes): init makes it again.
            for leftover in _db_files(path):
                leftover.unlink(missing_ok=True)
        if path.exists():
            with cls(root, _db.connect(path)) as probe:
                existing = dict(probe._settings)
        if labels is not None and not (root / labels).exists():
            raise AlpickError(f"labels folder {root / labels} does not exist")
        labels_setting = labels or existing.get("labels", "data/raw/labels")
        fmt = label_format or existing.get("label_format")
        if fmt is None:
            fmt = detect_label_format(root / labels_setting) or "kitti"
        elif label_format is not None and (reconfigure or not existing):
            fmt = check_format(label_format)
            found = label_files_found(root / labels_setting)
            txt = {"yolo": "kitti"}  # both are .txt files: the reader tells them apart
            if found and txt.get(fmt, fmt) not in {txt.get(k, k) for k in found}:
                raise AlpickError(
                    f"{root / labels_setting} holds no {fmt} label files; found "
                    f"{describe_found(found)}"
                )
        settings = {
            "images": images or existing.get("images", "data/raw/images"),
            "labels": labels_setting,
            "label_format": fmt,
        }
        images_dir = root / settings["images"]
        if not images_dir.is_dir():
            raise AlpickError(f"images folder {images_dir} does not exist")
        if existing and reconfigure:
            return cls._reconfigure(root, path, settings, progress)
        made_state_dir = not (root / STATE_DIR).exists()
        project = cls.create(root, **settings)
        try:
            report = project.import_samples(progress=progress)
            if report.total == 0:
                raise AlpickError(f"{images_dir}: no images (.png, .jpg) found")
        except BaseException:
            project.close()
            if not existing:
                for leftover in _db_files(path):
                    leftover.unlink(missing_ok=True)
                if made_state_dir:
                    shutil.rmtree(root / STATE_DIR, ignore_errors=True)
            raise
        return project, report

    @classmethod
    def _reconfigure(
        cls, root: Path, path: Path, settings: dict[str, str], progress: bool
    ) -> tuple[Self, ImportReport]:
        """Change the labels folder and format of the project at ``root`` and reload labels, in
        one transaction."""
        wanted = {
            "images": _setting_path(root, settings["images"]),
            "labels": _setting_path(root, settings["labels"]),
            "label_format": check_format(settings["label_format"]),
        }
        project = cls(root, _db.connect(path))
        try:
            if wanted["images"] != project._settings["images"]:
                raise AlpickError(
                    f"the images folder cannot change (samples are paths under "
                    f"{project._settings['images']}); to start over, delete {root / STATE_DIR}"
                )
            changed = {k: v for k, v in wanted.items() if project._settings.get(k) != v}
            report = _importer.import_samples(
                project._conn,
                root / wanted["images"],
                root / wanted["labels"],
                wanted["label_format"],
                progress=progress,
                settings=changed,
            )
        except BaseException:
            project.close()
            raise
        project._settings.update(changed)
        return project, report

    @classmethod
    def open(cls, path: Path | None = None) -> Self:
        """The project at ``path`` (default: the working directory) or its nearest parent.

        Raises:
            AlpickError: If there is none, or its database is from a newer alpick.
        """
        root = find_project_root(path)
        if root is None:
            start = Path(path if path is not None else Path.cwd()).resolve()
            raise AlpickError(
                f"no alpick project found in {start} or its parents (run `alpick init`)"
            )
        return cls(root, _db.connect(root / STATE_DIR / DB_NAME))

    @property
    def read_only(self) -> bool:
        """Whether the project's database cannot be written (it is then opened read-only)."""
        return not _db.writable(self.state_dir / DB_NAME)

    def check_writable(self) -> None:
        """Refuse, before long work, a command that would change a read-only project.

        Raises:
            AlpickError: If the project is read-only.
        """
        if self.read_only:
            raise AlpickError(
                f"the project is read-only ({self.state_dir} cannot be written); this command "
                "changes it"
            )

    def close(self) -> None:
        """Close the database connection."""
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.root)!r})"

    # --- settings -----------------------------------------------------------------------------

    @property
    def images_dir(self) -> Path:
        """The folder the images are imported from."""
        return self.root / self._settings["images"]

    @property
    def labels_dir(self) -> Path:
        """The folder (or COCO file) the ground-truth labels are read from."""
        return self.root / self._settings["labels"]

    @property
    def label_format(self) -> str:
        """The ground-truth format: ``kitti``, ``coco``, ``yolo`` or ``voc``."""
        return self._settings["label_format"]

    # --- samples and ground truth -------------------------------------------------------------

    def import_samples(self, *, progress: bool = False) -> ImportReport:
        """Add the images not yet in the project and reload all ground-truth labels.

        Raises:
            AlpickError: On an unreadable image, a label file without image, bad label content
                or a missing images folder; the project is then unchanged.
        """
        return _importer.import_samples(
            self._conn, self.images_dir, self.labels_dir, self.label_format, progress=progress
        )

    def samples(self) -> list[Sample]:
        """All samples, ordered by id; list positions are the *rows* of embeddings and scores."""
        rows = self._conn.execute("SELECT id, path, width, height, hash FROM samples ORDER BY id")
        return [Sample(*r) for r in rows]

    def sample_index(self) -> dict[str, int]:
        """Relative image path to its row (position in :meth:`samples`)."""
        rows = self._conn.execute("SELECT path FROM samples ORDER BY id")
        return {r[0]: i for i, r in enumerate(rows)}

    def sample_ids(self) -> NDArray[np.int64]:
        """Row to sample id, ``(N,)``: ``sample_ids()[row]`` is the id of that row."""
        rows = self._conn.execute("SELECT id FROM samples ORDER BY id")
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def positions(self, sample_ids: Sequence[int] | NDArray[np.int64]) -> NDArray[np.int64]:
        """Sample ids to rows, ``(len(sample_ids),)``, in the given order.

        Raises:
            AlpickError: If an id is not in the project.
        """
        wanted = np.asarray(sample_ids, dtype=np.int64).reshape(-1)
        if len(wanted) == 0:
            return np.zeros(0, dtype=np.int64)
        ids = self.sample_ids()
        rows = np.searchsorted(ids, wanted)
        found = rows < len(ids)
        found[found] = ids[rows[found]] == wanted[found]
        if not found.all():
            raise AlpickError(f"unknown sample id(s) {wanted[~found][:5].tolist()}")
        return rows.astype(np.int64)

    def classes(self) -> Classes:
        """The ground-truth class names, in id order."""
        rows = self._conn.execute("SELECT name FROM classes ORDER BY id")
        return Classes([r[0] for r in rows])

    def labels(
        self, sample_ids: Sequence[int] | NDArray[np.int64] | None = None
    ) -> dict[int, Detections]:
        """Current boxes per sample id (all samples when ``None``); no boxes = empty.

        An image's current labels are those of the newest label set that has it (``alpick
        labels import``), else the ground truth of the project's label files.

        Raises:
            AlpickError: If an id is not in the project.
        """
        ids = self.sample_ids() if sample_ids is None else np.asarray(sample_ids, np.int64)
        if sample_ids is not None:
            self.positions(ids)
        rows = self._conn.execute(
            "SELECT sample_id, class_id, x0, y0, x1, y1 FROM current_labels "
            "ORDER BY sample_id, set_id, seq"
        ).fetchall()
        table = np.array(rows, dtype=np.float64).reshape(-1, 6)
        owners = table[:, 0].astype(np.int64)
        starts = np.searchsorted(owners, ids, side="left")
        ends = np.searchsorted(owners, ids, side="right")
        out: dict[int, Detections] = {}
        for sid, a, b in zip(ids.tolist(), starts.tolist(), ends.tolist(), strict=True):
            part = table[a:b]
            out[sid] = Detections(part[:, 2:6].astype(np.float32), part[:, 1].astype(np.int64))
        return out

    def label_sets(self) -> list[LabelSet]:
        """The imported label sets, oldest first."""
        return _label_sets.list_label_sets(self._conn)

    def save_label_set(
        self,
        labels: Mapping[int, Detections],
        *,
        source: str,
        fmt: str,
        new_classes: Sequence[str] = (),
    ) -> LabelSet:
        """Store ``labels`` (sample id -> boxes in project class ids, ``new_classes`` appended
        to the class list first) as a new label set, in one transaction.

        Raises:
            AlpickError: If an id is not in the project, or a class id is unknown.
        """
        self.positions(list(labels))
        known = len(self.classes()) + len(new_classes)
        for sid, det in labels.items():
            if len(det) and int(det.class_id.max()) >= known:
                raise AlpickError(f"sample {sid}: class id {int(det.class_id.max())} is unknown")
        return _label_sets.save_label_set(
            self._conn, source=source, fmt=fmt, labels=labels, new_classes=new_classes
        )

    def label_history(self, sample_id: int) -> list[LabelVersion]:
        """The labels of one sample, oldest first: its label files' ground truth, then each
        label set that has it (:func:`alpick.store.label_sets.label_history`)."""
        self.positions([sample_id])
        return _label_sets.label_history(self._conn, sample_id)

    # --- tags ---------------------------------------------------------------------------------

    def tags(self) -> list[Tag]:
        """All tags, oldest first."""
        return _tags.list_tags(self._conn)

    def tag(self, name: str) -> Tag:
        """The tag called ``name``.

        Raises:
            AlpickError: If there is none; the message lists the known tags.
        """
        return _tags.get_tag(self._conn, name)

    def create_tag(
        self,
        name: str,
        sample_ids: Sequence[int],
        *,
        parent: str | None = None,
        method: str = "manual",
        config: Mapping[str, Any] | None = None,
        seed: int | None = None,
    ) -> Tag:
        """Make an immutable tag of ``sample_ids`` (kept in this order; may be empty).

        Raises:
            AlpickError: On a taken or invalid name, an unknown parent, unknown or repeated
                sample ids, or a config that is not JSON.
        """
        return _tags.create_tag(
            self._conn, name, sample_ids, parent=parent, method=method, config=config, seed=seed
        )

    def delete_tag(self, name: str) -> None:
        """Delete a tag.

        Raises:
            AlpickError: If it is unknown or another tag has it as parent (named).
        """
        _tags.delete_tag(self._conn, name)

    def _by_id(self) -> dict[int, Sample]:
        return {s.id: s for s in self.samples()}

    def tag_samples(self, name: str) -> list[Sample]:
        """The samples of tag ``name``, in its order (one indexed join, whatever the pool)."""
        tag_id = self._conn.execute("SELECT id FROM tags WHERE name = ?", (name,)).fetchone()
        if tag_id is None:
            self.tag(name)  # the error that lists the tags
        rows = self._conn.execute(
            "SELECT s.id, s.path, s.width, s.height, s.hash FROM tag_members m "
            "JOIN samples s ON s.id = m.sample_id WHERE m.tag_id = ? ORDER BY m.position",
            tag_id,
        )
        return [Sample(*r) for r in rows]

    def ids_of_paths(self, paths: Sequence[str]) -> dict[str, int]:
        """Sample id of each of ``paths`` that is in the project (indexed look-ups)."""
        sql = "SELECT path, id FROM samples WHERE path IN ({})"
        return dict(_db.select_in(self._conn, sql, list(paths)))

    def added_samples(self, name: str) -> list[Sample]:
        """The samples tag ``name`` added over its parent (all of them without a parent)."""
        tag = self.tag(name)
        before = set() if tag.parent is None else set(self.tag(tag.parent).sample_ids)
        by_id = self._by_id()
        return [by_id[i] for i in tag.sample_ids if i not in before]
