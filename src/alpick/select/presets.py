"""The named methods of ``alpick select --method``: presets of the general engine.

* ``RANDOM``: a RANDOM-weights strategy, i.e. a uniformly random subset in random order.
* ``CORESET``: DIVERSITY on the (L2-normalised) embeddings alone: k-center greedy with the
  preselected samples as initial centers, exactly :func:`~alpick.select.k_center_greedy`.
* ``CORAL``: DIVERSITY x WEIGHTS of an active-learning score (``uncertainty_entropy`` by
  default): far from what is selected and uncertain.
* ``UNCERTAINTY``: WEIGHTS of the score alone: the most uncertain images (no diversity), the
  classic uncertainty-sampling baseline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alpick.select.config import InputNeeds, SelectionConfig
from alpick.select.errors import SelectionError

#: The preset method names.
METHODS: tuple[str, ...] = ("RANDOM", "CORESET", "CORAL", "UNCERTAINTY")

_DIVERSITY: dict[str, Any] = {"input": "EMBEDDINGS", "strategy": "DIVERSITY"}


def preset_config(
    method: str, n_samples: int, *, score: str = "uncertainty_entropy"
) -> SelectionConfig:
    """The config of a preset method (case-insensitive).

    Args:
        method: ``RANDOM``, ``CORESET``, ``CORAL`` or ``UNCERTAINTY``.
        n_samples: Total size of the new selection, preselected samples included.
        score: CORAL's score (ignored by the others).

    Raises:
        SelectionError: For an unknown method.
    """
    key = method.strip().upper()
    if key == "RANDOM":
        strategies: list[dict[str, Any]] = [{"input": "RANDOM", "strategy": "WEIGHTS"}]
    elif key == "CORESET":
        strategies = [dict(_DIVERSITY)]
    elif key == "CORAL":
        strategies = [dict(_DIVERSITY), {"input": "SCORES", "score": score, "strategy": "WEIGHTS"}]
    elif key == "UNCERTAINTY":
        strategies = [{"input": "SCORES", "score": score, "strategy": "WEIGHTS"}]
    else:
        raise SelectionError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    return SelectionConfig.from_dict({"n_samples": n_samples, "strategies": strategies})


def method_needs(method: str) -> InputNeeds:
    """What a preset method reads: embeddings (CORESET, CORAL), scores (CORAL, UNCERTAINTY).

    Raises:
        SelectionError: For an unknown method.
    """
    return preset_config(method, 1).needs()


def resolve_config(
    *,
    method: str | None = None,
    n_samples: int | None = None,
    score: str = "uncertainty_entropy",
    config: Mapping[str, Any] | None = None,
) -> SelectionConfig:
    """The config ``alpick select`` runs, from its options.

    With ``config`` (a mapping loaded from ``--config``), its strategies are used and
    ``n_samples``, when given, overrides its total; otherwise the preset ``method`` is used.

    Raises:
        SelectionError: If neither or both of ``method`` and ``config`` are given, if no total
            is known, or for an invalid config.
    """
    if config is not None:
        if method is not None:
            raise SelectionError("give --method or --config, not both")
        parsed = SelectionConfig.from_dict(config)
        if n_samples is not None:
            parsed = parsed.with_n_samples(n_samples)
        if parsed.n_samples is None and parsed.proportion_samples is None:
            raise SelectionError("give --n-samples or n_samples / proportion_samples in the config")
        return parsed
    if method is None:
        raise SelectionError(f"give --method ({', '.join(METHODS)}) or --config")
    if n_samples is None:
        raise SelectionError("give --n-samples")
    return preset_config(method, n_samples, score=score)
