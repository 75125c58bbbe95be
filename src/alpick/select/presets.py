"""The named methods of ``alpick select --method``: presets of the general engine.

* ``RANDOM``: a RANDOM-weights strategy, i.e. a uniformly random subset in random order.
* ``CORESET``: DIVERSITY on the (L2-normalised) embeddings alone: k-center greedy with the
  preselected samples as initial centers, exactly :func:`~alpick.select.k_center_greedy`.
* ``CORAL``: DIVERSITY x WEIGHTS of an active-learning score (``uncertainty_entropy`` by
  default): far from what is selected and uncertain.
"""

from __future__ import annotations

from typing import Any

from alpick.select.config import SelectionConfig
from alpick.select.errors import SelectionError

#: The preset method names.
METHODS: tuple[str, ...] = ("RANDOM", "CORESET", "CORAL")

_DIVERSITY: dict[str, Any] = {"input": "EMBEDDINGS", "strategy": "DIVERSITY"}


def preset_config(
    method: str, n_samples: int, *, score: str = "uncertainty_entropy"
) -> SelectionConfig:
    """The config of a preset method (case-insensitive).

    Args:
        method: ``RANDOM``, ``CORESET`` or ``CORAL``.
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
    else:
        raise SelectionError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    return SelectionConfig.from_dict({"n_samples": n_samples, "strategies": strategies})
