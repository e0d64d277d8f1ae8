"""Spotting a degenerate answer: the same short unit repeated to the token limit.

Small models under greedy-ish sampling fall into loops (`0 1 0 1 …`, the same score line forty
times) and would run until `num_predict`, minutes on a CPU. The guard looks at the tail of the
text produced so far: when its last `min_span` characters or more are one unit of at most
`max_period` characters repeated at least `min_repeats` times, the answer is stuck.

The thresholds leave room for legitimate repetition in Csound: a table of 64 zeros written out
(`0 0 0 …`, 128 characters) or five identical score lines pass.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_SPAN = 240
MIN_REPEATS = 6
MAX_PERIOD = 200


@dataclass(frozen=True, slots=True)
class Repetition:
    period: int  # length of the repeated unit, in characters
    span: int  # characters at the end of the text that repeat it

    @property
    def repeats(self) -> float:
        return self.span / self.period


def repeating_tail(
    text: str,
    *,
    min_span: int = MIN_SPAN,
    min_repeats: int = MIN_REPEATS,
    max_period: int = MAX_PERIOD,
) -> Repetition | None:
    """The shortest unit whose repetition makes up the end of `text`, if that end is stuck.

    `text[i] == text[i - p]` over the tail is periodicity with period `p`; the span is how far
    back it holds. Periods are tried shortest first, so `0 1 0 1` is period 4, not 8.
    """
    if len(text) < min_span:
        return None
    window = text[-(min_span + max_period * min_repeats) :]
    n = len(window)
    for period in range(1, min(max_period, n // min_repeats) + 1):
        need = max(min_span, period * min_repeats)
        if need > n:
            break
        tail = window[n - need :]
        # Periodic with `period` iff the tail equals itself shifted by `period`.
        if tail[period:] != tail[:-period]:
            continue
        span = need
        while span < n and window[n - span - 1] == window[n - span - 1 + period]:
            span += 1
        return Repetition(period=period, span=span)
    return None


class RepetitionGuard:
    """Feed it chunks as they stream; `stuck` turns true once the tail repeats.

    Checks at most every `every` new characters, on a bounded tail, so a long answer costs
    O(length) overall.
    """

    def __init__(self, *, every: int = 32, keep: int = 4096, **thresholds: int) -> None:
        self._every = every
        self._keep = keep
        self._thresholds = thresholds
        self._text = ""
        self._unchecked = 0
        self.found: Repetition | None = None

    def feed(self, chunk: str) -> bool:
        if self.found is not None:
            return True
        self._text = (self._text + chunk)[-self._keep :]
        self._unchecked += len(chunk)
        if self._unchecked >= self._every:
            self._unchecked = 0
            self.found = repeating_tail(self._text, **self._thresholds)
        return self.found is not None

    @property
    def stuck(self) -> bool:
        return self.found is not None
