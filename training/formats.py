"""Prompt formats shared by data building, training, export (Modelfile) and evaluation."""

from __future__ import annotations

from typing import Any

IM_START, IM_END = "<|im_start|>", "<|im_end|>"


def chatml_prompt(messages: list[dict[str, str]]) -> str:
    """ChatML text for every message but a final assistant turn, ending at the assistant header."""
    turns = messages[:-1] if messages and messages[-1]["role"] == "assistant" else messages
    text = "".join(f"{IM_START}{m['role']}\n{m['content']}{IM_END}\n" for m in turns)
    return text + f"{IM_START}assistant\n"


def chatml_answer(messages: list[dict[str, str]]) -> str:
    """The assistant turn's text plus the end-of-turn token (what the model learns to produce)."""
    return messages[-1]["content"] + IM_END


def fim_prompt(prefix: str, suffix: str, tokens: dict[str, str]) -> str:
    """Prefix-suffix-middle order, as Qwen2.5-Coder and StarCoder-family models were trained."""
    return f"{tokens['prefix']}{prefix}{tokens['suffix']}{suffix}{tokens['middle']}"


def training_pair(row: dict[str, Any], fim_tokens: dict[str, str], eos: str) -> tuple[str, str]:
    """(prompt, completion) for one dataset row; loss is taken on the completion only."""
    if row.get("fim_middle"):
        return fim_prompt(row["fim_prefix"], row["fim_suffix"], fim_tokens), row["fim_middle"] + eos
    return chatml_prompt(row["messages"]), chatml_answer(row["messages"])


def to_sharegpt(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    names = {"system": "system", "user": "human", "assistant": "gpt"}
    return [{"from": names[m["role"]], "value": m["content"]} for m in messages]


def extract_code(text: str) -> str:
    """The first fenced code block of an answer, or the whole answer when there is none."""
    start = text.find("```")
    if start < 0:
        return text.strip()
    body = text[start + 3 :]
    newline = body.find("\n")
    body = body[newline + 1 :] if newline >= 0 else body
    end = body.find("```")
    return (body if end < 0 else body[:end]).strip()
