"""`train`: LoRA fine-tuning on the built dataset.

- CUDA present: Unsloth `FastLanguageModel` in 4-bit (QLoRA) + TRL `SFTTrainer`.
- No CUDA: the same recipe through transformers + peft LoRA in fp32, with a small explicit loop
  (loss on the answer only, length-bucketed batches, cosine schedule fitted to the time budget,
  progress bar with loss, tokens/s and ETA, resumable checkpoints: adapter, optimizer, position).

Both start from model.gguf (dequantized by transformers); the CUDA path through a local HF folder.

Unsloth, bitsandbytes and TRL are imported only on the CUDA path; torch only inside the verbs.
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
import time
from pathlib import Path
from typing import Any

from loguru import logger

from training.config import RunConfig
from training.formats import training_pair


def load_rows(data_dir: str | Path, split: str) -> list[dict[str, Any]]:
    path = Path(data_dir) / f"{split}.jsonl"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: run `python -m training build-data --config <recipe>` first"
        )
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def pick_device(requested: str) -> str:
    import torch

    if requested == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("train.device is `cuda` but no CUDA device is available")
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


def train(cfg: RunConfig) -> dict[str, Any]:
    rows = load_rows(cfg.data.output_dir, "train")
    if cfg.train.categories:
        rows = [r for r in rows if r["category"] in cfg.train.categories]
        if not rows:
            raise RuntimeError(f"no training pair in train.categories {cfg.train.categories}")
    device = pick_device(cfg.train.device)
    logger.info("training {} on {} ({} pairs)", cfg.model.name, device, len(rows))
    if device == "cuda":
        return train_unsloth(cfg, rows)
    return train_cpu(cfg, rows)


# --- tokenization ------------------------------------------------------------------------------


def encode_rows(
    rows: list[dict[str, Any]], tokenizer: Any, fim_tokens: dict[str, str], max_len: int
) -> tuple[list[tuple[list[int], list[int]]], int]:
    """(input_ids, labels) per row; prompt tokens are masked with -100. Returns (examples, skipped).

    FIM rows that are too long lose prefix lines from the top (the nearest context is kept);
    other rows that do not fit are skipped rather than cut mid-answer.
    """
    eos = tokenizer.eos_token or ""
    out, skipped = [], 0
    for row in rows:
        row = dict(row)
        while True:
            prompt, answer = training_pair(row, fim_tokens, eos)
            p = tokenizer(prompt, add_special_tokens=False)["input_ids"]
            a = tokenizer(answer, add_special_tokens=False)["input_ids"]
            if len(p) + len(a) <= max_len:
                out.append((p + a, [-100] * len(p) + a))
                break
            lines = row.get("fim_prefix", "").splitlines(keepends=True)
            if row.get("fim_middle") and len(lines) > 4:
                row["fim_prefix"] = "".join(lines[len(lines) // 3 :])
                continue
            skipped += 1
            break
    return out, skipped


def bucketed_batches(
    examples: list[tuple[list[int], list[int]]], batch_size: int, rng: random.Random
) -> list[list[tuple[list[int], list[int]]]]:
    """Shuffle, sort within windows of 50 batches by length (less padding), shuffle the batches."""
    idx = list(range(len(examples)))
    rng.shuffle(idx)
    window = batch_size * 50
    batches = []
    for start in range(0, len(idx), window):
        chunk = sorted(idx[start : start + window], key=lambda i: len(examples[i][0]))
        for b in range(0, len(chunk), batch_size):
            batches.append([examples[i] for i in chunk[b : b + batch_size]])
    rng.shuffle(batches)
    return batches


def collate(batch: list[tuple[list[int], list[int]]], pad_id: int) -> dict[str, Any]:
    import torch

    width = max(len(ids) for ids, _ in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), -100, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, (x, y) in enumerate(batch):
        ids[i, : len(x)] = torch.tensor(x)
        labels[i, : len(y)] = torch.tensor(y)
        mask[i, : len(x)] = 1
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}


def lr_at(step: int, total: int, warmup: int, peak: float) -> float:
    """Linear warmup, then cosine decay to 10 % of the peak at `total`."""
    if step < warmup:
        return peak * (step + 1) / max(1, warmup)
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


# --- CPU: transformers + peft ------------------------------------------------------------------


def lora_config(cfg: RunConfig) -> Any:
    from peft import LoraConfig

    tc = cfg.train
    return LoraConfig(
        r=tc.lora_r,
        lora_alpha=tc.lora_alpha,
        lora_dropout=tc.lora_dropout,
        target_modules=list(tc.target_modules),
        bias="none",
        task_type="CAUSAL_LM",
    )


CHECKPOINT = "checkpoint"


def save_checkpoint(out_dir: Path, model: Any, optimizer: Any, state: dict[str, Any]) -> None:
    """Adapter + optimizer + loop position, written to a temporary folder and swapped in, so a kill
    mid-write leaves the previous checkpoint whole."""
    import shutil

    import torch

    final = out_dir / CHECKPOINT
    tmp = out_dir / (CHECKPOINT + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(str(tmp))
    torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
    (tmp / "state.json").write_text(json.dumps(state, indent=2), encoding="utf-8")
    old = out_dir / (CHECKPOINT + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def load_checkpoint(out_dir: Path, model: Any, optimizer: Any) -> dict[str, Any] | None:
    """Restore adapter weights and optimizer state; the loop position comes back as a dict."""
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    ckpt = out_dir / CHECKPOINT
    if not (ckpt / "state.json").is_file():
        return None
    state = json.loads((ckpt / "state.json").read_text(encoding="utf-8"))
    set_peft_model_state_dict(model, load_file(str(ckpt / "adapter_model.safetensors")))
    optimizer.load_state_dict(torch.load(ckpt / "optimizer.pt", weights_only=True))
    return state


class _Run:
    """What a CPU run carries between phases and across a resume."""

    def __init__(self, cfg: RunConfig, out_dir: Path, model: Any, optimizer: Any) -> None:
        self.cfg, self.out_dir, self.model, self.optimizer = cfg, out_dir, model, optimizer
        self.state: dict[str, Any] = {"phases": {}, "elapsed_s": 0.0}
        self.t0 = time.monotonic()

    def elapsed(self) -> float:
        return self.state["elapsed_s"] + time.monotonic() - self.t0

    def deadline(self) -> float | None:
        budget = self.cfg.train.time_budget_minutes
        return self.t0 + budget * 60 - self.state["elapsed_s"] if budget else None

    def save(self) -> None:
        state = {**self.state, "elapsed_s": round(self.elapsed(), 1)}
        save_checkpoint(self.out_dir, self.model, self.optimizer, state)


def _phase(
    name: str,
    run: _Run,
    batches: list[list[tuple[list[int], list[int]]]],
    pad_id: int,
    total_steps: int,
    metrics: Any,
) -> tuple[int, int, float]:
    """One optimization phase. Returns (optimizer steps, tokens seen, last mean loss).

    Resumes at the recorded optimizer step: the micro-batches before it are skipped (the batch order
    is fixed by the seed), the schedule continues where it was."""
    import torch
    from tqdm.auto import tqdm

    cfg, model, optimizer = run.cfg, run.model, run.optimizer
    tc = cfg.train
    done = run.state["phases"].get(name, {})
    if done.get("finished"):
        return done["step"], done["tokens"], done["loss"]
    step, tokens = done.get("step", 0), done.get("tokens", 0)
    planned = done.get("planned", total_steps)
    last_loss = done.get("loss", float("nan"))
    skip = step * tc.grad_accum
    micro = new_micro = 0
    window_loss: list[float] = []
    started = time.monotonic()
    deadline = run.deadline()
    bar = tqdm(
        total=planned, initial=step, desc=name, unit="step", dynamic_ncols=True, mininterval=2
    )
    model.train()
    optimizer.zero_grad(set_to_none=True)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=tc.autocast_bf16)
    finished = step >= planned
    for batch in batches * math.ceil(max(1, planned * tc.grad_accum) / max(1, len(batches))):
        if finished:
            break
        micro += 1
        if micro <= skip:
            continue
        enc = collate(batch, pad_id)
        with autocast:
            loss = model(**enc).loss / tc.grad_accum
        loss.backward()
        window_loss.append(float(loss) * tc.grad_accum)
        tokens += int(enc["attention_mask"].sum())
        new_micro += 1
        if micro % tc.grad_accum:
            continue
        if deadline is not None:
            # Fit the schedule to the time budget from the pace so far, before every update, so
            # warmup and decay span the steps that will really run (on a busy CPU, a handful).
            per_step = (time.monotonic() - started) / new_micro * tc.grad_accum
            fit = step + 1 + int(max(0.0, deadline - time.monotonic()) / per_step)
            fitted = max(step + 1, min(total_steps, fit))
            if fitted != planned:
                if step == 0 or abs(fitted - planned) > max(2, planned // 10):
                    logger.info(
                        "{}: time budget allows ~{} steps ({:.0f} s/step)", name, fitted, per_step
                    )
                planned = fitted
                bar.total = planned
        warmup = max(1, int(tc.warmup_ratio * planned))
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, planned, warmup, tc.learning_rate)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        elapsed = time.monotonic() - started
        last_loss = sum(window_loss) / len(window_loss)
        window_loss.clear()
        bar.set_postfix(loss=f"{last_loss:.3f}", tok_s=f"{tokens / elapsed:.0f}", refresh=False)
        bar.update(1)
        metrics.write(
            json.dumps(
                {
                    "phase": name,
                    "step": step,
                    "loss": round(last_loss, 4),
                    "lr": optimizer.param_groups[0]["lr"],
                    "tokens": tokens,
                    "elapsed_s": round(run.elapsed(), 1),
                }
            )
            + "\n"
        )
        metrics.flush()
        finished = step >= planned or (deadline is not None and time.monotonic() >= deadline)
        run.state["phases"][name] = {
            "step": step,
            "tokens": tokens,
            "loss": last_loss,
            "planned": planned,
            "finished": finished,
        }
        if step % tc.save_every_steps == 0 or finished:
            run.save()
    bar.close()
    return step, tokens, last_loss


def train_cpu(cfg: RunConfig, rows: list[dict[str, Any]]) -> dict[str, Any]:
    import torch
    from peft import get_peft_model

    from training.modeling import load_model, load_tokenizer

    tc = cfg.train
    if tc.threads:
        torch.set_num_threads(tc.threads)
    torch.manual_seed(tc.seed)
    out_dir = Path(tc.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    tokenizer = load_tokenizer(cfg.model)
    missing = [
        t
        for t in cfg.model.fim_tokens.values()
        if tokenizer.convert_tokens_to_ids(t) in (None, tokenizer.unk_token_id)
    ]
    if missing:
        logger.warning("FIM tokens {} are not single tokens in this tokenizer", missing)
    examples, skipped = encode_rows(rows, tokenizer, cfg.model.fim_tokens, tc.max_seq_length)
    logger.info(
        "{} examples fit max_seq_length={} ({} skipped)", len(examples), tc.max_seq_length, skipped
    )
    if not examples:
        raise RuntimeError(
            "no training example fits train.max_seq_length; raise it or rebuild the data"
        )

    model = load_model(cfg.model)
    model.config.use_cache = False
    if tc.gradient_checkpointing:
        model.gradient_checkpointing_enable()
        model.enable_input_require_grads()  # checkpointed blocks need a grad-carrying input
    model = get_peft_model(model, lora_config(cfg))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    logger.info(
        "LoRA r={} alpha={}: {:.2f}M trainable parameters",
        tc.lora_r,
        tc.lora_alpha,
        trainable / 1e6,
    )
    if tc.optim != "adamw_torch":
        logger.info("optim {} needs bitsandbytes/CUDA; using torch AdamW on CPU", tc.optim)
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad],
        lr=tc.learning_rate,
        weight_decay=tc.weight_decay,
    )
    run = _Run(cfg, out_dir, model, optimizer)
    resumed = load_checkpoint(out_dir, model, optimizer) if tc.resume else None
    if resumed:
        run.state = resumed
        logger.info(
            "resuming from {} ({:.1f} min spent): {}",
            out_dir / CHECKPOINT,
            resumed["elapsed_s"] / 60,
            {k: v["step"] for k, v in resumed["phases"].items()},
        )
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    summary: dict[str, Any] = {"examples": len(examples), "skipped_too_long": skipped}

    # Appending on resume keeps one loss curve for the whole run.
    with (out_dir / "metrics.jsonl").open("a" if resumed else "w", encoding="utf-8") as metrics:
        if tc.pretrain_steps:
            raw = _pretrain_examples(cfg, tokenizer)
            batches = bucketed_batches(raw, tc.batch_size, random.Random(tc.seed))
            steps, toks, loss = _phase("pretrain", run, batches, pad_id, tc.pretrain_steps, metrics)
            summary["pretrain"] = {"steps": steps, "tokens": toks, "loss": loss}
        # Its own seeded order, so a resume rebuilds the same batches whatever ran before.
        batches = bucketed_batches(examples, tc.batch_size, random.Random(tc.seed + 1))
        epoch_steps = math.ceil(len(batches) * tc.epochs / tc.grad_accum)
        total = tc.max_steps or epoch_steps  # max_steps wins over epochs
        t_sft = time.monotonic()
        before = run.state["phases"].get("sft", {}).get("tokens", 0)
        steps, toks, loss = _phase("sft", run, batches, pad_id, total, metrics)
        sft_s = time.monotonic() - t_sft

    adapter_dir = out_dir / "adapter"
    model.save_pretrained(str(adapter_dir))
    tokenizer.save_pretrained(str(adapter_dir))
    minutes = run.elapsed() / 60
    summary.update(
        {
            "device": "cpu",
            "threads": torch.get_num_threads(),
            "base_model": cfg.model.name,
            "gguf": cfg.model.gguf,
            "steps": steps,
            "planned_steps": total,
            "examples_seen": steps * tc.batch_size * tc.grad_accum,
            "epochs_done": round(steps * tc.grad_accum / max(1, len(batches)), 3),
            "tokens": toks,
            # This session's pace (a resumed run's earlier sessions are in metrics.jsonl).
            "tokens_per_s": round((toks - before) / max(1e-9, sft_s), 1),
            "final_loss": round(loss, 4),
            "minutes": round(minutes, 2),
            "resumed": bool(resumed),
            "autocast_bf16": tc.autocast_bf16,
            "gradient_checkpointing": tc.gradient_checkpointing,
            "recipe": cfg.source,
        }
    )
    (out_dir / "train_summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    logger.info("done: {} steps in {:.1f} min, loss {:.3f}", steps, minutes, loss)
    return {"adapter_dir": str(adapter_dir), "steps": steps, "minutes": minutes, **summary}


def _pretrain_examples(cfg: RunConfig, tokenizer: Any) -> list[tuple[list[int], list[int]]]:
    """Raw Csound files cut into max_seq_length windows; loss on every token."""
    path = Path(cfg.data.output_dir) / "pretrain.jsonl"
    rows = (
        [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
        if path.exists()
        else []
    )
    out = []
    n = cfg.train.max_seq_length
    for row in rows:
        ids = tokenizer(row["text"] + (tokenizer.eos_token or ""), add_special_tokens=False)[
            "input_ids"
        ]
        for i in range(0, len(ids), n):
            chunk = ids[i : i + n]
            if len(chunk) > 16:
                out.append((chunk, list(chunk)))
    if not out:
        raise RuntimeError(f"train.pretrain_steps > 0 but {path} has no text; run build-data")
    return out


# --- CUDA: Unsloth QLoRA + TRL ------------------------------------------------------------------


def sft_dataset(rows: list[dict[str, Any]], fim_tokens: dict[str, str], eos: str) -> Any:
    """Prompt–completion rows: TRL masks the prompt, so loss is on the answer only."""
    from datasets import Dataset

    pairs = [training_pair(r, fim_tokens, eos) for r in rows]
    return Dataset.from_list([{"prompt": p, "completion": c} for p, c in pairs])


def sft_trainer(
    cfg: RunConfig,
    model: Any,
    tokenizer: Any,
    rows: list[dict[str, Any]],
    *,
    bf16: bool,
    optim: str | None = None,
) -> Any:
    """TRL's SFTTrainer for the recipe. Unsloth hands it a 4-bit PEFT model on CUDA; the tests hand
    it a plain PEFT model on CPU (with `optim="adamw_torch"`: 8-bit AdamW needs bitsandbytes)."""
    from trl import SFTConfig, SFTTrainer

    tc = cfg.train
    # transformers 5 folded warmup_ratio into warmup_steps (a float below 1 is a ratio); the
    # transformers 4.x that Unsloth may pin still has warmup_ratio.
    names = {f.name for f in dataclasses.fields(SFTConfig)}
    warmup = (
        {"warmup_ratio": tc.warmup_ratio}
        if "warmup_ratio" in names
        else {"warmup_steps": tc.warmup_ratio}
    )
    args = SFTConfig(
        output_dir=str(Path(tc.output_dir)),
        per_device_train_batch_size=tc.batch_size,
        gradient_accumulation_steps=tc.grad_accum,
        num_train_epochs=tc.epochs,
        max_steps=tc.max_steps or -1,
        learning_rate=tc.learning_rate,
        lr_scheduler_type="cosine",
        optim=optim or tc.optim,
        weight_decay=tc.weight_decay,
        bf16=bf16,
        fp16=False,
        logging_steps=1,
        save_steps=tc.save_every_steps,
        seed=tc.seed,
        max_length=tc.max_seq_length,
        report_to="none",
        **warmup,
    )
    dataset = sft_dataset(rows, cfg.model.fim_tokens, tokenizer.eos_token or "")
    return SFTTrainer(model=model, processing_class=tokenizer, train_dataset=dataset, args=args)


def run_sft(
    cfg: RunConfig, trainer: Any, model: Any, tokenizer: Any, device: str
) -> dict[str, Any]:
    """Train, save the adapter and the summary (shared by the CUDA path and its CPU test)."""
    out_dir = Path(cfg.train.output_dir)
    t0 = time.monotonic()
    resume = cfg.train.resume and any(out_dir.glob("checkpoint-*"))
    result = trainer.train(resume_from_checkpoint=True if resume else None)
    seconds = time.monotonic() - t0
    adapter_dir = out_dir / "adapter"
    model.save_pretrained(str(adapter_dir))
    tokenizer.save_pretrained(str(adapter_dir))
    # TRL has tokenized the dataset by now; tokens seen = its tokens × the epochs done.
    data = trainer.train_dataset
    epochs_done = result.metrics.get("epoch") or trainer.state.epoch or cfg.train.epochs
    tokens = trainer.state.num_input_tokens_seen or (
        sum(len(x) for x in data["input_ids"]) * epochs_done
        if "input_ids" in data.column_names
        else 0
    )
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    (out_dir / "metrics.jsonl").write_text(
        "".join(
            json.dumps({"phase": "sft", "step": h["step"], "loss": h["loss"]}) + "\n"
            for h in trainer.state.log_history
            if "loss" in h
        ),
        encoding="utf-8",
    )
    summary = {
        "device": device,
        "base_model": cfg.model.name,
        "gguf": cfg.model.gguf,
        "steps": result.global_step,
        "tokens": int(tokens),
        "final_loss": round(losses[-1] if losses else result.training_loss, 4),
        "tokens_per_s": round(tokens / max(1e-9, seconds), 1),
        "minutes": round(seconds / 60, 2),
        "recipe": cfg.source,
    }
    (out_dir / "train_summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return {"adapter_dir": str(adapter_dir), **summary}


def train_unsloth(cfg: RunConfig, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """QLoRA with Unsloth on the base dequantized from model.gguf into a local HF folder (Unsloth
    reads folders, not GGUF). Written against Unsloth's documented API; not yet run on a GPU."""
    from training.modeling import base_hf_dir, offline

    offline()  # before Unsloth's import: it looks for pre-quantized variants on the hub otherwise
    # Unsloth patches transformers/TRL on import, so it must be imported before them.
    from unsloth import FastLanguageModel, is_bfloat16_supported  # noqa: I001

    tc = cfg.train
    Path(tc.output_dir).mkdir(parents=True, exist_ok=True)
    folder = base_hf_dir(cfg.model, tc.base_hf_dir)
    model, tokenizer = FastLanguageModel.from_pretrained(
        model_name=str(folder.resolve()),
        max_seq_length=tc.max_seq_length,
        dtype=None,
        load_in_4bit=tc.load_in_4bit,
    )
    model = FastLanguageModel.get_peft_model(
        model,
        r=tc.lora_r,
        lora_alpha=tc.lora_alpha,
        lora_dropout=tc.lora_dropout,
        target_modules=list(tc.target_modules),
        bias="none",
        use_gradient_checkpointing="unsloth",
        random_state=tc.seed,
    )
    trainer = sft_trainer(cfg, model, tokenizer, rows, bf16=is_bfloat16_supported())
    return run_sft(cfg, trainer, model, tokenizer, "cuda")
