"""Selection: which samples to label next. Pure array code (arrays in, indices out).

``k_center_greedy`` is the stable CORESET primitive; ``select_samples`` runs a full
:class:`SelectionConfig` (RANDOM, CORESET and CORAL are presets of it). See
``docs/selection.md``.
"""

from __future__ import annotations

from alpick.select.config import (
    InputKind,
    InputNeeds,
    Operation,
    SelectionConfig,
    StrategyConfig,
    StrategyKind,
    load_selection_config,
)
from alpick.select.distance import MinDistance, l2_normalize
from alpick.select.engine import select_samples
from alpick.select.errors import SelectionError
from alpick.select.inputs import SelectionInputs
from alpick.select.kcenter import k_center_greedy
from alpick.select.presets import METHODS, preset_config, resolve_config

__all__ = [
    "METHODS",
    "InputKind",
    "InputNeeds",
    "MinDistance",
    "Operation",
    "SelectionConfig",
    "SelectionError",
    "SelectionInputs",
    "StrategyConfig",
    "StrategyKind",
    "k_center_greedy",
    "l2_normalize",
    "load_selection_config",
    "preset_config",
    "resolve_config",
    "select_samples",
]
