"""Reciprocal rank fusion (Cormack et al., 2009): score(d) = Σ_i w_i / (k + rank_i(d))."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

T = TypeVar("T", bound=Hashable)


def reciprocal_rank_fusion(
    rankings: Mapping[str, Sequence[T]],
    *,
    k: int = 60,
    weights: Mapping[str, float] | None = None,
) -> list[tuple[T, float]]:
    """Fuse ranked lists (best first) into one list of `(item, score)`, best first.

    `rankings` maps a source name ("dense", "keyword") to its ranked items; a missing weight is 1.
    Ties keep the order in which items were first seen, so results are deterministic.
    """
    if k < 1:
        raise ValueError(f"RRF k must be at least 1, got {k}")
    scores: dict[T, float] = {}
    for source, ranked in rankings.items():
        weight = 1.0 if weights is None else weights.get(source, 1.0)
        if weight <= 0:
            continue
        for rank, item in enumerate(ranked, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    order = {item: i for i, item in enumerate(scores)}
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))
