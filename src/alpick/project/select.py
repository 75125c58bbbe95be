"""Selection in a project: load what the config needs, run the engine, make the new tag.

This is ``alpick select`` and :meth:`alpick.Project.select`. The pool is every sample of
the project; the preselected tag's samples are the initial selection, and ``n_samples`` is the
*total* size of the new tag (100 on top of a 50-sample tag adds 50). Only the inputs the config
reads are loaded (:meth:`~alpick.select.SelectionConfig.needs`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alpick.errors import AlpickError
from alpick.fileio import read_text
from alpick.project.scores import ScoredFolder, score_prediction_folder, store_scored_folder
from alpick.project.select_inputs import (
    folder_classes,
    folder_scores,
    load_metadata,
    load_scores,
    predicted_classes,
)
from alpick.scores import score_name
from alpick.scores.registry import check_min_confidence
from alpick.select import (
    InputKind,
    InputNeeds,
    SelectionConfig,
    SelectionInputs,
    resolve_config,
    select_samples,
)
from alpick.store.names import check_name
from alpick.store.project import ProjectStore
from alpick.store.records import PredictionSet, Tag

#: The method a tag records when a config file (not a preset) made it.
CONFIG_METHOD = "CONFIG"


@dataclass(frozen=True)
class SelectionReport:
    """What a selection did.

    Attributes:
        tag: The new tag (preselected samples first, then the picks in order).
        preselected: How many samples came from the preselected tag.
        new: How many samples were picked.
        asked: The total that was asked for (more than ``preselected + new`` only when
            DIVERSITY's stopping condition ended the selection early).
        description: The method in words, e.g. ``CORAL on uncertainty_entropy``.
        imported: The prediction set imported from a prediction folder, if one was.
    """

    tag: Tag
    preselected: int
    new: int
    asked: int
    description: str
    imported: PredictionSet | None = None

    @property
    def stopped_early(self) -> bool:
        """Whether the selection ended before reaching its total."""
        return self.preselected + self.new < self.asked


def describe(config: SelectionConfig, method: str) -> str:
    """The method in words: ``RANDOM``, ``CORESET``, ``CORAL on <score>``, or the strategies
    of a config (``DIVERSITY x WEIGHTS(uncertainty_entropy) x THRESHOLD(object_frequency)``)."""
    if method == "CORAL":
        score = next(s.score for s in config.strategies if s.input == InputKind.SCORES)
        return f"CORAL on {score}"
    if method != CONFIG_METHOD:
        return method
    parts = []
    for s in config.strategies:
        what = s.score or s.key or s.query_tag_name
        if s.input == InputKind.PREDICTIONS:
            what = "predictions"
        elif s.input == InputKind.RANDOM:
            what = "random"
        parts.append(f"{s.strategy.value}({what})" if what else s.strategy.value)
    return "config: " + " x ".join(parts)


def build_config(
    *,
    method: str | None = None,
    n_samples: int | None = None,
    score: str = "uncertainty_entropy",
    config: Mapping[str, Any] | SelectionConfig | None = None,
) -> tuple[SelectionConfig, str]:
    """The config to run and the method name the tag records (``CONFIG`` for a config).

    Raises:
        SelectionError: For an unknown method, both or neither of ``method`` and ``config``,
            no total, or an invalid config.
    """
    if isinstance(config, SelectionConfig):
        config = config.to_dict()
    if config is None and method is None:
        method = "CORESET"
    resolved = resolve_config(method=method, n_samples=n_samples, score=score, config=config)
    return resolved, CONFIG_METHOD if config is not None else str(method).strip().upper()


def _check_new_tag(project: ProjectStore, name: str) -> None:
    check_name("tag", name)
    if any(t.name == name for t in project.tags()):
        raise AlpickError(f"tag {name!r} already exists (tags are immutable; pick a new name)")


def _check_total(config: SelectionConfig, n_pool: int, n_pre: int, preselected: str | None) -> int:
    total = config.total_samples(n_pool)
    if total < n_pre:
        raise AlpickError(
            f"n_samples is the total size of the new tag, preselected samples included: "
            f"{total} < the {n_pre} samples of {preselected!r} (ask for more than {n_pre})"
        )
    if total > n_pool:
        raise AlpickError(f"cannot select {total} samples: the project has {n_pool}")
    return total


@dataclass(frozen=True)
class SelectionRequest:
    """Where a selection's inputs come from, and what the new tag records.

    Attributes:
        method: The name the tag records (``RANDOM``, ``CORESET``, ``CORAL`` or ``CONFIG``).
        preselected: The tag selected so far (the parent), or ``None``.
        embeddings: The embedding set (``None``: the latest); must have one row per sample.
        prediction_set: Where scores and predicted classes come from (``None``: the latest).
        predictions: A prediction folder to import and score (as ``alpick scores`` does,
            under the folder's name) and read instead of ``prediction_set``; only when the
            config reads scores or predictions. It is read and scored after the other inputs
            are loaded, and stored in the transaction that creates the tag: a selection that
            fails stores nothing.
        predictions_format: The folder's format.
        metadata: CSV of per-image metadata (for METADATA inputs).
        min_confidence: Drop boxes below it before computing scores and predicted classes;
            ``None`` uses the stored scores of the prediction set when there are any (see
            :func:`~alpick.project.select_inputs.load_scores`).
        seed: The seed of every random draw; same inputs and seed give the same tag.
    """

    method: str = CONFIG_METHOD
    preselected: str | None = None
    embeddings: str | None = None
    prediction_set: str | None = None
    predictions: Path | None = None
    predictions_format: str = "kitti"
    metadata: Path | None = None
    min_confidence: float | None = None
    seed: int = 0


def read_config_file(path: Path) -> dict[str, Any]:
    """A selection config from a ``.yaml``/``.yml``/``.json`` file, validated.

    Raises:
        AlpickError: If the file cannot be read or the config is invalid (naming the file).
    """
    from alpick.select import load_selection_config

    try:
        text = read_text(path)
    except AlpickError as exc:
        raise AlpickError(f"cannot read config {path}: {exc}") from None
    try:
        raw = load_selection_config(text, path.suffix)
        SelectionConfig.from_dict(raw)  # validate here, so that errors name the file
        return raw
    except AlpickError as exc:
        raise AlpickError(f"{path}: {exc}") from None


def _check_inputs(needs: InputNeeds, request: SelectionRequest) -> None:
    if request.min_confidence is not None:
        check_min_confidence(request.min_confidence)
    for key in needs.scores:
        score_name(key)  # an unknown score fails here, listing the valid ones
    if needs.metadata and request.metadata is None:
        raise AlpickError(
            f"the config reads metadata {', '.join(map(repr, needs.metadata))}: "
            "give --metadata FILE.csv"
        )
    if request.predictions is not None and request.prediction_set is not None:
        raise AlpickError("give a prediction folder or a prediction set, not both")


def _score_folder(
    project: ProjectStore, needs: InputNeeds, request: SelectionRequest
) -> ScoredFolder | None:
    """``request.predictions`` read, checked and scored when the config reads it; not stored
    (the selection stores it with the new tag)."""
    if request.predictions is None or not (needs.scores or needs.predictions):
        return None
    return score_prediction_folder(
        project,
        Path(request.predictions),
        request.predictions_format,
        min_confidence=request.min_confidence or 0.0,
    )


def _load_inputs(
    project: ProjectStore, needs: InputNeeds, request: SelectionRequest
) -> tuple[SelectionInputs, dict[str, Any], ScoredFolder | None]:
    """The arrays the config reads, where each came from (recorded in the tag), and
    ``request.predictions`` read and scored (if the config reads it), not stored yet.

    Everything that needs no prediction folder (embeddings, metadata, query tags) is loaded
    before the folder is read.
    """
    origin: dict[str, Any] = {}
    emb = scores = meta = pred = None
    threshold = request.min_confidence
    if needs.embeddings:
        emb, emb_record = project.embeddings(request.embeddings)
        origin["embeddings"] = emb_record.name
    else:
        emb = _unembedded_marker(project, request.embeddings)
    if needs.metadata:
        assert request.metadata is not None
        meta = load_metadata(Path(request.metadata), project.samples(), needs.metadata)
        origin["metadata"] = str(Path(request.metadata).resolve())
    queries = {}
    for name in needs.query_tags:
        q = np.zeros(len(project.sample_ids()), dtype=bool)
        q[project.positions(project.tag(name).sample_ids)] = True
        queries[name] = q
    scored = _score_folder(project, needs, request)
    if needs.scores and scored is not None:
        scores, origin["scores"] = folder_scores(scored, needs.scores, min_confidence=threshold)
    elif needs.scores:
        scores, origin["scores"] = load_scores(
            project, needs.scores, prediction_set=request.prediction_set, min_confidence=threshold
        )
    if needs.predictions and scored is not None:
        pred, origin["predictions"] = folder_classes(scored, min_confidence=threshold)
    elif needs.predictions:
        pred, origin["predictions"] = predicted_classes(
            project, prediction_set=request.prediction_set, min_confidence=threshold
        )
    inputs = SelectionInputs(
        embeddings=emb,
        scores=scores or {},
        metadata=meta or {},
        predictions_class=pred,
        query_masks=queries,
        own_embeddings=needs.embeddings,  # loaded for this selection alone
    )
    return inputs, origin, scored


def select_for_project(
    project: ProjectStore,
    new_tag: str,
    config: SelectionConfig,
    request: SelectionRequest | None = None,
) -> SelectionReport:
    """Run ``config`` on the project and create tag ``new_tag``.

    Args:
        project: The project.
        new_tag: The new tag's name (must not exist).
        config: Strategies and total (see :func:`build_config`).
        request: Where the inputs come from, the parent tag, the seed (default: a
            ``CONFIG`` selection from the latest sets, no parent, seed 0).

    Returns:
        The report, with the tag.

    Raises:
        AlpickError: For an existing or invalid tag name, an unknown preselected tag, a total
            below the preselected count or above the pool, a missing input (no embeddings, no
            predictions, no metadata file, an unknown score) or an invalid config.
    """
    request = request or SelectionRequest()
    _check_new_tag(project, new_tag)
    sample_ids = project.sample_ids()
    preselected = request.preselected
    pre_ids = list(project.tag(preselected).sample_ids) if preselected is not None else []
    mask = np.zeros(len(sample_ids), dtype=bool)
    mask[project.positions(pre_ids)] = True
    total = _check_total(config, len(sample_ids), len(pre_ids), preselected)
    needs = config.needs()
    _check_inputs(needs, request)
    inputs, origin, scored = _load_inputs(project, needs, request)
    picks = select_samples(config, inputs, mask, rng=np.random.default_rng(request.seed))
    imported = None
    with project.transaction():  # the prediction folder is stored with the tag, or neither
        if scored is not None:
            imported = store_scored_folder(project, scored).prediction_set
        tag = project.create_tag(
            new_tag,
            [*pre_ids, *sample_ids[picks].tolist()],
            parent=preselected,
            method=request.method,
            config={**config.to_dict(), "inputs": origin},
            seed=request.seed,
        )
    description = describe(config, request.method)
    return SelectionReport(tag, len(pre_ids), len(picks), total, description, imported)


def _unembedded_marker(project: ProjectStore, name: str | None) -> NDArray[np.float32] | None:
    """For a selection that reads no embeddings (RANDOM, scores only): the embedding set, when
    one is there and some of its rows are NaN, so that the engine never picks those samples
    (images ``embed --skip-bad`` could not read: ``docs/embed.md``); else ``None``."""
    if not project.embedding_sets():
        return None
    try:
        emb, _ = project.embeddings(name)
    except AlpickError:
        return None  # images added since: no row to go by
    return emb if bool(np.isnan(emb).any()) else None
