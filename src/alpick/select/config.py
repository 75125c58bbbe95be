"""Selection configs: a list of strategies and how many samples to select, validated.

A config is plain data (a dict from YAML/JSON, or built by a preset); :class:`SelectionConfig`
checks every key and value and raises a clear :class:`SelectionError` naming the bad one. Each
strategy is written flat::

    {input: SCORES, score: uncertainty_entropy, strategy: WEIGHTS, strength: 1.0}

or in the platform's nested form, which is accepted too::

    {input: {type: SCORES, score: uncertainty_entropy}, strategy: {type: WEIGHTS, strength: 1}}
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any

from alpick.select.errors import SelectionError


class InputKind(StrEnum):
    """Where a strategy's per-sample values come from."""

    EMBEDDINGS = "EMBEDDINGS"
    SCORES = "SCORES"
    METADATA = "METADATA"
    PREDICTIONS = "PREDICTIONS"
    RANDOM = "RANDOM"


class StrategyKind(StrEnum):
    """What a strategy does with its input."""

    DIVERSITY = "DIVERSITY"
    WEIGHTS = "WEIGHTS"
    THRESHOLD = "THRESHOLD"
    BALANCE = "BALANCE"
    TYPICALITY = "TYPICALITY"
    SIMILARITY = "SIMILARITY"


class Operation(StrEnum):
    """How a THRESHOLD compares a value with its threshold (the value must be ...)."""

    SMALLER = "SMALLER"
    SMALLER_EQUAL = "SMALLER_EQUAL"
    BIGGER = "BIGGER"
    BIGGER_EQUAL = "BIGGER_EQUAL"


#: The inputs each strategy accepts.
ALLOWED_INPUTS: dict[StrategyKind, frozenset[InputKind]] = {
    StrategyKind.DIVERSITY: frozenset({InputKind.EMBEDDINGS}),
    StrategyKind.TYPICALITY: frozenset({InputKind.EMBEDDINGS}),
    StrategyKind.SIMILARITY: frozenset({InputKind.EMBEDDINGS}),
    StrategyKind.WEIGHTS: frozenset({InputKind.SCORES, InputKind.METADATA, InputKind.RANDOM}),
    StrategyKind.THRESHOLD: frozenset({InputKind.SCORES, InputKind.METADATA}),
    StrategyKind.BALANCE: frozenset({InputKind.METADATA, InputKind.PREDICTIONS}),
}
#: Keys each input requires.
INPUT_KEYS: dict[InputKind, tuple[str, ...]] = {
    InputKind.EMBEDDINGS: (),
    InputKind.SCORES: ("score",),
    InputKind.METADATA: ("key",),
    InputKind.PREDICTIONS: (),
    InputKind.RANDOM: (),
}
#: Keys each strategy accepts: (required, optional).
STRATEGY_KEYS: dict[StrategyKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    StrategyKind.DIVERSITY: ((), ("stopping_condition_minimum_distance",)),
    StrategyKind.WEIGHTS: ((), ()),
    StrategyKind.THRESHOLD: (("threshold", "operation"), ()),
    StrategyKind.BALANCE: (("target",), ()),
    StrategyKind.TYPICALITY: ((), ("k",)),
    StrategyKind.SIMILARITY: (("query_tag_name",), ()),
}


def _enum(kind: type[StrEnum], value: Any, where: str) -> Any:
    valid = ", ".join(m.value for m in kind)
    if not isinstance(value, str) or value.strip().upper() not in kind.__members__:
        raise SelectionError(f"{where}: {value!r} is not one of {valid}")
    return kind[value.strip().upper()]


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SelectionError(f"{where}: expected a finite number, got {value!r}")
    return float(value)


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SelectionError(f"{where}: expected a non-empty name, got {value!r}")
    return value.strip()


def _target(value: Any, where: str) -> dict[str, float]:
    if not isinstance(value, Mapping) or not value:
        raise SelectionError(f"{where}: expected a non-empty mapping of value to proportion")
    out = {str(k): _number(v, f"{where}[{k!r}]") for k, v in value.items()}
    if any(not 0.0 <= v <= 1.0 for v in out.values()):
        raise SelectionError(f"{where}: proportions must be in [0, 1]")
    if sum(out.values()) > 1.0 + 1e-9:
        raise SelectionError(f"{where}: proportions sum to {sum(out.values()):g} > 1")
    return out


