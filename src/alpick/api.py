"""The Python API users script against: ``from alpick import Project``.

``Project`` is the store's project plus the verbs of the loop (select, annotate); it sits above
``store/``, ``select/`` and ``loop/`` so that those stay independent of each other.

Example:
    >>> project = Project.open()                      # doctest: +SKIP
    >>> [t.name for t in project.tags()]              # doctest: +SKIP
    >>> project.score_predictions("infer_labels")      # doctest: +SKIP
    >>> tag = project.select("CORAL_100", method="CORAL", n_samples=100,
    ...                      preselected="initial")   # doctest: +SKIP
    >>> new = project.added_samples("CORESET_100")    # doctest: +SKIP
    >>> project.annotate("CORESET_100")               # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alpick.formats.labels_dir import YOLO_NAME_FILES
from alpick.store.labels_io import label_suffix
from alpick.store.project import Project as _StoreProject
from alpick.store.records import PredictionSet, Tag

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from alpick.loop.scoring import ScoreReport
    from alpick.loop.selection import SelectionReport
    from alpick.select import SelectionConfig


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

    def import_predictions(
        self, pred_dir: Path | str, fmt: str = "kitti", *, name: str | None = None
    ) -> PredictionSet:
        """Read a prediction folder against the samples and store it as a prediction set.

        An image without a prediction file has no boxes.

        Args:
            pred_dir: The folder (``kitti``/``yolo``: the prediction of ``a/b.png`` is
                ``a/b.txt``; ``coco``, ``lightly``: see ``docs/formats.md``).
            fmt: ``kitti``, ``coco``, ``yolo`` or ``lightly``.
            name: The set's name (default: the folder's name); a set of that name is replaced.

        Raises:
            AlpickError: For an unknown format, a missing or empty folder, a folder whose files
                name no image of the project, or a malformed file (``FILE:LINE``).
        """
        from alpick.loop.scoring import import_predictions

        return import_predictions(self, Path(pred_dir), fmt, name=name)[0]

    def score_predictions(
        self,
        pred_dir: Path | str,
        fmt: str = "kitti",
        *,
        name: str | None = None,
        scores: Sequence[str] | None = None,
        reduction: str = "max",
        min_confidence: float = 0.0,
    ) -> ScoreReport:
        """``alpick scores`` in a project: import a prediction folder (as
        :meth:`import_predictions`), compute the scores and store them as a score set of the
        same name.

        Args:
            pred_dir: The prediction folder.
            fmt: ``kitti``, ``coco``, ``yolo`` or ``lightly``.
            name: Name of the prediction set and the score set (default: the folder's name).
            scores: Score names (case-insensitive); ``None`` for all of ``alpick.scores.SCORES``.
            reduction: ``max``, ``mean`` or ``sum`` of the per-box uncertainties.
            min_confidence: Boxes below it are dropped before scoring (they stay stored).

        Returns:
            The report: sample paths, scores, box counts, the stored set records.

        Raises:
            AlpickError: As :meth:`import_predictions`, or for an unknown score or reduction.
        """
        from alpick.loop.scoring import score_prediction_dir

        return score_prediction_dir(
            self,
            Path(pred_dir),
            fmt,
            name=name,
            names=scores,
            reduction=reduction,
            min_confidence=min_confidence,
        )

    def serve(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        open_browser: bool = False,
        metadata: Path | None = None,
        echo: Callable[[str], None] = print,
    ) -> None:
        """Serve the project's web app until interrupted (``alpick serve``); ``echo`` gets the
        link. Needs the ``serve`` extra; see :mod:`alpick.serve`.

        Raises:
            AlpickError: If the extra is missing or the address cannot be bound.
        """
        from alpick.errors import AlpickError

        try:
            import fastapi  # noqa: F401
            import uvicorn  # noqa: F401
        except ImportError:
            from alpick.serve import MISSING_EXTRA

            raise AlpickError(MISSING_EXTRA) from None
        from alpick.serve.server import serve

        serve(
            self.root,
            host=host,
            port=port,
            open_browser=open_browser,
            metadata=metadata,
            echo=echo,
        )

    def compute_scores(
        self,
        prediction_set: str | None = None,
        *,
        scores: Sequence[str] | None = None,
        reduction: str = "max",
        min_confidence: float = 0.0,
    ) -> dict[str, NDArray[np.float64]]:
        """Scores of a stored prediction set (``None``: the latest), one value per sample in
        :meth:`samples` order; nothing is stored (see :meth:`save_scores`).

        Raises:
            AlpickError: If there is no such set, or for an unknown score or reduction.
        """
        from alpick.loop.scoring import score_prediction_set

        return score_prediction_set(
            self, prediction_set, names=scores, reduction=reduction, min_confidence=min_confidence
        )[0]

    def select(
        self,
        new_tag: str,
        *,
        method: str | None = None,
        n_samples: int | None = None,
        preselected: str | None = None,
        score: str = "uncertainty_entropy",
        embeddings: str | None = None,
        prediction_set: str | None = None,
        seed: int = 0,
        config: Mapping[str, Any] | SelectionConfig | None = None,
        metadata: Path | str | None = None,
        min_confidence: float | None = None,
    ) -> Tag:
        """Select samples and record them as the new tag ``new_tag`` (``alpick select``).

        Args:
            new_tag: The new tag's name; it must not exist.
            method: ``RANDOM``, ``CORESET`` or ``CORAL`` (case-insensitive); CORESET when
                neither ``method`` nor ``config`` is given.
            n_samples: The TOTAL size of the new tag, the preselected samples included
                (overrides the config's total).
            preselected: The tag selected so far; the new tag starts with its samples and
                records it as parent.
            score: CORAL's score.
            embeddings: The embedding set (``None``: the latest).
            prediction_set: Where scores and predicted classes come from (``None``: latest).
            seed: Seed of every random draw: same inputs and seed, same tag.
            config: A full engine config (``n_samples`` or ``proportion_samples`` plus
                ``strategies``), as a mapping or a ``SelectionConfig``; see
                ``docs/selection.md``.
            metadata: CSV of per-image metadata, for METADATA inputs (a relative path is
                relative to the project root).
            min_confidence: Drop boxes below it before computing scores; ``None`` uses the
                stored score set of the prediction set when there is one.

        Returns:
            The new tag: the preselected samples first, then the picks in pick order. Its
            config is the engine config plus ``inputs`` (the sets it read).

        Raises:
            AlpickError: See :func:`alpick.loop.selection.select_for_project`.
        """
        return self.select_report(
            new_tag,
            method=method,
            n_samples=n_samples,
            preselected=preselected,
            score=score,
            embeddings=embeddings,
            prediction_set=prediction_set,
            seed=seed,
            config=config,
            metadata=metadata,
            min_confidence=min_confidence,
        ).tag

    def select_report(
        self,
        new_tag: str,
        *,
        method: str | None = None,
        n_samples: int | None = None,
        preselected: str | None = None,
        score: str = "uncertainty_entropy",
        embeddings: str | None = None,
        prediction_set: str | None = None,
        seed: int = 0,
        config: Mapping[str, Any] | SelectionConfig | None = None,
        metadata: Path | str | None = None,
        min_confidence: float | None = None,
        predictions: Path | str | None = None,
        predictions_format: str = "kitti",
    ) -> SelectionReport:
        """:meth:`select`, returning the full report (counts, description) with the tag.

        ``predictions`` (a folder, relative to the project root) is imported and scored
        first, as :meth:`score_predictions` does, when the config reads scores or predicted
        classes; it replaces ``prediction_set``.
        """
        from alpick.loop.selection import build_config, select_for_project

        resolved, method_name = build_config(
            method=method, n_samples=n_samples, score=score, config=config
        )
        return select_for_project(
            self,
            new_tag,
            resolved,
            method=method_name,
            preselected=preselected,
            embeddings=embeddings,
            prediction_set=prediction_set,
            predictions=None if predictions is None else self.root / predictions,
            predictions_format=predictions_format,
            metadata=None if metadata is None else self.root / metadata,
            min_confidence=min_confidence,
            seed=seed,
        )
