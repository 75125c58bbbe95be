from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpick.select import (
    SelectionConfig,
    SelectionError,
    SelectionInputs,
    k_center_greedy,
    l2_normalize,
    preset_config,
    select_samples,
)

RNG = np.random.default_rng(0)
EMB = RNG.standard_normal((300, 6)).astype(np.float32)


def _config(*strategies: dict, n: int) -> SelectionConfig:
    return SelectionConfig.from_dict({"n_samples": n, "strategies": list(strategies)})


DIV = {"input": "EMBEDDINGS", "strategy": "DIVERSITY"}


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 5), st.floats(0.01, 1.0), st.floats(0.1, 3))
def test_coral_with_constant_score_equals_coreset(
    seed: int, n_pre: int, value: float, strength: float
) -> None:
    emb = np.random.default_rng(seed).standard_normal((80, 4)).astype(np.float32)
    pre = np.zeros(80, bool)
    pre[:n_pre] = True
    coral = SelectionConfig.from_dict(
        {"n_samples": n_pre + 15, "strategies": [
            {**DIV, "strength": strength},
            {"input": "SCORES", "score": "uncertainty_entropy", "strategy": "WEIGHTS"},
        ]}
    )  # fmt: skip
    inputs = SelectionInputs(embeddings=emb, scores={"uncertainty_entropy": np.full(80, value)})
    got = select_samples(coral, inputs, pre, rng=np.random.default_rng(seed))
    want = k_center_greedy(l2_normalize(emb), pre, 15, rng=np.random.default_rng(seed))
    assert got.tolist() == want.tolist()


def test_balance_hits_target_proportions() -> None:
    cats = np.repeat(np.array(["a", "b", "c"]), 100)
    config = _config(
        {"input": "METADATA", "key": "kind", "strategy": "BALANCE",
         "target": {"a": 0.5, "b": 0.3, "c": 0.2}},
        n=100,
    )  # fmt: skip
    picks = select_samples(config, SelectionInputs(metadata={"kind": cats}), np.zeros(300, bool))
    assert Counter(cats[picks].tolist()) == {"a": 50, "b": 30, "c": 20}
    for t in range(1, 101):  # every prefix stays within one sample of its target
        counts = Counter(cats[picks[:t]].tolist())
        for c, p in {"a": 0.5, "b": 0.3, "c": 0.2}.items():
            assert abs(counts[c] - p * t) <= 1


def test_balance_counts_preselected_and_mixes_with_diversity() -> None:
    cls = np.tile(np.array([0, 1]), 150)
    pre = np.zeros(300, bool)
    pre[np.flatnonzero(cls == 0)[:20]] = True  # 20 of class 0 already selected
    config = _config(
        DIV,
        {"input": "PREDICTIONS", "strategy": "BALANCE", "target": {0: 0.5, 1: 0.5},
         "strength": 5.0},
        n=60,
    )  # fmt: skip
    picks = select_samples(config, SelectionInputs(embeddings=EMB, predictions_class=cls), pre)
    assert len(picks) == 40 and not pre[picks].any()
    total = Counter(cls[pre].tolist()) + Counter(cls[picks].tolist())
    assert abs(total[0] - 30) <= 3 and abs(total[1] - 30) <= 3


def test_threshold_filters_first() -> None:
    score = np.linspace(0, 1, 300)
    config = _config(
        DIV,
        {"input": "SCORES", "score": "s", "strategy": "THRESHOLD", "threshold": 0.5,
         "operation": "BIGGER"},
        n=20,
    )  # fmt: skip
    picks = select_samples(
        config, SelectionInputs(embeddings=EMB, scores={"s": score}), np.zeros(300, bool)
    )
    assert len(picks) == 20 and (score[picks] > 0.5).all()
    with pytest.raises(SelectionError, match="only 150 pass the thresholds"):
        select_samples(
            config.with_n_samples(200),
            SelectionInputs(embeddings=EMB, scores={"s": score}),
            np.zeros(300, bool),
        )


@pytest.mark.parametrize(
    ("op", "expected"), [("SMALLER", [0]), ("SMALLER_EQUAL", [0, 1]), ("BIGGER", [2]),
                         ("BIGGER_EQUAL", [1, 2])]
)  # fmt: skip
def test_threshold_operations(op: str, expected: list[int]) -> None:
    config = _config(
        {"input": "METADATA", "key": "m", "strategy": "THRESHOLD", "threshold": 1,
         "operation": op},
        {"input": "METADATA", "key": "m", "strategy": "WEIGHTS"},
        n=len(expected),
    )  # fmt: skip
    picks = select_samples(config, SelectionInputs(metadata={"m": [0, 1, 2]}), np.zeros(3, bool))
    assert sorted(picks.tolist()) == expected