def _flatten(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The flat form of a strategy written flat or nested (``input: {type: ...}``)."""
    flat: dict[str, Any] = {}
    for part in ("input", "strategy"):
        value = raw.get(part)
        if isinstance(value, Mapping):
            inner = dict(value)
            if "type" not in inner:
                raise SelectionError(f"{where}.{part}: missing 'type'")
            flat[part] = inner.pop("type")
            for k, v in inner.items():
                if k in flat or k in raw:
                    raise SelectionError(f"{where}: {k!r} is given twice")
                flat[k] = v
        elif value is not None:
            flat[part] = value
    for k, v in raw.items():
        if k not in ("input", "strategy"):
            flat[k] = v
    return flat


@dataclass(frozen=True)
class StrategyConfig:
    """One strategy: an input, what to do with it, and its strength.

    Attributes:
        input: Where the values come from.
        strategy: What to do with them.
        strength: Exponent of the objective in the product (ignored by THRESHOLD).
        score: Score name (SCORES input).
        key: Metadata column (METADATA input).
        threshold: THRESHOLD's value.
        operation: THRESHOLD's comparison.
        target: BALANCE's proportion per category value.
        stopping_condition_minimum_distance: DIVERSITY stops once every remaining candidate is
            closer than this (L2 distance of normalised embeddings) to a selected sample.
        k: TYPICALITY's number of neighbours.
        query_tag_name: SIMILARITY's query set (a tag the caller resolves to a mask).
    """

    input: InputKind
    strategy: StrategyKind
    strength: float = 1.0
    score: str | None = None
    key: str | None = None
    threshold: float | None = None
    operation: Operation | None = None
    target: dict[str, float] | None = None
    stopping_condition_minimum_distance: float | None = None
    k: int | None = None
    query_tag_name: str | None = None

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, where: str = "strategy") -> StrategyConfig:
        """Parse and validate one strategy (flat or nested form).

        Raises:
            SelectionError: Naming the bad key or value.
        """
        if not isinstance(raw, Mapping):
            raise SelectionError(f"{where}: expected a mapping, got {type(raw).__name__}")
        flat = _flatten(raw, where)
        for part in ("input", "strategy"):
            if part not in flat:
                raise SelectionError(f"{where}: missing {part!r}")
        inp: InputKind = _enum(InputKind, flat.pop("input"), f"{where}.input")
        kind: StrategyKind = _enum(StrategyKind, flat.pop("strategy"), f"{where}.strategy")
        if inp not in ALLOWED_INPUTS[kind]:
            valid = ", ".join(sorted(ALLOWED_INPUTS[kind]))
            raise SelectionError(f"{where}: {kind} takes input {valid}, not {inp}")
        required = INPUT_KEYS[inp] + STRATEGY_KEYS[kind][0]
        allowed = {"strength", *required, *STRATEGY_KEYS[kind][1]}
        if kind == StrategyKind.BALANCE and inp == InputKind.METADATA:
            allowed.add("key")
        for k in flat:
            if k not in allowed:
                valid = ", ".join(sorted(allowed))
                raise SelectionError(f"{where}: unknown key {k!r} for {inp}/{kind}; valid: {valid}")
        for k in required:
            if k not in flat:
                raise SelectionError(f"{where}: {inp}/{kind} needs {k!r}")
        values: dict[str, Any] = {"input": inp, "strategy": kind}
        for k, v in flat.items():
            at = f"{where}.{k}"
            if k in ("strength", "threshold"):
                values[k] = _number(v, at)
            elif k == "score":
                values[k] = _name(v, at).lower()
            elif k in ("key", "query_tag_name"):
                values[k] = _name(v, at)
            elif k == "operation":
                values[k] = _enum(Operation, v, at)
            elif k == "target":
                values[k] = _target(v, at)
            elif k == "stopping_condition_minimum_distance":
                values[k] = _number(v, at)
                if values[k] < 0:
                    raise SelectionError(f"{at}: must be >= 0")
            elif k == "k":
                if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                    raise SelectionError(f"{at}: expected an integer >= 1, got {v!r}")
                values[k] = v
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The flat form with only the keys that are set (enums as their names)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            out[f.name] = value.value if isinstance(value, StrEnum) else value
        if isinstance(out.get("target"), dict):
            out["target"] = dict(out["target"])
        return out


@dataclass(frozen=True)
class InputNeeds:
    """What a config reads, so a caller loads only that (see :meth:`SelectionConfig.needs`).

    Attributes:
        embeddings: Whether embeddings are needed.
        scores: Score names (lower case), in first-use order.
        metadata: Metadata columns, in first-use order.
        predictions: Whether per-sample predicted classes are needed.
        query_tags: Tags whose membership masks SIMILARITY needs.
    """

    embeddings: bool = False
    scores: tuple[str, ...] = ()
    metadata: tuple[str, ...] = ()
    predictions: bool = False
    query_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SelectionConfig:
    """How many samples to select, and with which strategies.

    Attributes:
        strategies: At least one strategy other than THRESHOLD; at most one DIVERSITY.
        n_samples: Total size of the new selection, preselected samples included.
        proportion_samples: Or the total as a proportion of the pool, in (0, 1]
            (``floor(proportion x N)``).
    """

    strategies: tuple[StrategyConfig, ...]
    n_samples: int | None = None
    proportion_samples: float | None = None

    def __post_init__(self) -> None:
        if self.n_samples is not None and self.proportion_samples is not None:
            raise SelectionError("give n_samples or proportion_samples, not both")
        if self.n_samples is not None and (
            isinstance(self.n_samples, bool) or not isinstance(self.n_samples, int)
        ):
            raise SelectionError(f"n_samples: expected an integer, got {self.n_samples!r}")
        if self.n_samples is not None and self.n_samples < 0:
            raise SelectionError(f"n_samples must be >= 0, got {self.n_samples}")
        if self.proportion_samples is not None:
            p = _number(self.proportion_samples, "proportion_samples")
            if not 0.0 < p <= 1.0:
                raise SelectionError(f"proportion_samples must be in (0, 1], got {p}")
        if not self.strategies:
            raise SelectionError("strategies: give at least one strategy")
        kinds = [s.strategy for s in self.strategies]
        if all(k == StrategyKind.THRESHOLD for k in kinds):
            raise SelectionError("strategies: THRESHOLD only filters; add a strategy that ranks")
        if kinds.count(StrategyKind.DIVERSITY) > 1:
            raise SelectionError("strategies: at most one DIVERSITY strategy")

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SelectionConfig:
        """Parse and validate a config mapping (as loaded from YAML or JSON).

        Raises:
            SelectionError: Naming the bad key or value.
        """
        if not isinstance(raw, Mapping):
            raise SelectionError(f"config: expected a mapping, got {type(raw).__name__}")
        valid = ("n_samples", "proportion_samples", "strategies")
        for k in raw:
            if k not in valid:
                raise SelectionError(f"config: unknown key {k!r}; valid: {', '.join(valid)}")
        strategies = raw.get("strategies")
        if not isinstance(strategies, Sequence) or isinstance(strategies, str):
            raise SelectionError("config: 'strategies' must be a list")
        parsed = tuple(
            StrategyConfig.from_dict(s, where=f"strategies[{i}]") for i, s in enumerate(strategies)
        )
        return cls(
            strategies=parsed,
            n_samples=raw.get("n_samples"),
            proportion_samples=raw.get("proportion_samples"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The config as plain data (what a tag records); ``from_dict`` reads it back."""
        out: dict[str, Any] = {}
        if self.n_samples is not None:
            out["n_samples"] = self.n_samples
        if self.proportion_samples is not None:
            out["proportion_samples"] = self.proportion_samples
        out["strategies"] = [s.to_dict() for s in self.strategies]
        return out

    def needs(self) -> InputNeeds:
        """The inputs this config reads."""
        strategies = self.strategies
        return InputNeeds(
            embeddings=any(s.input == InputKind.EMBEDDINGS for s in strategies),
            scores=tuple(dict.fromkeys(s.score for s in strategies if s.score is not None)),
            metadata=tuple(
                dict.fromkeys(
                    s.key for s in strategies if s.key is not None and s.input == InputKind.METADATA
                )
            ),
            predictions=any(s.input == InputKind.PREDICTIONS for s in strategies),
            query_tags=tuple(
                dict.fromkeys(s.query_tag_name for s in strategies if s.query_tag_name is not None)
            ),
        )

    def with_n_samples(self, n_samples: int) -> SelectionConfig:
        """The same strategies with ``n_samples`` as the total (the CLI's ``--n-samples``)."""
        return replace(self, n_samples=n_samples, proportion_samples=None)

    def total_samples(self, n_pool: int) -> int:
        """The total size of the selection in a pool of ``n_pool`` samples.

        Raises:
            SelectionError: If neither ``n_samples`` nor ``proportion_samples`` is set.
        """
        if self.n_samples is not None:
            return self.n_samples
        if self.proportion_samples is not None:
            return math.floor(self.proportion_samples * n_pool)
        raise SelectionError("give n_samples or proportion_samples")


def load_selection_config(text: str, suffix: str) -> dict[str, Any]:
    """Parse a config file's text: YAML for ``.yaml``/``.yml``, JSON for ``.json``.

    Returns the raw mapping; pass it to :meth:`SelectionConfig.from_dict` to validate.

    Raises:
        SelectionError: For another suffix, a syntax error, or a document that is no mapping.
    """
    kind = suffix.lower().lstrip(".")
    loader: Callable[[str], Any]
    errors: tuple[type[Exception], ...]
    if kind in ("yaml", "yml"):
        import yaml

        loader, errors = yaml.safe_load, (yaml.YAMLError,)
    elif kind == "json":
        loader, errors = json.loads, (json.JSONDecodeError,)
    else:
        raise SelectionError(f"config file must be .yaml, .yml or .json, not {suffix!r}")
    try:
        data = loader(text)
    except errors as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SelectionError(f"cannot parse {kind.upper()} config: {first}") from exc
    if not isinstance(data, Mapping):
        raise SelectionError("config file must hold a mapping (n_samples, strategies)")
    return dict(data)
