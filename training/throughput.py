"""`measure`: LoRA training throughput of the recipe's base model on this CPU, a few steps per
variant (fp32 vs bf16 autocast, sequence length, gradient checkpointing), so the CPU recipe is
chosen by measurement. One model load; every variant trains the same fresh LoRA on full-length
sequences cut from the manual's example CSDs (real Csound text, no padding).
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from loguru import logger

from training.config import RunConfig


@dataclass(frozen=True)
class Variant:
    seq_len: int
    bf16: bool = False
    checkpointing: bool = False

    @property
    def label(self) -> str:
        dtype = "bf16-autocast" if self.bf16 else "fp32"
        return f"{dtype} seq{self.seq_len} gc-{'on' if self.checkpointing else 'off'}"


DEFAULT_VARIANTS = (
    Variant(512),
    Variant(512, bf16=True),
    Variant(512, checkpointing=True),
    # Qwen 1.5B in fp32 at 512 without checkpointing left ~5 of the machine's 24 GB free (15 GB
    # resident): 1024 without it would not fit beside other work.
    Variant(1024, checkpointing=True),
)


def parse_variants(spec: str) -> tuple[Variant, ...]:
    """`512,512:bf16,512:gc,1024:bf16:gc` → variants; a clear error for anything else."""
    out = []
    for item in spec.split(","):
        length, *flags = item.strip().split(":")
        if not length.isdigit() or int(length) < 16 or set(flags) - {"bf16", "gc"}:
            raise ValueError(
                f"--variants: expected items like `512`, `512:bf16`, `1024:gc`, got {item!r}"
            )
        out.append(Variant(int(length), bf16="bf16" in flags, checkpointing="gc" in flags))
    return tuple(out)


def csound_token_stream(tokenizer: Any, manual_dir: str, need: int) -> list[int]:
    """At least `need` tokens of the manual's example CSDs, in file-name order."""
    ids: list[int] = []
    for path in sorted((Path(manual_dir) / "examples").glob("*.csd")):
        ids += tokenizer(path.read_text(encoding="utf-8", errors="replace"))["input_ids"]
        if len(ids) >= need:
            return ids
    raise RuntimeError(f"only {len(ids)} tokens of example CSDs under {manual_dir}; need {need}")


def measure(
    cfg: RunConfig, variants: tuple[Variant, ...] = DEFAULT_VARIANTS, steps: int = 1
) -> dict[str, Any]:
    """Seconds per optimizer step (batch 1, grad-accum 1) and tokens/s for each variant."""
    import torch
    from peft import get_peft_model

    from training.modeling import load_model, load_tokenizer
    from training.train import lora_config

    tc = cfg.train
    if tc.threads:
        torch.set_num_threads(tc.threads)
    tokenizer = load_tokenizer(cfg.model)
    longest = max(v.seq_len for v in variants)
    stream = csound_token_stream(tokenizer, cfg.data.manual_dir, longest * steps)
    base = load_model(cfg.model)
    base.config.use_cache = False
    base.enable_input_require_grads()  # checkpointed blocks need a grad-carrying input
    model = get_peft_model(base, lora_config(cfg))
    trainable = [p for p in model.parameters() if p.requires_grad]
    initial = [p.detach().clone() for p in trainable]
    # One short forward/backward in each precision first: the first call pays one-off costs
    # (allocations, oneDNN's kernel choice: ~4x a bf16 step for SmolLM2), which are not the pace.
    warm = torch.tensor([stream[:64]])
    for bf16 in (False, True):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            model(input_ids=warm, labels=warm).loss.backward()
        model.zero_grad(set_to_none=True)
    results = []
    for variant in variants:
        with torch.no_grad():  # every variant starts from the same fresh adapter
            for p, p0 in zip(trainable, initial, strict=True):
                p.copy_(p0)
        if variant.checkpointing:
            model.gradient_checkpointing_enable()
        else:
            model.gradient_checkpointing_disable()
        model.train()
        optimizer = torch.optim.AdamW(trainable, lr=tc.learning_rate)
        times, losses = [], []
        for i in range(steps):
            chunk = stream[i * variant.seq_len : (i + 1) * variant.seq_len]
            ids = torch.tensor([chunk])
            t0 = time.monotonic()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=variant.bf16):
                loss = model(input_ids=ids, labels=ids).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            times.append(time.monotonic() - t0)
            losses.append(round(float(loss), 4))
            logger.info("{} step {}: {:.1f} s, loss {:.3f}", variant.label, i + 1, times[-1], loss)
        pace = statistics.median(times)
        results.append(
            {
                **asdict(variant),
                "label": variant.label,
                "step_seconds": [round(t, 1) for t in times],
                "seconds_per_step": round(pace, 1),
                "tokens_per_s": round(variant.seq_len / pace, 1),
                "losses": losses,
            }
        )
        del optimizer
    return {
        "model": cfg.model.name,
        "gguf": cfg.model.gguf,
        "threads": torch.get_num_threads(),
        "lora_r": tc.lora_r,
        "trainable_m": round(sum(p.numel() for p in trainable) / 1e6, 2),
        "steps_per_variant": steps,
        "results": results,
    }


def write_report(report: dict[str, Any], out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return out
