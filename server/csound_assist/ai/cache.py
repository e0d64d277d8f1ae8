"""A prefix-matching cache of inline suggestions.

When the user types the first characters of a shown suggestion, the rest of it is still right:
an entry made at prefix P with suggestion S answers any prefix P + t where S starts with t, with
S[len(t):]. Lookups run before any debounce, so they must be cheap: candidates are filtered by
length before any string comparison.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

SUFFIX_KEY = 120  # characters after the cursor that must match too


@dataclass(frozen=True, slots=True)
class _Entry:
    prefix: str
    suffix_head: str
    completion: str


class PrefixCache:
    def __init__(self, capacity: int = 256) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._entries: OrderedDict[tuple[str, int, int], _Entry] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def _key(prefix: str, suffix_head: str) -> tuple[str, int, int]:
        return (prefix[-64:], len(prefix), hash(suffix_head))

    def put(self, prefix: str, suffix: str, completion: str) -> None:
        if not completion:
            return
        head = suffix[:SUFFIX_KEY]
        key = self._key(prefix, head)
        self._entries[key] = _Entry(prefix, head, completion)
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def get(self, prefix: str, suffix: str) -> str | None:
        head = suffix[:SUFFIX_KEY]
        exact = self._entries.get(self._key(prefix, head))
        if exact is not None and exact.prefix == prefix:
            self._entries.move_to_end(self._key(prefix, head))
            self.hits += 1
            return exact.completion
        n = len(prefix)
        for key in reversed(self._entries):
            entry = self._entries[key]
            typed = n - len(entry.prefix)
            if not 0 < typed < len(entry.completion) or entry.suffix_head != head:
                continue
            if prefix.startswith(entry.prefix) and entry.completion.startswith(
                prefix[len(entry.prefix) :]
            ):
                self._entries.move_to_end(key)
                self.hits += 1
                return entry.completion[typed:]
        self.misses += 1
        return None

    def discard(self, prefix: str, suffix: str) -> None:
        """Forget the entry made at exactly this prefix and suffix (a suggestion found wrong)."""
        self._entries.pop(self._key(prefix, suffix[:SUFFIX_KEY]), None)

    def clear(self) -> None:
        self._entries.clear()
