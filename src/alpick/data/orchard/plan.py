"""The plan of a synthetic orchard: which scene, condition, sequence and frame each image is.

Planning draws no pixels, so it is cheap: tests and reports can look at thousands of planned
images. Randomness is keyed, never shared: the plan of a split comes from
``SeedSequence([seed, split, 0])`` and each sequence's scene from
``SeedSequence([seed, split, 1, number])``, so an image depends only on the seed, its split and
its position — never on ``n_train`` or ``n_test`` (a shorter run is a prefix of a longer one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alpick.data.orchard.conditions import CONDITIONS, Condition, condition

SPLITS: tuple[str, str] = ("train", "test")
_SPLIT_KEY = {"train": 1, "test": 2}
MIN_FRAMES = 3
"""Shortest training sequence (frames)."""
MAX_FRAMES = 12
"""Longest training sequence (frames)."""


@dataclass(frozen=True)
class SequencePlan:
    """One scene: a stretch of tree row seen in ``n_frames`` consecutive frames.

    Attributes:
        split: ``"train"`` or ``"test"``.
        number: Position of the sequence within its split, from 0.
        condition: Name of the condition (see ``orchard_conditions``).
        n_frames: Planned length; the scene is drawn for all of them, so truncating a sequence
            at the end of a split changes none of its frames.
        n_used: Frames that are written (fewer than ``n_frames`` only for the split's last one).
        first_index: Index within the split of the sequence's first frame.
        bare: Whether the trees carry no apples at all (harvested): every frame is empty.
        seed: The user's seed.
    """

    split: str
    number: int
    condition: str
    n_frames: int
    n_used: int
    first_index: int
    bare: bool
    seed: int

    @property
    def name(self) -> str:
        """Sequence id as written to the metadata, e.g. ``train-0007``."""
        return f"{self.split}-{self.number:04d}"

    def rng(self) -> np.random.Generator:
        """A fresh generator for this scene, the same on every call and every machine."""
        key = [self.seed, _SPLIT_KEY[self.split], 1, self.number]
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(key)))


@dataclass(frozen=True)
class FramePlan:
    """One image of the dataset.

    Attributes:
        split: ``"train"`` or ``"test"``.
        index: Position within the split, from 0.
        image: File name of the image (and of its mask).
        condition: Name of the condition.
        sequence: Id of the sequence it belongs to.
        frame: Position within the sequence, from 0.
    """

    split: str
    index: int
    image: str
    condition: str
    sequence: str
    frame: int


@dataclass(frozen=True)
class OrchardPlan:
    """The whole dataset's plan: its sequences and, in file order, its frames."""

    sequences: tuple[SequencePlan, ...]
    frames: tuple[FramePlan, ...]


def image_name(split: str, index: int) -> str:
    """File name of image ``index`` of ``split``, e.g. ``train_00012.png``."""
    return f"{split}_{index:05d}.png"


def _plan_rng(seed: int, split: str) -> np.random.Generator:
    key = [seed, _SPLIT_KEY[split], 0]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(key)))


def _pick_condition(rng: np.random.Generator, counts: list[int], length: int) -> int:
    """A condition for the next training sequence, steering the image shares to their targets.

    Each condition's deficit is what it would need after this sequence to be exactly on its
    share; a condition whose deficit exceeds half the sequence is drawn with chance proportional
    to the excess (the largest deficit if none does). Rare conditions therefore get their few
    percent even in a small pool, without overshooting much, yet the order stays random.
    """
    total = sum(counts) + length
    shares = np.array([c.train_share for c in CONDITIONS])
    deficits = shares * total - np.array(counts)
    positive = np.maximum(deficits - 0.5 * length, 0.0)
    if positive.sum() <= 0.0:
        return int(np.argmax(deficits))
    cdf = np.cumsum(positive)
    return int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"))


def _bare(rng: np.random.Generator, cond: Condition) -> bool:
    return bool(rng.random() < cond.bare_share)


def _train_sequences(n: int, seed: int) -> list[SequencePlan]:
    rng = _plan_rng(seed, "train")
    counts = [0] * len(CONDITIONS)
    out: list[SequencePlan] = []
    index = 0
    while index < n:
        length = int(rng.integers(MIN_FRAMES, MAX_FRAMES + 1))
        k = _pick_condition(rng, counts, length)
        counts[k] += length
        cond = CONDITIONS[k]
        bare = _bare(rng, cond)
        used = min(length, n - index)
        out.append(SequencePlan("train", len(out), cond.name, length, used, index, bare, seed))
        index += used
    return out


def _independent_sequences(split: str, n: int, seed: int) -> list[SequencePlan]:
    """Independent single-frame scenes; each block of five covers every condition once."""
    rng = _plan_rng(seed, split)
    out: list[SequencePlan] = []
    order: list[int] = []
    for index in range(n):
        if not order:
            order = [int(i) for i in rng.permutation(len(CONDITIONS))]
        cond = CONDITIONS[order.pop(0)]
        bare = _bare(rng, cond)
        out.append(SequencePlan(split, index, cond.name, 1, 1, index, bare, seed))
    return out


#: The training pools a plan can have: ``default`` (sequences of near-duplicate frames, skewed
#: conditions: what active learning should beat RANDOM on) and ``balanced`` (independent scenes,
#: conditions evenly spread: where its advantage should shrink).
REGIMES = ("default", "balanced")


def plan_orchard(n_train: int, n_test: int, seed: int, regime: str = "default") -> OrchardPlan:
    """Plan a dataset of ``n_train`` training and ``n_test`` test images.

    Training images come in sequences of 3 to 12 consecutive frames of one scene, with
    conditions skewed as ``Condition.train_share`` says (regime ``default``), or, in regime
    ``balanced``, are independent scenes with the conditions spread evenly like the test
    images'. Test images are the same in both regimes.

    Args:
        n_train: Number of training images, at least 1.
        n_test: Number of test images, at least 0.
        seed: Any non-negative integer.
        regime: One of :data:`REGIMES`.

    Raises:
        ValueError: If a count or the seed is out of range.
    """
    if n_train < 1:
        raise ValueError(f"n_train must be at least 1, got {n_train}")
    if n_test < 0:
        raise ValueError(f"n_test must be at least 0, got {n_test}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    if regime not in REGIMES:
        raise ValueError(f"unknown orchard regime {regime!r}; choose {' or '.join(REGIMES)}")
    train = (
        _train_sequences(n_train, seed)
        if regime == "default"
        else _independent_sequences("train", n_train, seed)
    )
    sequences = train + _independent_sequences("test", n_test, seed)
    frames = [
        FramePlan(
            s.split,
            s.first_index + f,
            image_name(s.split, s.first_index + f),
            s.condition,
            s.name,
            f,
        )
        for s in sequences
        for f in range(s.n_used)
    ]
    return OrchardPlan(tuple(sequences), tuple(frames))


def condition_of(seq: SequencePlan) -> Condition:
    """The :class:`Condition` of a planned sequence."""
    return condition(seq.condition)
