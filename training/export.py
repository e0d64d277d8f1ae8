"""`export`: merge the LoRA into the base model and write the Ollama artefacts.

Output (in `export.output_dir`): `<tag>.gguf`, `Modelfile`, `create-ollama-model.sh`, `README.md`
(the model card) and `export.json`. The tag is `csound-coder-vX.Y`.

- The merged weights are written with the `gguf` package, re-using the base GGUF's metadata and
  tokenizer (so the chat template, special tokens and hyper-parameters are exactly the base
  model's). Tensor names follow gguf's own name map; llama's q/k rows are re-permuted into
  llama.cpp's rotary layout (transformers un-permutes them when it reads a GGUF), Qwen2's are not.
- q4_k_m / q5_k_m: written as f16 first, then quantized by llama.cpp's own quantizer (reached
  through llama-cpp-python), so the tuned model has the base file's size and speed.
- Adapters trained on CUDA (Unsloth QLoRA) are plain PEFT adapters over the same modules: they are
  merged into the dequantized base on CPU the same way (no Unsloth, no llama.cpp build needed).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from loguru import logger

from training.config import ExportConfig, RunConfig

STOP_TOKENS = ("<|im_end|>", "<|im_start|>", "<|endoftext|>")

# ChatML with a fill-in-the-middle branch: when Ollama passes a suffix, the prompt is laid out in
# prefix-suffix-middle order with the model's FIM tokens; otherwise it is a normal chat turn.
TEMPLATE = """{{- if .Suffix }}{fim_prefix}{{ .Prompt }}{fim_suffix}{{ .Suffix }}{fim_middle}
{{- else }}
{{- if .System }}<|im_start|>system
{{ .System }}<|im_end|>
{{ end }}
{{- if .Prompt }}<|im_start|>user
{{ .Prompt }}<|im_end|>
{{ end }}<|im_start|>assistant
{{ end }}{{ .Response }}{{ if not .Suffix }}<|im_end|>{{ end }}"""


def modelfile_text(
    ec: ExportConfig, gguf_name: str, fim: dict[str, str], system: str, num_ctx: int
) -> str:
    template = (
        TEMPLATE.replace("{fim_prefix}", fim["prefix"])
        .replace("{fim_suffix}", fim["suffix"])
        .replace("{fim_middle}", fim["middle"])
    )
    lines = [
        f"# {ec.tag}: Csound coding model for csound-assist.",
        f"FROM ./{gguf_name}",
        f'TEMPLATE """{template}"""',
        f'SYSTEM """{system}"""',
        f"PARAMETER temperature {ec.temperature}",
        f"PARAMETER top_p {ec.top_p}",
        f"PARAMETER top_k {ec.top_k}",
        f"PARAMETER repeat_penalty {ec.repeat_penalty}",
        f"PARAMETER num_ctx {num_ctx}",
    ]
    lines += [f'PARAMETER stop "{s}"' for s in STOP_TOKENS]
    return "\n".join(lines) + "\n"


def create_script(tag: str) -> str:
    return f"""#!/bin/sh
# Register this model with a local Ollama server: ollama create {tag} -f Modelfile
set -eu
cd "$(dirname "$0")"
if ! command -v ollama >/dev/null 2>&1; then
    echo "ollama is not installed; see https://ollama.com/download" >&2
    exit 1
