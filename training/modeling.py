"""Loading the base model and tokenizer (CPU path). Heavy imports stay inside the functions."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loguru import logger

from training.config import ModelConfig

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


def resolve_gguf(spec: str) -> Path:
    """`pkg:<python package>` → the .gguf file shipped inside that package; else a file path."""
    if spec.startswith("pkg:"):
        name = spec[4:]
        found = importlib.util.find_spec(name)
        if found is None or not found.submodule_search_locations:
            raise FileNotFoundError(
                f"model.gguf: package {name!r} is not installed "
                f"(pip install {name.replace('_', '-')})"
            )
        for location in found.submodule_search_locations:
            hits = sorted(Path(location).rglob("*.gguf"))
            if hits:
                return hits[0]
        raise FileNotFoundError(f"model.gguf: no .gguf file inside package {name!r}")
    path = Path(spec).expanduser()
    if not path.is_file():
        raise FileNotFoundError(
            f"model.gguf: expected a .gguf file or `pkg:<package>`, got {spec!r}"
        )
    return path


def load_tokenizer(mc: ModelConfig) -> PreTrainedTokenizerBase:
    from transformers import AutoTokenizer

    if mc.gguf:
        gguf = resolve_gguf(mc.gguf)
        tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    else:
        tok = AutoTokenizer.from_pretrained(mc.name)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def load_model(mc: ModelConfig, dtype: Any = None) -> PreTrainedModel:
    """The base model in fp32 (GGUF weights are dequantized by transformers on load)."""
    import torch
    from transformers import AutoModelForCausalLM

    dtype = dtype or torch.float32
    if mc.gguf:
        gguf = resolve_gguf(mc.gguf)
        logger.info("loading {} from {}", mc.name, gguf)
        model = AutoModelForCausalLM.from_pretrained(
            str(gguf.parent), gguf_file=gguf.name, dtype=dtype
        )
    else:
        model = AutoModelForCausalLM.from_pretrained(mc.name, dtype=dtype)
    n = sum(p.numel() for p in model.parameters())
    logger.info("base model: {:.1f}M parameters", n / 1e6)
    return model
