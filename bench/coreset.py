"""Benchmark: k-center greedy (CORESET) against the memory bound and a textbook baseline.

Times, in one run:

(a) ``alpick.select.k_center_greedy`` picking ``--picks`` centers among ``--n`` x ``--dim``
    float32 embeddings (random, seeded);
(b) ``--picks`` plain matrix-vector products ``X @ v`` over the same matrix: the memory bound,
    since every pick must read the whole matrix once;
(c) a straightforward baseline that keeps the ``N x |selected|`` distance matrix, appending one
    column of sklearn-style pairwise distances per pick and taking the row minimum each step,
    as popular open-source implementations do. It is quadratic in the picks, so it runs at a
    size it survives (``--baseline-n`` x ``--baseline-picks``), next to ours at that size.

Prints (a), (b), (a)/(b) (target <= 1.3) and (c) against ours with the ratio.

    nice -n 10 python bench/coreset.py                 # the full 1,000,000 x 128, 1,000 picks
    nice -n 10 python bench/coreset.py --n 100000 --picks 200 --baseline-picks 100
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from numpy.typing import NDArray

from alpick.select import k_center_greedy


def _pairwise(x: NDArray[np.float32], y: NDArray[np.float32]) -> NDArray[np.float32]:
    """sklearn-style Euclidean distances ``(len(x), len(y))``, row norms recomputed per call."""
    xx = np.einsum("ij,ij->i", x, x)[:, None]
    yy = np.einsum("ij,ij->i", y, y)[None, :]
    d2 = xx - 2.0 * (x @ y.T) + yy
    return np.sqrt(np.maximum(d2, 0.0))


def baseline_k_center(x: NDArray[np.float32], n: int, first: int) -> list[int]:
    """k-center greedy that keeps every distance column: ``O(N x picks)`` memory per step."""
    selected = [first]
    dist = _pairwise(x, x[[first]])
    for _ in range(n - 1):
        nearest = dist.min(axis=1)
        nearest[selected] = -1.0
        nxt = int(np.argmax(nearest))
        selected.append(nxt)
        dist = np.hstack([dist, _pairwise(x, x[[nxt]])])
    return selected


def _time(fn: object) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()  # type: ignore[operator]
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--picks", type=int, default=1_000)
    parser.add_argument("--baseline-n", type=int, default=100_000)
    parser.add_argument("--baseline-picks", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal((args.n, args.dim), dtype=np.float32)
    none = np.zeros(args.n, dtype=bool)
    print(f"embeddings: {args.n:,} x {args.dim} float32 ({x.nbytes / 2**20:,.0f} MiB)")

    def matvecs() -> None:
        for i in range(args.picks):
            x @ x[i]

    t_bound, _ = _time(matvecs)
    t_ours, picks = _time(
        lambda: k_center_greedy(x, none, args.picks, rng=np.random.default_rng(1))
    )
    assert len(set(picks.tolist())) == args.picks  # type: ignore[attr-defined]
    print(f"(a) k_center_greedy, {args.picks:,} picks:      {t_ours:8.2f} s")
    print(f"(b) {args.picks:,} matrix-vector products:      {t_bound:8.2f} s   (memory bound)")
    print(f"    (a)/(b) = {t_ours / t_bound:.2f}   (target <= 1.3)")

    small = np.ascontiguousarray(x[: args.baseline_n])
    k = args.baseline_picks
    first = int(np.random.default_rng(1).integers(len(small)))
    t_base, base_picks = _time(lambda: baseline_k_center(small, k, first))
    t_small, our_picks = _time(
        lambda: k_center_greedy(small, np.zeros(len(small), bool), k, rng=np.random.default_rng(1))
    )
    same = list(our_picks) == list(base_picks)  # type: ignore[call-overload]
    matrix_mib = len(small) * k * 4 / 2**20
    print(
        f"(c) baseline with an N x |selected| matrix ({len(small):,} x {args.dim}, {k} picks, "
        f"final matrix {matrix_mib:,.0f} MiB): {t_base:8.2f} s"
    )
    print(f"    ours at the same size:                      {t_small:8.2f} s")
    print(
        f"    baseline / ours = {t_base / t_small:.1f}x   (same picks: {'yes' if same else 'no'})"
    )


if __name__ == "__main__":
    main()
