import itertools
from collections import Counter

import pytest

from alpick.data.orchard.conditions import CONDITION_NAMES, CONDITIONS, condition
from alpick.data.orchard.plan import MAX_FRAMES, MIN_FRAMES, plan_orchard


def test_train_conditions_are_skewed_like_their_shares() -> None:
    plan = plan_orchard(3000, 0, seed=1)
    counts = Counter(f.condition for f in plan.frames)
    for cond in CONDITIONS:
        assert abs(counts[cond.name] / 3000 - cond.train_share) < 0.01, cond.name
    assert counts["sunny_red"] > 0.5 * 3000


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_default_pool_has_every_condition_and_rare_ones_stay_rare(seed: int) -> None:
    plan = plan_orchard(300, 100, seed=seed)
    counts = Counter(f.condition for f in plan.frames if f.split == "train")
    assert set(counts) == set(CONDITION_NAMES)
    rarest = min(counts.values()) / 300
    assert 0.02 <= rarest <= 0.06


def test_test_split_covers_conditions_evenly() -> None:
    plan = plan_orchard(10, 100, seed=0)
    counts = Counter(f.condition for f in plan.frames if f.split == "test")
    assert counts == dict.fromkeys(CONDITION_NAMES, 20)
    seven = Counter(f.condition for f in plan_orchard(1, 7, seed=0).frames if f.split == "test")
    assert max(seven.values()) - min(seven.values()) <= 1


def test_train_comes_in_sequences_and_test_in_independent_scenes() -> None:
    plan = plan_orchard(300, 100, seed=0)
    train = [s for s in plan.sequences if s.split == "train"]
    assert all(MIN_FRAMES <= s.n_frames <= MAX_FRAMES for s in train)
    assert all(s.n_used == s.n_frames for s in train[:-1])
    assert sum(s.n_used for s in train) == 300
    frames = [f for f in plan.frames if f.split == "train"]
    assert [f.index for f in frames] == list(range(300))
    for prev, cur in itertools.pairwise(frames):
        if cur.sequence == prev.sequence:
            assert cur.frame == prev.frame + 1 and cur.condition == prev.condition
        else:
            assert cur.frame == 0
    test = [f for f in plan.frames if f.split == "test"]
    assert len({f.sequence for f in test}) == 100
    assert {f.sequence for f in test}.isdisjoint(f.sequence for f in frames)


def test_a_shorter_plan_is_a_prefix_of_a_longer_one() -> None:
    short, long = plan_orchard(20, 5, seed=4), plan_orchard(50, 9, seed=4)
    pick = {(f.split, f.index): f for f in long.frames}
    assert all(pick[(f.split, f.index)] == f for f in short.frames)
    last = short.sequences[len([s for s in short.sequences if s.split == "train"]) - 1]
    same = next(s for s in long.sequences if s.name == last.name)
    assert same.n_frames == last.n_frames and same.bare == last.bare


def test_bare_scenes_occur_and_never_in_closeups() -> None:
    plan = plan_orchard(3000, 500, seed=0)
    bare = [s for s in plan.sequences if s.bare]
    assert bare
    assert all(s.condition != "dense_closeup" for s in bare)


@pytest.mark.parametrize(("n_train", "n_test", "seed"), [(0, 1, 0), (1, -1, 0), (1, 1, -1)])
def test_bad_counts_are_rejected(n_train: int, n_test: int, seed: int) -> None:
    with pytest.raises(ValueError):
        plan_orchard(n_train, n_test, seed)


def test_condition_lookup() -> None:
    assert condition("shade_green").name == "shade_green"
    assert abs(sum(c.train_share for c in CONDITIONS) - 1.0) < 1e-9
    with pytest.raises(KeyError):
        condition("snow")


def test_balanced_regime_has_independent_scenes_evenly_spread() -> None:
    plan = plan_orchard(300, 100, seed=0, regime="balanced")
    train = [f for f in plan.frames if f.split == "train"]
    assert [f.index for f in train] == list(range(300))
    assert len({f.sequence for f in train}) == 300  # no near-duplicate frames
    assert Counter(f.condition for f in train) == dict.fromkeys(CONDITION_NAMES, 60)
    # the test split is the default regime's, so the two regimes are scored alike
    default = plan_orchard(300, 100, seed=0)
    assert [f for f in plan.frames if f.split == "test"] == [
        f for f in default.frames if f.split == "test"
    ]
    with pytest.raises(ValueError, match="regime"):
        plan_orchard(10, 0, seed=0, regime="skewed")