fi
ollama create {tag} -f Modelfile
echo "created {tag}; try: ollama run {tag} 'Write a Csound instrument using moogladder.'"
"""


# --- GGUF writing (CPU path) -------------------------------------------------------------------


def _permute(w: Any, n_head: int) -> Any:
    """HF q/k rows → llama.cpp's rotary layout (the inverse of transformers' GGUF loader)."""
    return (
        w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
        .swapaxes(1, 2)
        .reshape(w.shape)
    )


def _field_value(field: Any) -> Any:
    return field.contents()


# Architectures whose q/k rows transformers un-permutes when it reads a GGUF (so the writer must
# permute them back); Qwen2's converter never permuted them.
PERMUTED_QK = {"llama"}
QUANTIZED = {"q4_k_m": "LLAMA_FTYPE_MOSTLY_Q4_K_M", "q5_k_m": "LLAMA_FTYPE_MOSTLY_Q5_K_M"}


def write_gguf_like(
    template: Path,
    state_dict: dict[str, Any],
    out: Path,
    gguf_type: str,
    name: str,
    extra: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Write `state_dict` (HF names) as a GGUF with `template`'s metadata and tensor set."""
    import gguf
    import numpy as np

    reader = gguf.GGUFReader(str(template))
    arch = _field_value(reader.fields["general.architecture"])
    by_name = {v: k for k, v in gguf.MODEL_ARCH_NAMES.items()}
    if arch not in by_name:
        raise RuntimeError(f"the GGUF writer does not know architecture {arch!r}")
    n_head = int(_field_value(reader.fields[f"{arch}.attention.head_count"]))
    kv_field = reader.fields.get(f"{arch}.attention.head_count_kv")
    n_kv = int(_field_value(kv_field)) if kv_field is not None else n_head
    n_blocks = int(_field_value(reader.fields[f"{arch}.block_count"]))
    qtype = {
        "f32": gguf.GGMLQuantizationType.F32,
        "f16": gguf.GGMLQuantizationType.F16,
        "q8_0": gguf.GGMLQuantizationType.Q8_0,
    }.get(gguf_type)
    if qtype is None:
        raise RuntimeError(
            f"write f16 and quantize to {gguf_type!r} with quantize_gguf (llama.cpp's quantizer)"
        )
    file_type = {
        "f32": gguf.LlamaFileType.ALL_F32,
        "f16": gguf.LlamaFileType.MOSTLY_F16,
        "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
    }[gguf_type]

    tmap = gguf.get_tensor_name_map(by_name[arch], n_blocks)
    by_gguf: dict[str, str] = {}
    for hf_name in state_dict:
        mapped = tmap.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if mapped:
            by_gguf[mapped] = hf_name
    # Tied embeddings: a template with its own output.weight gets the (tied) input embedding.
    if "output.weight" not in by_gguf and "token_embd.weight" in by_gguf:
        by_gguf["output.weight"] = by_gguf["token_embd.weight"]

    writer = gguf.GGUFWriter(str(out), arch)
    overrides: dict[str, Any] = {
        "general.name": name,
        "general.file_type": int(file_type),
        **(extra or {}),
    }
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture" or key in overrides:
            continue
        vtype = field.types[0]
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(key, _field_value(field), vtype, sub_type=sub)
    for key, value in overrides.items():
        vtype = gguf.GGUFValueType.UINT32 if isinstance(value, int) else gguf.GGUFValueType.STRING
        writer.add_key_value(key, value, vtype)

    written = 0
    for t in reader.tensors:
        hf_name = by_gguf.get(t.name)
        if hf_name is None:
            raise RuntimeError(f"no weight for GGUF tensor {t.name!r} in the merged model")
        data = state_dict[hf_name].detach().float().cpu().numpy()
        if arch in PERMUTED_QK and hf_name.endswith("q_proj.weight"):
            data = _permute(data, n_head)
        elif arch in PERMUTED_QK and hf_name.endswith("k_proj.weight"):
            data = _permute(data, n_kv)
        # Norms, biases and other 1-D tensors stay f32, as llama.cpp's converter does.
        if data.ndim == 1 or qtype == gguf.GGMLQuantizationType.F32:
            writer.add_tensor(t.name, data.astype(np.float32))
        elif qtype == gguf.GGMLQuantizationType.F16:
            writer.add_tensor(t.name, data.astype(np.float16))
        else:
            q = gguf.quants.quantize(data.astype(np.float32), qtype)
            writer.add_tensor(t.name, q, raw_dtype=qtype)
        written += 1
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    ctx_key = f"{arch}.context_length"
    ctx = int(_field_value(reader.fields[ctx_key])) if ctx_key in reader.fields else 0
    return {"tensors": written, "context_length": ctx, "bytes": out.stat().st_size, "arch": arch}


def quantize_gguf(src: Path, dst: Path, gguf_type: str, threads: int | None = None) -> int:
    """llama.cpp's own quantizer (through llama-cpp-python): f16 GGUF → q4_k_m / q5_k_m, the
    same k-quant mix as the base model's file. Returns the output size in bytes."""
    import llama_cpp

    if gguf_type not in QUANTIZED:
        raise RuntimeError(f"quantize: expected one of {sorted(QUANTIZED)}, got {gguf_type!r}")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, QUANTIZED[gguf_type])
    params.nthread = threads or 0  # 0: llama.cpp picks the core count
    tmp = dst.with_name(dst.name + ".partial")
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(tmp).encode(), params)
    if rc != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"llama.cpp could not quantize {src.name} to {gguf_type} (code {rc})")
    tmp.replace(dst)  # a half-written file never carries the final name
    return dst.stat().st_size


def merged_state_dict(cfg: RunConfig, adapter_dir: Path | None) -> dict[str, Any]:
    """Base weights with the LoRA folded in (or the plain base when adapter_dir is None)."""
    from training.modeling import load_model

    model = load_model(cfg.model)
    if adapter_dir is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
    return model.state_dict()


