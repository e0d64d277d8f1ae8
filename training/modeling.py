"""The base model from a local GGUF: tokenizer, dequantized weights, a local HF folder for the GPU
path, and a check against llama.cpp. Nothing here may reach a model hub: the hub is switched off
for the whole process and every `from_pretrained` is told to use local files only.
Heavy imports stay inside the functions.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loguru import logger

from training.config import ModelConfig

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

# huggingface_hub reads this when it is first imported, so it is set before anything imports it;
# `local_files_only=True` below covers a process that imported it earlier.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

# `model.gguf: installed` = the editor's model (`csound-assist model install`).
INSTALLED = "installed"


def offline() -> None:
    """Switch the hub off (again) for this process, also where huggingface_hub is already loaded."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:
        from huggingface_hub import constants

        constants.HF_HUB_OFFLINE = True
    except ImportError:  # not installed: nothing can reach a hub through it either
        pass


def _installed_gguf() -> Path:
    try:
        from csound_assist.model.install import installed_model
    except ImportError as exc:
        raise FileNotFoundError(
            "model.gguf: `installed` needs the csound_assist package (pip install -e .)"
        ) from exc
    path = installed_model()
    if path is None:
        raise FileNotFoundError(
            "model.gguf: the editor's model is not installed; run `csound-assist model install` "
            "(or give a .gguf path)"
        )
    return path


def resolve_gguf(spec: str) -> Path:
    """`installed` → the editor's verified model file; `pkg:<python package>` → the .gguf file
    shipped inside that package; anything else → a .gguf file path."""
    if spec == INSTALLED:
        return _installed_gguf()
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
    if not path.is_file() or path.suffix != ".gguf":
        raise FileNotFoundError(
            f"model.gguf: expected a .gguf file, `installed` or `pkg:<package>`, got {spec!r}"
        )
    return path


def _local_dir(mc: ModelConfig) -> Path:
    """Without a GGUF, `model.name` must be a local HF folder: a hub id would need a download."""
    path = Path(mc.name).expanduser()
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"model.name {mc.name!r} is not a local model folder and model.gguf is not set; "
            "nothing is fetched from a model hub: set model.gguf to a .gguf file or `installed`"
        )
    return path


def _source(mc: ModelConfig) -> tuple[str, dict[str, Any]]:
    """(directory, extra from_pretrained kwargs) for the base model, local files only."""
    offline()
    if mc.gguf:
        gguf = resolve_gguf(mc.gguf)
        return str(gguf.parent), {"gguf_file": gguf.name, "local_files_only": True}
    return str(_local_dir(mc)), {"local_files_only": True}


def load_tokenizer(mc: ModelConfig) -> PreTrainedTokenizerBase:
    from transformers import AutoTokenizer

    where, kwargs = _source(mc)
    tok = AutoTokenizer.from_pretrained(where, **kwargs)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def load_model(mc: ModelConfig, dtype: Any = None) -> PreTrainedModel:
    """The base model in fp32 by default (GGUF weights are dequantized by transformers on load)."""
    import torch
    from transformers import AutoModelForCausalLM

    where, kwargs = _source(mc)
    logger.info("loading {} from {} {}", mc.name, where, kwargs.get("gguf_file", ""))
    model = AutoModelForCausalLM.from_pretrained(where, dtype=dtype or torch.float32, **kwargs)
    n = sum(p.numel() for p in model.parameters())
    logger.info("base model: {:.1f}M parameters", n / 1e6)
    return model


