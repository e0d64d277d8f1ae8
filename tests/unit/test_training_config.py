"""Recipe parsing and validation: every shipped recipe loads; bad values say what is expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.config import ConfigError, config_from_dict, load_config

RECIPES = sorted((Path(__file__).parents[2] / "training" / "recipes").glob("*.yaml"))


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.stem)
def test_shipped_recipes_load(recipe: Path) -> None:
    cfg = load_config(recipe)
    assert cfg.name == recipe.stem
    assert cfg.train.lora_r > 0 and cfg.export.tag.startswith("csound-coder-v")


def test_the_recipes_ship() -> None:
    assert {p.stem for p in RECIPES} >= {
        "smoke",
        "smollm2-cpu",
        "qwen2.5-coder-qlora",
        "qwen2.5-coder-cpu",
    }


def test_defaults_follow_the_issue_recipe() -> None:
    cfg = config_from_dict({})
    t = cfg.train
    assert (t.lora_r, t.lora_alpha, t.lora_dropout) == (32, 32, 0.0)
    assert set(t.target_modules) == {
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    }
    assert (t.learning_rate, t.batch_size, t.grad_accum, t.optim) == (2e-4, 2, 4, "adamw_8bit")
    e = cfg.export
    assert (e.temperature, e.top_p, e.top_k, e.repeat_penalty) == (0.7, 0.8, 20, 1.05)


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"train": {"lora_r": -1}}, "train.lora_r: expected a positive integer like `32`, got -1"),
        (
            {"train": {"learning_rate": "fast"}},
            "train.learning_rate: expected a small positive number",
        ),
        ({"train": {"optim": "sgd"}}, "train.optim: expected one of `adamw_8bit`"),
        ({"train": {"lora_rank": 8}}, "train: unknown setting(s) ['lora_rank']"),
        ({"data": {"categories": ["poems"]}}, "data.categories: expected a non-empty subset of"),
        ({"data": {"eval_fraction": 0.9}}, "data.eval_fraction: expected a number in (0, 0.5)"),
        ({"export": {"version": "1"}}, "export.version: expected a version like `0.1`"),
        (
            {"model": {"fim_tokens": {"prefix": "<p>"}}},
            "model.fim_tokens: expected a mapping with keys",
        ),
        ({"trian": {}}, "recipe: unknown section(s) ['trian']"),
        ({"train": {"categories": ["poems"]}}, "train.categories: expected a non-empty subset"),
        ({"model": {"gguf": 7}}, "model.gguf: expected a .gguf path, `installed`"),
        ({"eval": "fast"}, "eval: expected a mapping of settings"),
    ],
)
def test_bad_values_name_key_and_expected_form(raw: dict, needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        config_from_dict(raw)
    assert needle in str(info.value)


def test_missing_recipe_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match="expected a recipe file like training/recipes/smoke.yaml"
    ):
        load_config(tmp_path / "nope.yaml")


def test_invalid_yaml_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_throughput_variants_parse_and_bad_ones_say_the_form() -> None:
    from training.throughput import Variant, parse_variants

    assert parse_variants("512, 512:bf16,1024:gc:bf16") == (
        Variant(512),
        Variant(512, bf16=True),
        Variant(1024, bf16=True, checkpointing=True),
    )
    for bad in ("", "fast", "512:fp8", "8"):
        with pytest.raises(ValueError, match="expected items like `512`"):
            parse_variants(bad)
