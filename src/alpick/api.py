"""The facade users script against and the CLI calls: ``from alpick import Project``.

Every user verb lives here. :class:`Project` is the project store
(:class:`~alpick.store.project.ProjectStore`) plus the verbs on a project; the verbs that need
no project (scoring or evaluating a folder, merging simulations, TLT/TAO files and commands,
generating and converting data) and the settings types they take are this module's functions
and names, imported lazily so that ``import alpick`` stays instant. The work is done below,
in ``project/``, ``simulate/`` and ``tlt/``; nothing below imports this module.

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

from alpick.errors import AlpickError
from alpick.fileio import check_output_dir, check_output_file
from alpick.formats.labels_dir import YOLO_NAME_FILES
from alpick.lazy import lazy_exports
from alpick.store.label_sets import LabelVersion
from alpick.store.labels_io import label_suffix
from alpick.store.project import ProjectStore, find_project_root
from alpick.store.records import EmbeddingSet, PredictionSet, Sample, Tag

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from alpick.data.minneapple import convert_minneapple
    from alpick.data.orchard import generate_orchard
    from alpick.detector.config import TrainConfig
    from alpick.detector.train import TrainResult
    from alpick.distributed.cluster import RayOptions, require_ray
    from alpick.evaluate.coco import EvalResult
    from alpick.project.embed import EmbedReport
    from alpick.project.evaluate import evaluate_folders
    from alpick.project.labelling import ExportReport, LabelImport
    from alpick.project.predictions import PredictionImport
    from alpick.project.scores import ScoreReport, format_scores_csv, score_folder, write_scores_csv
    from alpick.project.select import SelectionReport, read_config_file
    from alpick.project.train import PredictReport
    from alpick.select import SelectionConfig
    from alpick.select.presets import METHODS
    from alpick.simulate.report import merge_simulations
    from alpick.simulate.runner import RoundResult, SimulationConfig
    from alpick.tlt.commands import check_runnable, format_command, run_commands
    from alpick.tlt.workspace import SpecSettings, TltWorkspace
    from alpick.tlt.yolo_v4 import BoxSet, kitti_boxes, spec_summary

__all__ = [
    "METHODS",
    "Project",
    "RayOptions",
    "SimulationConfig",
    "SpecSettings",
    "TltWorkspace",
    "TrainConfig",
    "check_output_dir",
    "check_output_file",
    "check_runnable",
    "convert_minneapple",
    "evaluate_folders",
    "find_project_root",
    "format_command",
    "format_scores_csv",
    "generate_orchard",
    "kitti_boxes",
    "merge_simulations",
    "predict_to_folder",
    "read_config_file",
    "require_ray",
    "run_commands",
    "score_folder",
    "spec_summary",
    "write_scores_csv",
]

#: The verbs that need no project, and the settings types, by the module that holds them.
_LAZY = {
    "METHODS": "alpick.select.presets",
    "RayOptions": "alpick.distributed.cluster",
    "SimulationConfig": "alpick.simulate.runner",
    "SpecSettings": "alpick.tlt.workspace",
    "TltWorkspace": "alpick.tlt.workspace",
    "TrainConfig": "alpick.detector.config",
    "check_runnable": "alpick.tlt.commands",
    "convert_minneapple": "alpick.data.minneapple",
    "evaluate_folders": "alpick.project.evaluate",
    "format_command": "alpick.tlt.commands",
    "format_scores_csv": "alpick.project.scores",
    "generate_orchard": "alpick.data.orchard",
    "kitti_boxes": "alpick.tlt.yolo_v4",
    "merge_simulations": "alpick.simulate.report",
    "read_config_file": "alpick.project.select",
    "require_ray": "alpick.distributed.cluster",
    "run_commands": "alpick.tlt.commands",
    "score_folder": "alpick.project.scores",
    "spec_summary": "alpick.tlt.yolo_v4",
    "write_scores_csv": "alpick.project.scores",
}


__getattr__ = lazy_exports(__name__, _LAZY)


class Project(ProjectStore):
    """An alpick project: samples, labels, tags, embeddings, predictions, scores, runs, and
    every verb of the loop on them."""

    # --- the oracle and tags -------------------------------------------------------------------

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
        from alpick.project.annotate import annotate

        samples = self.tag_samples(tag)
        return annotate(
            samples,
            src=self.root / src,
            dst=self.root / dst,
            label_suffix=label_suffix(self.label_format),
            shared_label_files=YOLO_NAME_FILES if self.label_format == "yolo" else (),
        )

    def create_tag_from_file(self, name: str, path: Path) -> Tag:
        """Make tag ``name`` of the images listed in ``path`` (one relative path or unique file
        name per line).

        Raises:
            AlpickError: For an unreadable file, a name matching no image, or a bad tag name.
        """
        from alpick.store.names import read_filenames, resolve_names

        names = read_filenames(path)
        ids = resolve_names(names, self.samples, what=str(path), lookup=self.ids_of_paths)
        return self.create_tag(name, ids, config={"from_file": str(Path(path).resolve())})

    # --- humans in the loop: labelling tools ------------------------------------------------

    def export_tag(
        self,
        tag: str,
        out: Path,
        target: str,
        *,
        predictions: str | None = None,
        min_confidence: float = 0.0,
        image_root: str | None = None,
        with_labels: bool = False,
        extra_classes: Sequence[str] = (),
    ) -> ExportReport:
        """Write ``tag``'s images for labelling: Label Studio tasks + config, CVAT XML, or a
        COCO / YOLO / VOC dataset folder (see :func:`alpick.project.labelling.export_tag`).

        Raises:
            AlpickError: For an unknown tag, format or prediction set, or a bad option.
        """
        from alpick.project.labelling import export_tag

        return export_tag(
            self,
            tag,
            Path(out),
            target,
            predictions=predictions,
            min_confidence=min_confidence,
            image_root=image_root,
            with_labels=with_labels,
            extra_classes=extra_classes,
        )

    def import_labels(
        self,
        path: Path,
        fmt: str,
        *,
        class_map: Path | None = None,
        add_classes: bool = False,
    ) -> LabelImport:
        """Check finished labels (Label Studio or CVAT export, COCO / YOLO / VOC) against the
        project and store them as a new label set; they become the current labels of their
        images (see :func:`alpick.project.labelling.import_labels`).

        Raises:
            AlpickError: On the first problem, named with file and task; nothing is stored.
        """
        from alpick.project.labelling import import_labels

        return import_labels(self, Path(path), fmt, class_map=class_map, add_classes=add_classes)

    def label_history_of(self, image: str) -> tuple[Sample, list[tuple[LabelVersion, str]]]:
        """The versions of one image's labels (relative path, unique file name or sample id),
        oldest first, each with what changed from the one before.

        Raises:
            AlpickError: If the image is not in the project.
        """
        from alpick.formats.detections import Detections
        from alpick.project.labelling import describe_change, find_sample

        sample = find_sample(self, image)
        classes = self.classes()
        before = Detections.empty()
        out = []
        for version in self.label_history(sample.id):
            out.append((version, describe_change(before, version.boxes, classes)))
            before = version.boxes
        return sample, out

    # --- embeddings ----------------------------------------------------------------------------

    def embed(self, *, ray: RayOptions | None = None, **settings: Any) -> EmbedReport:
        """Embed every sample into a named set, reusing and extending what it already holds
        (``alpick embed``); keyword settings as :func:`alpick.project.embed.embed_project`.
        With ``ray``, the images are embedded on that Ray cluster (docs/scale.md).

        Raises:
            AlpickError: On bad settings, unreadable images (unless ``skip_bad``), or an empty
                project; with ``ray``, without Ray or a reachable cluster.
        """
        from alpick.project.embed import embed_project

        if ray is not None:
            from alpick.distributed import ray_embedder

            settings["compute"] = ray_embedder(ray)
        return embed_project(self, **settings)

    def import_embeddings(
        self, path: Path, *, filenames: Path | None = None, name: str | None = None
    ) -> EmbeddingSet:
        """Import embeddings computed elsewhere (a lightly-embed CSV, or a ``.npy`` with a
        file of names), aligned to the samples by file name."""
        from alpick.store.embeddings_import import import_embeddings

        return import_embeddings(self, path, filenames=filenames, name=name)

    def export_embeddings(self, path: Path, name: str | None = None) -> EmbeddingSet:
        """Write an embedding set (``None``: the latest) as the CSV ``lightly-embed`` writes."""
        from alpick.formats.embeddings_csv import save_embeddings_csv

        array, record = self.embeddings(name)
        save_embeddings_csv(path, [s.path for s in self.samples()], array)
        return record

    def draw_embedding_map(self, out_png: Path, name: str | None = None) -> EmbeddingSet:
        """Draw a 2-D map (PCA) of an embedding set (``None``: the latest), coloured by tag."""
        from alpick.project.embed import draw_embedding_map

        return draw_embedding_map(self, out_png, name)

    # --- predictions and scores ----------------------------------------------------------------

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
        return self.import_predictions_report(pred_dir, fmt, name=name).record

    def import_predictions_report(
        self, pred_dir: Path | str, fmt: str = "kitti", *, name: str | None = None
    ) -> PredictionImport:
        """:meth:`import_predictions`, returning the boxes and the files that matched no
        image or no file."""
        from alpick.project.predictions import import_predictions

        return import_predictions(self, Path(pred_dir), fmt, name=name)

    def export_predictions(
        self,
        out_dir: Path,
        *,
        name: str | None = None,
        fmt: str = "lightly",
        task: str | None = None,
    ) -> tuple[PredictionSet, int, Path]:
        """Write a prediction set (``None``: the latest) as the platform successor's layout
        (``lightly``) or TLT KITTI files (``kitti``); returns the set, the image count and
        where the files went."""
        from alpick.project.predictions import export_predictions

        return export_predictions(self, out_dir, name=name, fmt=fmt, task=task)

    def evaluate(
        self,
        predictions: Path,
        fmt: str | None = None,
        *,
        labels: Path | None = None,
        label_format: str | None = None,
        json_out: Path | None = None,
    ) -> EvalResult:
        """COCO metrics of a prediction folder against the project's labels (or ``labels``),
        over the project's images that have a label file.

        Without ``labels`` the project's labels folder and format are used; formats are
        otherwise detected from the files (see :func:`evaluate_folders`).
        """
        from alpick.project.evaluate import evaluate_folders

        if labels is None:
            labels, label_format = self.labels_dir, label_format or self.label_format
        images = [(s.path, s.width, s.height) for s in self.samples()]
        return evaluate_folders(
            predictions, labels, fmt, label_format=label_format, images=images, json_out=json_out
        )

    def score_predictions(
        self,
        pred_dir: Path | str,
        fmt: str = "kitti",
        *,
        name: str | None = None,
        scores: Sequence[str] | None = None,
        reduction: str = "max",
        min_confidence: float = 0.0,
        ray: RayOptions | None = None,
    ) -> ScoreReport:
        """``alpick scores`` in a project: import a prediction folder (as
        :meth:`import_predictions`), compute the scores and store them as a score set of the
        same name; both sets are stored in one transaction, after every check. With ``ray``,
        the files (KITTI or YOLO) are read on that Ray cluster.

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
        from alpick.project.scores import score_prediction_folder, store_scored_folder

        options: dict[str, Any] = {}
        if ray is not None:
            from alpick.distributed import ray_prediction_loader

            options["load"] = ray_prediction_loader(ray)
        scored = score_prediction_folder(
            self,
            Path(pred_dir),
            fmt,
            name=name,
            names=scores,
            reduction=reduction,
            min_confidence=min_confidence,
            **options,
        )
        return store_scored_folder(self, scored)

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
        from alpick.project.scores import score_prediction_set

        return score_prediction_set(
            self, prediction_set, names=scores, reduction=reduction, min_confidence=min_confidence
        )[0]

    # --- selection -----------------------------------------------------------------------------

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
            method: ``RANDOM``, ``CORESET``, ``CORAL`` or ``UNCERTAINTY`` (case-insensitive);
                CORESET when neither ``method`` nor ``config`` is given.
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
            AlpickError: See :func:`alpick.project.select.select_for_project`.
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

        ``predictions`` (a folder, relative to the project root) is imported and scored, as
        :meth:`score_predictions` does, when the config reads scores or predicted classes; it
        replaces ``prediction_set``. Its sets are stored in the transaction that creates the
        tag: a selection that fails stores nothing.
        """
        from alpick.project.select import SelectionRequest, build_config, select_for_project

        resolved, method_name = build_config(
            method=method, n_samples=n_samples, score=score, config=config
        )
        request = SelectionRequest(
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
        return select_for_project(self, new_tag, resolved, request)

    # --- the detector --------------------------------------------------------------------------

    def train(
        self,
        tag: str,
        *,
        out: Path | None = None,
        resume: Path | None = None,
        init: Path | None = None,
        progress: bool = True,
        log: Callable[[str], None] | None = None,
        **settings: Any,
    ) -> TrainResult:
        """Train the built-in detector on the labelled samples of ``tag`` and record the run.

        Args:
            tag: Whose samples (with the project's labels) are the training set.
            out: Run folder (default ``runs/<tag>``).
            resume: A checkpoint (or run folder) to continue from; its settings are the
                defaults of ``settings``.
            init: A checkpoint (or run folder) whose weights to start from (a warm start); its
                model settings are kept.
            progress: Show a progress bar (on standard error).
            log: Told, a line each, the settings fitted to the data and why.
            settings: :class:`~alpick.detector.config.TrainConfig` fields to change; those not
                given are fitted to the data (input size, anchors, schedule) or the defaults.

        Raises:
            AlpickError: For an unknown or empty tag, a tag without labelled boxes, bad
                settings or a bad checkpoint.
        """
        from dataclasses import replace

        from alpick.detector.config import TrainConfig
        from alpick.detector.train import init_config, resume_config
        from alpick.project.train import train_tag

        if resume and init:
            raise AlpickError("give resume or init, not both")
        if resume:
            config = resume_config(resume, **settings)
        elif init:
            config = init_config(init, **settings)
        else:
            config = replace(TrainConfig(), **settings)
        return train_tag(
            self, tag, config, out=out, resume=resume, init=init, progress=progress, log=log
        )

    def predict(self, run: Path, out: Path, **options: Any) -> PredictReport:
        """Predict with a trained run on the project's images (or ``images``, or ``tag``'s
        samples): KITTI files in ``out`` and a prediction set; options as
        :func:`predict_to_folder`."""
        return predict_to_folder(run, out, project=self, **options)

    # --- simulation and TLT --------------------------------------------------------------------

    def simulate(
        self,
        config: SimulationConfig,
        train: TrainConfig,
        *,
        ray: RayOptions | None = None,
        **options: Any,
    ) -> tuple[list[RoundResult], Path]:
        """Run (or resume) a simulation on the project's labelled pool and write its report
        (``alpick simulate``); returns every round and the report's path.

        Options (``out_dir`` and ``test_labels`` required) as
        :func:`alpick.simulate.on_project.simulate_project`. With ``ray`` each strategy and
        seed is a task on that Ray cluster (``cpus_per_worker``/``gpus_per_worker`` each).
        """
        from alpick.simulate.on_project import simulate_project

        if ray is not None:
            from alpick.distributed import ray_lineages

            options["executor"] = ray_lineages(ray)
        return simulate_project(self, config, train, **options)

    def tlt_boxes(self, tag: str | None = None) -> BoxSet:
        """The labelled boxes of ``tag`` (``None``: every sample) for a TLT/TAO YOLOv4 spec."""
        from alpick.tlt.yolo_v4 import project_boxes

        return project_boxes(self, tag)


def predict_to_folder(
    run: Path, out: Path, *, ray: RayOptions | None = None, **options: Any
) -> PredictReport:
    """Predict with a trained run (``alpick predict``): KITTI files in ``out``, and a prediction
    set when ``project`` is given; options as :func:`alpick.project.train.predict_to_folder`.
    With ``ray``, the images are predicted on that Ray cluster (docs/scale.md).

    Raises:
        AlpickError: As :func:`alpick.project.train.predict_to_folder`; with ``ray``, without
            Ray or a reachable cluster, or when a worker cannot read an image.
    """
    from alpick.project.train import predict_to_folder as predict

    if ray is not None:
        from alpick.distributed import ray_predictor

        options["predict"] = ray_predictor(ray)
    return predict(run, out, **options)
