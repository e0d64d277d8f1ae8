"""Exact and near-duplicate removal: MinHash over word shingles, banded LSH, Jaccard verified."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence

_WORD = re.compile(r"\w+|[^\w\s]")
_MASK = (1 << 61) - 1


def normalize(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def shingles(text: str, n: int = 5) -> set[str]:
    words = _WORD.findall(text.lower())
    if len(words) <= n:
        return {" ".join(words)}
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _minhash(sh: set[str], num_perm: int) -> tuple[int, ...]:
    import numpy as np

    hashes = np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "big") >> 4
            for s in sh
        ),
        dtype=np.uint64,
        count=len(sh),
    )
    # Cheap universal hashing: (a*h + b) mod 2^61-ish with fixed odd coefficients per permutation.
    i = np.arange(num_perm, dtype=np.uint64)[:, None]
    a = (2 * i + 1) * np.uint64(0x9E3779B97F4A7C15)
    b = i * np.uint64(0x632BE59BD9B4E019)
    with np.errstate(over="ignore"):
        mixed = (a * hashes[None, :] + b) & np.uint64(_MASK)
    return tuple(int(x) for x in mixed.min(axis=1))


def near_duplicates(
    texts: Sequence[str], threshold: float = 0.85, num_perm: int = 32, bands: int = 8
) -> set[int]:
    """Indexes to drop: every text whose Jaccard with an earlier kept text reaches `threshold`."""
    rows = num_perm // bands
    sh = [shingles(t) for t in texts]
    buckets: dict[tuple[int, tuple[int, ...]], list[int]] = defaultdict(list)
    drop: set[int] = set()
    seen_exact: dict[str, int] = {}
    for i, text in enumerate(texts):
        key = normalize(text)
        if key in seen_exact:
            drop.add(i)
            continue
        seen_exact[key] = i
        sig = _minhash(sh[i], num_perm)
        cands: set[int] = set()
        band_keys = [(b, tuple(sig[b * rows : (b + 1) * rows])) for b in range(bands)]
        for bk in band_keys:
            cands.update(buckets.get(bk, ()))
        if any(jaccard(sh[i], sh[j]) >= threshold for j in cands):
            drop.add(i)
            continue
        for bk in band_keys:
            buckets[bk].append(i)
    return drop