def _stamp_of(gguf: Path) -> dict[str, Any]:
    st = gguf.stat()
    return {"gguf": str(gguf.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def base_hf_dir(mc: ModelConfig, out_dir: str | Path, dtype: str = "bfloat16") -> Path:
    """The GGUF dequantized once into a local HF folder (safetensors + tokenizer), for loaders that
    read folders only (Unsloth's 4-bit QLoRA). Re-used while the GGUF is unchanged."""
    import torch

    out = Path(out_dir)
    if not mc.gguf:
        return _local_dir(mc)
    gguf = resolve_gguf(mc.gguf)
    stamp_path = out / "from_gguf.json"
    want = {**_stamp_of(gguf), "dtype": dtype}
    if stamp_path.is_file() and (out / "config.json").is_file():
        try:
            if json.loads(stamp_path.read_text(encoding="utf-8")) == want:
                return out
        except ValueError:
            pass
    torch_dtype = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}
    if dtype not in torch_dtype:
        raise ValueError(f"dtype: expected one of {sorted(torch_dtype)}, got {dtype!r}")
    from safetensors.torch import save_model

    out.mkdir(parents=True, exist_ok=True)
    model = load_model(mc, dtype=torch_dtype[dtype])
    # transformers marks a GGUF-loaded model as "quantized with gguf" and refuses save_pretrained,
    # though its tensors are plain dequantized ones: write them and a config without that mark.
    save_model(model, str(out / "model.safetensors"), metadata={"format": "pt"})
    model.config.save_pretrained(str(out))
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    config.pop("quantization_config", None)
    (out / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    if model.generation_config is not None:
        model.generation_config.save_pretrained(str(out))
    load_tokenizer(mc).save_pretrained(str(out))
    stamp_path.write_text(json.dumps(want, indent=2), encoding="utf-8")
    logger.info("dequantized {} → {}", gguf.name, out)
    return out


# --- the dequantized model against llama.cpp ---------------------------------------------------

CHECK_PROMPTS = (
    "<|im_start|>user\nWrite a Csound instrument that plays a sine wave with oscili.<|im_end|>\n"
    "<|im_start|>assistant\n",
    "<CsoundSynthesizer>\n<CsInstruments>\nsr = 44100\nksmps = 32\nnchnls = 2\n0dbfs = 1\n\n"
    "instr 1\n  kenv linseg 0, 0.05, 1, p3 - 0.05, 0\n  asig vco2 0.3 * kenv, p4\n",
    "def fibonacci(n):\n    if n < 2:\n        return n\n    return",
    "The Moog ladder filter is a four-pole low-pass filter that",
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
    "What does the Csound opcode reverbsc do?<|im_end|>\n<|im_start|>assistant\n",
    "i 1 0 2 440\ni 1 2 2 660\ne\n</CsScore>\n</CsoundSynthesizer>\n\nThis score plays",
)


def llama_cpp_argmax(gguf: Path, prompts: list[str], threads: int | None = None) -> list[Any]:
    """Per prompt: (llama.cpp's token ids, its argmax next token at every position)."""
    from llama_cpp import Llama

    llm = Llama(
        model_path=str(gguf),
        n_ctx=512,
        n_threads=threads or os.cpu_count() or 1,
        logits_all=True,
        verbose=False,
    )
    out = []
    for prompt in prompts:
        ids = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        llm.reset()
        llm.eval(ids)
        out.append((list(ids), [int(row.argmax()) for row in llm.scores[: len(ids)]]))
    llm.close()
    return out


def gguf_agreement(
    mc: ModelConfig, prompts: list[str] | None = None, threads: int | None = None
) -> dict[str, Any]:
    """Next-token agreement between the dequantized transformers model and llama.cpp on the same
    token ids (teacher-forced: the argmax at every position), plus whether both tokenizers split
    each prompt the same way. A wrong dequantization or tensor layout drops this far below 1."""
    import torch

    if not mc.gguf:
        raise ValueError("model.gguf is not set: nothing to compare against llama.cpp")
    prompts = list(prompts or CHECK_PROMPTS)
    gguf = resolve_gguf(mc.gguf)
    if threads:
        torch.set_num_threads(threads)
    # llama.cpp first, then transformers: one model in memory at a time.
    reference = llama_cpp_argmax(gguf, prompts, threads)
    tokenizer = load_tokenizer(mc)
    model = load_model(mc).eval()
    per_prompt, agree, total, same_split = [], 0, 0, 0
    with torch.no_grad():
        for prompt, (ids, ref) in zip(prompts, reference, strict=True):
            hf_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
            logits = model(torch.tensor([ids])).logits[0]
            mine = logits.argmax(-1).tolist()
            hits = sum(a == b for a, b in zip(mine, ref, strict=True))
            agree += hits
            total += len(ids)
            same_split += hf_ids == ids
            per_prompt.append(
                {
                    "tokens": len(ids),
                    "agree": hits,
                    "same_tokenization": hf_ids == ids,
                    "last_next_token_agrees": mine[-1] == ref[-1],
                }
            )
    return {
        "gguf": gguf.name,
        "prompts": len(prompts),
        "positions": total,
        "agreement": round(agree / max(1, total), 4),
        "last_token_agreement": sum(p["last_next_token_agrees"] for p in per_prompt) / len(prompts),
        "same_tokenization": same_split,
        "per_prompt": per_prompt,
    }
