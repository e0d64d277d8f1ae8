"""Prompts: the system prompt, the generated opcode cheat sheet, per-task templates, budgets."""

from csound_assist.prompts.budget import estimate_tokens, fim_budget, rag_budget
from csound_assist.prompts.cheatsheet import build_cheatsheet, default_cheatsheet
from csound_assist.prompts.system import system_prompt
from csound_assist.prompts.templates import (
    EditorContext,
    FimPrompt,
    Source,
    chat_messages,
    debug_messages,
    explain_messages,
    fim_prompt,
    format_sources,
    generate_messages,
    order_sources,
    repair_message,
)

__all__ = [
    "EditorContext",
    "FimPrompt",
    "Source",
    "build_cheatsheet",
    "chat_messages",
    "debug_messages",
    "default_cheatsheet",
    "estimate_tokens",
    "explain_messages",
    "fim_budget",
    "fim_prompt",
    "format_sources",
    "generate_messages",
    "order_sources",
    "rag_budget",
    "repair_message",
    "system_prompt",
]
