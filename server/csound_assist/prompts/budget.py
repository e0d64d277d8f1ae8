"""Token budgets. Counting is an estimate (no tokenizer round-trip on the hot path): code in
BPE vocabularies averages about 3 characters per token (fewer for small vocabularies), so we
err on the short side."""

from __future__ import annotations

CHARS_PER_TOKEN = 2.8
FIM_SHARE = 0.40  # the FIM prompt may use at most 40 % of num_ctx
RAG_MIN_TOKENS = 3000
RAG_MAX_TOKENS = 6000


def estimate_tokens(text: str) -> int:
    return int(len(text) / CHARS_PER_TOKEN) + 1


def chars_for(tokens: int) -> int:
    return max(0, int(tokens * CHARS_PER_TOKEN))


def fim_budget(num_ctx: int) -> int:
    """Tokens the whole FIM prompt (context + prefix + suffix) may take."""
    return int(num_ctx * FIM_SHARE)


def rag_budget(num_ctx: int, reserved: int) -> int:
    """Tokens of retrieved context for chat: 3,000–6,000, never crowding out the rest of the prompt
    (`reserved` = system prompt + question + answer room)."""
    room = max(0, num_ctx - reserved)
    return min(RAG_MAX_TOKENS, room)


def clip_head(text: str, max_chars: int) -> str:
    """Keep the end of `text` (the part nearest the cursor), cut at a line start."""
    if len(text) <= max_chars:
        return text
    clipped = text[len(text) - max_chars :]
    newline = clipped.find("\n")
    return clipped[newline + 1 :] if 0 <= newline < len(clipped) // 4 else clipped


def clip_tail(text: str, max_chars: int) -> str:
    """Keep the start of `text`, cut at a line end."""
    if len(text) <= max_chars:
        return text
    clipped = text[:max_chars]
    newline = clipped.rfind("\n")
    return clipped[: newline + 1] if newline > len(clipped) * 3 // 4 else clipped