def export(cfg: RunConfig, adapter_dir: Path | None = None) -> dict[str, Any]:
    ec = cfg.export
    out_dir = Path(ec.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    adapter = adapter_dir or Path(cfg.train.output_dir) / "adapter"
    if not (adapter / "adapter_config.json").is_file():
        raise FileNotFoundError(
            f"{adapter} has no LoRA adapter: run `python -m training train` first"
        )
    summary_path = Path(cfg.train.output_dir) / "train_summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    gguf_name = f"{ec.tag}.{ec.gguf_type}.gguf"

    # CPU- and GPU-trained adapters alike are standard PEFT adapters over the same modules of the
    # model dequantized from model.gguf, so both are merged here and written by the same writer.
    if not cfg.model.gguf:
        raise RuntimeError("export re-uses the base GGUF's metadata: set model.gguf")
    from training.modeling import resolve_gguf

    template = resolve_gguf(cfg.model.gguf)
    state = merged_state_dict(cfg, adapter)
    quantized = ec.gguf_type in QUANTIZED
    first = out_dir / (f"{ec.tag}.f16.gguf" if quantized else gguf_name)
    t0 = time.monotonic()
    info = write_gguf_like(
        template,
        state,
        first,
        "f16" if quantized else ec.gguf_type,
        ec.tag,
        {"general.description": "csound-assist fine-tune"},
    )
    del state
    info["base_gguf"] = template.name
    if quantized:
        info["bytes"] = quantize_gguf(first, out_dir / gguf_name, ec.gguf_type, cfg.eval.threads)
        info["f16_bytes"] = first.stat().st_size
        if not ec.keep_f16:
            first.unlink()
    info["seconds"] = round(time.monotonic() - t0, 1)
    logger.info(
        "wrote {} ({} tensors, {:.0f} MB, {:.0f} s)",
        gguf_name,
        info["tensors"],
        info["bytes"] / 1e6,
        info["seconds"],
    )

    num_ctx = min(ec.num_ctx, info.get("context_length") or ec.num_ctx)
    (out_dir / "Modelfile").write_text(
        modelfile_text(ec, gguf_name, cfg.model.fim_tokens, cfg.model.system_prompt, num_ctx),
        encoding="utf-8",
    )
    script = out_dir / "create-ollama-model.sh"
    script.write_text(create_script(ec.tag), encoding="utf-8")
    script.chmod(0o755)
    meta = {"tag": ec.tag, "gguf": gguf_name, "num_ctx": num_ctx, "train": summary, **info}
    (out_dir / "export.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    write_model_card(cfg)
    return {"dir": str(out_dir), **meta}


def write_model_card(cfg: RunConfig) -> Path:
    """The model card: data, recipe, training summary and (when `eval` has run) metrics."""
    ec, tc = cfg.export, cfg.train
    out_dir = Path(ec.output_dir)
    meta_path = out_dir / "export.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    stats_path = Path(cfg.data.output_dir) / "stats.md"
    eval_path = Path(cfg.eval.output_dir) / "report.md"
    train = meta.get("train", {})
    parts = [
        f"# {ec.tag}",
        "",
        f"A Csound coding model for csound-assist: `{cfg.model.name}` fine-tuned with LoRA "
        f"(r={tc.lora_r}, alpha={tc.lora_alpha}, dropout={tc.lora_dropout}) on compiler-verified "
        "Csound instruction pairs built from the Csound reference manual.",
        "",
        "## Use",
        "",
        "```sh",
        "./create-ollama-model.sh        # = ollama create " + ec.tag + " -f Modelfile",
        f"ollama run {ec.tag} 'Write a Csound instrument using moogladder.'",
        "```",
        "",
        "The Modelfile's template speaks ChatML and, when a suffix is given, fill-in-the-middle "
        f"(`{cfg.model.fim_tokens['prefix']}…{cfg.model.fim_tokens['suffix']}…{cfg.model.fim_tokens['middle']}`).",
        "",
        "## Training",
        "",
        f"- recipe: `{cfg.source}`",
        f"- device: {train.get('device', '?')}, steps: {train.get('steps', '?')}, "
        f"examples seen: {train.get('examples_seen', '?')}, tokens: {train.get('tokens', '?')}, "
        f"tokens/s: {train.get('tokens_per_s', '?')}, minutes: {train.get('minutes', '?')}, "
        f"final loss: {train.get('final_loss', '?')}",
        f"- max_seq_length {tc.max_seq_length}, lr {tc.learning_rate}, batch {tc.batch_size} × "
        f"grad-accum {tc.grad_accum}, targets {', '.join(tc.target_modules)}",
        f"- base: `{cfg.model.name}`, `model.gguf: {cfg.model.gguf}` "
        f"(`{meta.get('base_gguf', '?')}`)",
        f"- GGUF: `{meta.get('gguf', '?')}` ({ec.gguf_type}, "
        f"{meta.get('bytes', 0) / 1e6:.0f} MB; architecture {meta.get('arch', '?')})",
        "",
    ]
    if stats_path.exists():
        parts += [
            "## Data",
            "",
            stats_path.read_text(encoding="utf-8").split("\n", 2)[-1].strip(),
            "",
        ]
    if eval_path.exists():
        parts += [
            "## Evaluation",
            "",
            eval_path.read_text(encoding="utf-8").split("\n", 2)[-1].strip(),
            "",
        ]
    else:
        parts += [
            "## Evaluation",
            "",
            "Not run yet: `python -m training eval --config " + str(cfg.source) + "`.",
            "",
        ]
    parts += [
        "## Limits",
        "",
        f"A {train.get('device', '?')} LoRA of {train.get('steps', '?')} steps over "
        f"{train.get('tokens', '?')} tokens: it makes mistakes; check its code with the compiler "
        "(csound-assist does this for you). Editor: set `model.gguf_path` to this GGUF.",
    ]
    card = out_dir / "README.md"
    out_dir.mkdir(parents=True, exist_ok=True)
    card.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return card
