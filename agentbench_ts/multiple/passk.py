"""pass@k with the unbiased estimator of Chen et al. (2021), as MultiPL-E's pass_k.py computes it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples drawn from n (c of them correct) is correct."""
    if not 0 <= c <= n or k < 1:
        raise ValueError(f"need 0 <= c <= n and k >= 1, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    estimate = 1.0
    for i in range(n - c + 1, n + 1):
        estimate *= 1.0 - k / i
    return 1.0 - estimate


def mean_pass_at_k(statuses: Mapping[str, Sequence[str]], k: int) -> float | None:
    """Mean pass@k over the problems with at least k results; None when there are none."""
    scores = [pass_at_k(len(s), sum(x == "OK" for x in s), k) for s in statuses.values() if len(s) >= k]
    return sum(scores) / len(scores) if scores else None


@dataclass(frozen=True)
class PassAtK:
    k: int
    estimate: float
    problems: int
    """Problems with at least k completions."""


def pass_at_k_table(statuses: Mapping[str, Sequence[str]], ks: Sequence[int]) -> list[PassAtK]:
    """pass@k for each k that at least one problem has enough completions for."""
    rows = []
    for k in ks:
        estimate = mean_pass_at_k(statuses, k)
        if estimate is not None:
            rows.append(PassAtK(k, estimate, sum(len(s) >= k for s in statuses.values())))
    return rows
