"""The Python API users script against: ``from alpick import Project``.

``Project`` is the store's project plus the verbs of the loop (select, annotate); it sits above
``store/``, ``select/`` and ``loop/`` so that those stay independent of each other.

Example:
    >>> project = Project.open()                      # doctest: +SKIP
    >>> [t.name for t in project.tags()]              # doctest: +SKIP
    >>> new = project.added_samples("CORESET_100")    # doctest: +SKIP
    >>> project.annotate("CORESET_100")               # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from alpick.formats.labels_dir import YOLO_NAME_FILES
from alpick.store.labels_io import label_suffix
from alpick.store.project import Project as _StoreProject


class Project(_StoreProject):
    """An alpick project: samples, labels, tags, embeddings, predictions and scores."""

    def annotate(
        self, tag: str, *, src: Path | str = "data/raw", dst: Path | str = "data/train"
    ) -> int:
        """Simulate the annotator: copy the images and label files of ``tag``'s samples from
        ``src`` (``images/`` + ``labels/``) into ``dst``, skipping those already there.

        YOLO's class names file (``classes.txt`` or ``data.yaml``) goes along. COCO labels are
        one file for the whole folder and are not copied.

        Args:
            tag: The tag to annotate.
            src: The pool folder; relative paths are relative to the project root.
            dst: The training folder; relative paths are relative to the project root.

        Returns:
            How many images were newly added to ``dst``.

        Raises:
            AlpickError: If the tag is unknown or one of its images is missing from ``src``.
        """
        from alpick.loop.oracle import annotate

        samples = self.tag_samples(tag)
        return annotate(
            samples,
            src=self.root / src,
            dst=self.root / dst,
            label_suffix=label_suffix(self.label_format),
            shared_label_files=YOLO_NAME_FILES if self.label_format == "yolo" else (),
        )
