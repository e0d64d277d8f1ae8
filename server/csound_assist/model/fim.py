"""Fill-in-the-middle prompt templates for models whose runtime does not do FIM natively.

The template is chosen by which sentinel tokens the model's vocabulary knows; a model with none
gets a plain left-to-right continuation of the prefix (the suffix is then only used by the
post-filters, which drop suggestions that repeat it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FimTemplate:
    name: str
    prefix: str
    suffix: str
    middle: str
    # Tokens the model emits when the middle is done; used as stop strings.
    stops: tuple[str, ...] = ()

    def render(self, prefix: str, suffix: str) -> str:
        if not self.prefix:  # continuation: no sentinels, the suffix is not shown
            return prefix
        return f"{self.prefix}{prefix}{self.suffix}{suffix}{self.middle}"


QWEN = FimTemplate(
    "qwen",
    "<|fim_prefix|>",
    "<|fim_suffix|>",
    "<|fim_middle|>",
    ("<|endoftext|>", "<|fim_pad|>", "<|file_sep|>", "<|im_end|>"),
)
STARCODER = FimTemplate(
    "starcoder", "<fim_prefix>", "<fim_suffix>", "<fim_middle>", ("<|endoftext|>", "<file_sep>")
)
CODELLAMA = FimTemplate("codellama", "<PRE> ", " <SUF>", " <MID>", ("<EOT>",))
DEEPSEEK = FimTemplate(
    "deepseek", "<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>", ("<｜end▁of▁sentence｜>",)
)
CONTINUATION = FimTemplate("continuation", "", "", "")

TEMPLATES: dict[str, FimTemplate] = {
    t.name: t for t in (QWEN, STARCODER, CODELLAMA, DEEPSEEK, CONTINUATION)
}


def template_named(name: str) -> FimTemplate:
    try:
        return TEMPLATES[name]
    except KeyError:
        known = ", ".join(TEMPLATES)
        raise ValueError(f"unknown FIM template {name!r}; expected one of {known}") from None


def detect_template(is_single_token: Callable[[str], bool]) -> FimTemplate:
    """Pick the template whose three sentinels are each one token of the model's vocabulary."""
    for template in (QWEN, STARCODER, DEEPSEEK, CODELLAMA):
        sentinels = (template.prefix.strip(), template.suffix.strip(), template.middle.strip())
        if all(is_single_token(s) for s in sentinels):
            return template
    return CONTINUATION


def guess_template(model_name: str) -> FimTemplate:
    """For a remote model whose vocabulary we cannot inspect: guess from its name."""
    lowered = model_name.lower()
    if "qwen" in lowered:
        return QWEN
    if "starcoder" in lowered or "smollm" in lowered:
        return STARCODER
    if "deepseek" in lowered:
        return DEEPSEEK
    if "codellama" in lowered or "code-llama" in lowered:
        return CODELLAMA
    return CONTINUATION