def test_weights_rank_and_negative_strength() -> None:
    score = np.array([0.2, 0.9, 0.5, 0.1])
    up = _config({"input": "SCORES", "score": "s", "strategy": "WEIGHTS"}, n=3)
    down = _config({"input": "SCORES", "score": "s", "strategy": "WEIGHTS", "strength": -1}, n=3)
    inputs = SelectionInputs(scores={"s": score})
    assert select_samples(up, inputs, np.zeros(4, bool)).tolist() == [1, 2, 0]
    assert select_samples(down, inputs, np.zeros(4, bool)).tolist() == [3, 0, 2]


def test_coral_prefers_uncertain_among_far() -> None:
    # two far clusters; within the second cluster the uncertain sample wins
    emb = np.array([[1, 0], [1, 0.01], [0, 1], [0.01, 1]], np.float32)
    score = np.array([0.0, 0.0, 0.1, 0.9])
    pre = np.array([True, False, False, False])
    picks = select_samples(
        preset_config("coral", 2, score="s"),
        SelectionInputs(embeddings=emb, scores={"s": score}),
        pre,
    )
    assert picks.tolist() == [3]


def test_stopping_condition_minimum_distance() -> None:
    centers = np.eye(4, dtype=np.float32) * 10
    emb = np.repeat(centers, 25, axis=0) + RNG.normal(0, 0.01, (100, 4)).astype(np.float32)
    config = _config({**DIV, "stopping_condition_minimum_distance": 0.5}, n=50)
    picks = select_samples(config, SelectionInputs(embeddings=emb), np.zeros(100, bool))
    assert sorted(set((picks // 25).tolist())) == [0, 1, 2, 3] and len(picks) == 4
    mixed = _config(
        {**DIV, "stopping_condition_minimum_distance": 0.5},
        {"input": "RANDOM", "strategy": "WEIGHTS"},
        n=50,
    )
    assert len(select_samples(mixed, SelectionInputs(embeddings=emb), np.zeros(100, bool))) == 4


def test_typicality_prefers_dense_regions() -> None:
    dense = RNG.normal(0, 0.05, (200, 2)) + np.array([1, 0])
    sparse = RNG.normal(0, 1.0, (20, 2)) + np.array([0, 1])
    emb = np.concatenate([dense, sparse]).astype(np.float32)
    config = _config({"input": "EMBEDDINGS", "strategy": "TYPICALITY", "k": 5}, n=10)
    picks = select_samples(config, SelectionInputs(embeddings=emb), np.zeros(220, bool))
    assert (picks < 200).all()


def test_typicality_reference_subset_is_subquadratic() -> None:
    from alpick.select.typicality import typicality

    x = l2_normalize(RNG.standard_normal((5000, 4)))
    out = typicality(x, rng=np.random.default_rng(0), k=5, n_reference=64)
    assert out.shape == (5000,) and out.min() > 0 and out.max() == 1.0


def test_similarity_prefers_queries_neighbours() -> None:
    emb = np.array([[1, 0], [0.9, 0.1], [0, 1], [-1, 0], [0.1, 0.9]], np.float32)
    config = _config({"input": "EMBEDDINGS", "strategy": "SIMILARITY", "query_tag_name": "q"}, n=3)
    query = np.array([False, False, True, False, False])
    pre = query.copy()
    picks = select_samples(config, SelectionInputs(embeddings=emb, query_masks={"q": query}), pre)
    assert picks.tolist() == [4, 1]


def test_random_is_deterministic_and_seeded() -> None:
    config = preset_config("RANDOM", 30)
    pre = np.zeros(300, bool)
    a = select_samples(config, SelectionInputs(), pre, rng=np.random.default_rng(5))
    b = select_samples(config, SelectionInputs(), pre, rng=np.random.default_rng(5))
    c = select_samples(config, SelectionInputs(), pre, rng=np.random.default_rng(6))
    assert a.tolist() == b.tolist() != c.tolist()
    assert len(set(a.tolist())) == 30


def test_same_seed_same_picks_for_a_full_config() -> None:
    config = _config(
        DIV,
        {"input": "RANDOM", "strategy": "WEIGHTS", "strength": 0.5},
        {"input": "EMBEDDINGS", "strategy": "TYPICALITY"},
        n=25,
    )
    runs = [
        select_samples(config, SelectionInputs(embeddings=EMB), np.zeros(300, bool),
                       rng=np.random.default_rng(9)).tolist()
        for _ in range(2)
    ]  # fmt: skip
    assert runs[0] == runs[1] and len(set(runs[0])) == 25


def test_proportion_and_totals() -> None:
    pre = np.zeros(300, bool)
    pre[:10] = True
    config = SelectionConfig.from_dict({"proportion_samples": 0.1, "strategies": [DIV]})
    picks = select_samples(config, SelectionInputs(embeddings=EMB), pre)
    assert len(picks) == 20  # floor(0.1 * 300) = 30 in total, 10 preselected
    assert select_samples(config.with_n_samples(10), SelectionInputs(embeddings=EMB), pre).size == 0
    with pytest.raises(SelectionError, match="total including the preselected"):
        select_samples(config.with_n_samples(5), SelectionInputs(embeddings=EMB), pre)
    with pytest.raises(SelectionError, match="pool of 300"):
        select_samples(config.with_n_samples(301), SelectionInputs(embeddings=EMB), pre)


@pytest.mark.parametrize(
    ("strategy", "inputs", "match"),
    [
        (DIV, SelectionInputs(), "needs embeddings"),
        (DIV, SelectionInputs(embeddings=np.zeros((3, 2))), r"\(300, D\)"),
        ({"input": "SCORES", "score": "x", "strategy": "WEIGHTS"},
         SelectionInputs(scores={"y": np.zeros(300)}), "needs score 'x'; available: y"),
        ({"input": "SCORES", "score": "x", "strategy": "WEIGHTS"},
         SelectionInputs(scores={"x": np.zeros(3)}), "3 values for 300"),
        ({"input": "METADATA", "key": "m", "strategy": "WEIGHTS"},
         SelectionInputs(metadata={"m": np.array(["a"] * 300)}), "numeric"),
        ({"input": "METADATA", "key": "m", "strategy": "WEIGHTS"},
         SelectionInputs(metadata={"m": np.full(300, np.nan)}), "non-finite"),
        ({"input": "METADATA", "key": "m", "strategy": "BALANCE", "target": {"a": 1}},
         SelectionInputs(), "needs metadata 'm'"),
        ({"input": "PREDICTIONS", "strategy": "BALANCE", "target": {"a": 1}},
         SelectionInputs(), "predicted classes"),
        ({"input": "EMBEDDINGS", "strategy": "SIMILARITY", "query_tag_name": "q"},
         SelectionInputs(embeddings=EMB), "query tag 'q'"),
        ({"input": "EMBEDDINGS", "strategy": "SIMILARITY", "query_tag_name": "q"},
         SelectionInputs(embeddings=EMB, query_masks={"q": np.zeros(300, bool)}), "no sample"),
    ],
)  # fmt: skip
def test_missing_or_bad_inputs_are_named(
    strategy: dict, inputs: SelectionInputs, match: str
) -> None:
    with pytest.raises(SelectionError, match=match):
        select_samples(_config(strategy, n=5), inputs, np.zeros(300, bool))


MIXES = [
    [DIV],
    [DIV, {"input": "SCORES", "score": "s", "strategy": "WEIGHTS"}],
    [{"input": "RANDOM", "strategy": "WEIGHTS"}],
    [DIV, {"input": "PREDICTIONS", "strategy": "BALANCE", "target": {"0": 0.3, "1": 0.7}}],
    [
        {"input": "SCORES", "score": "s", "strategy": "WEIGHTS", "strength": -0.5},
        {"input": "EMBEDDINGS", "strategy": "TYPICALITY", "k": 3},
    ],
]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, len(MIXES) - 1), st.integers(0, 2**16), st.integers(0, 30), st.integers(0, 30)
)
def test_engine_never_repicks_or_returns_preselected(
    mix: int, seed: int, n_pre: int, n_new: int
) -> None:
    rng = np.random.default_rng(seed)
    emb = rng.integers(-2, 3, (40, 3)).astype(np.float32)  # small grid: many duplicates
    pre = np.zeros(40, bool)
    pre[rng.choice(40, n_pre, replace=False)] = True
    n_new = min(n_new, 40 - n_pre)
    inputs = SelectionInputs(
        embeddings=emb, scores={"s": rng.random(40)}, predictions_class=rng.integers(0, 2, 40)
    )
    config = _config(*MIXES[mix], n=n_pre + n_new)
    picks = select_samples(config, inputs, pre, rng=np.random.default_rng(seed))
    assert len(picks) == n_new == len(set(picks.tolist()))
    assert not pre[picks].any()
