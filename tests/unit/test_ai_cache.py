"""Prefix-matching suggestion cache."""

import pytest

from csound_assist.ai.cache import PrefixCache


def test_exact_and_typed_ahead_hits():
    cache = PrefixCache(256)
    cache.put("asig ", "\nendin", "oscili 0.5, 440")
    assert cache.get("asig ", "\nendin") == "oscili 0.5, 440"
    assert cache.get("asig osc", "\nendin") == "ili 0.5, 440"
    assert cache.get("asig oscx", "\nendin") is None  # typed text diverges
    assert cache.get("asig ", "\nsomething else") is None  # different suffix


def test_fully_typed_suggestion_is_not_a_hit():
    cache = PrefixCache()
    cache.put("a", "", "bc")
    assert cache.get("abc", "") is None


def test_capacity_at_least_250_and_lru_eviction():
    cache = PrefixCache(256)
    for i in range(300):
        cache.put(f"line {i} ", "", f"value {i}")
    assert len(cache) == 256
    assert cache.get("line 0 ", "") is None
    assert cache.get("line 299 ", "") == "value 299"
    assert cache.get("line 50 ", "") == "value 50"


def test_bad_capacity():
    with pytest.raises(ValueError):
        PrefixCache(0)
