from __future__ import annotations

from pathlib import Path

import pytest

from csound_assist.config import WORKSPACE_FILE, Config, load_config


@pytest.fixture
def user_file(tmp_path: Path) -> Path:
    return tmp_path / "user" / "config.toml"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_match_the_seed(user_file: Path) -> None:
    cfg = load_config(user_file=user_file)
    assert cfg.parameters.temperature == 0.7
    assert cfg.parameters.top_p == 0.8
    assert cfg.parameters.top_k == 20
    assert cfg.parameters.repeat_penalty == 1.05
    assert cfg.rag.num_results == 5
    assert cfg.rag.min_similarity == 0.65
    assert cfg.model.backend == "auto"
    assert cfg.problems == []
    assert set(cfg.sources.values()) == {"default"}


def test_precedence_user_then_workspace_then_editor(tmp_path: Path, user_file: Path) -> None:
    write(user_file, '[model]\nname = "user-model"\nhost = "http://u:1"\n[parameters]\ntop_k = 5\n')
    ws = tmp_path / "ws"
    write(ws / WORKSPACE_FILE, '[model]\nname = "ws-model"\n[rag]\nexamples_dirs = ["corpus"]\n')
    cfg = load_config(
        workspace=ws, user_file=user_file, editor_settings={"model": {"name": "editor-model"}}
    )
    assert cfg.model.name == "editor-model"
    assert cfg.sources["model.name"] == "editor settings"
    assert cfg.model.host == "http://u:1"
    assert cfg.sources["model.host"] == str(user_file)
    assert cfg.parameters.top_k == 5
    assert cfg.rag.examples_dirs == ["corpus"]
    assert cfg.sources["rag.examples_dirs"] == str(ws / WORKSPACE_FILE)
    assert cfg.sources["parameters.temperature"] == "default"


def test_editor_settings_accept_camel_case_and_dotted_keys(user_file: Path) -> None:
    cfg = load_config(
        user_file=user_file,
        editor_settings={"model.completionName": "fim", "editor": {"inlineDebounceMs": 300}},
    )
    assert cfg.model.completion_name == "fim"
    assert cfg.editor.inline_debounce_ms == 300


@pytest.mark.parametrize(
    ("toml", "key", "expected_default", "fragment"),
    [
        ('[model]\nbackend = "gpt"\n', "model.backend", "auto", "expected one of auto"),
        ("[parameters]\ntemperature = 7.5\n", "parameters.temperature", 0.7, "between"),
        ('[parameters]\ntop_k = "many"\n', "parameters.top_k", 20, "whole number"),
        ("[rag]\nexamples_dirs = 3\n", "rag.examples_dirs", [], "list of strings"),
        ('[csound]\ndeep_check = "yes"\n', "csound.deep_check", False, "true or false"),
    ],
)
def test_bad_value_reported_with_file_and_key_and_replaced_by_default(
    user_file: Path, toml: str, key: str, expected_default: object, fragment: str
) -> None:
    write(user_file, toml)
    cfg = load_config(user_file=user_file)
    section, name = key.split(".")
    assert getattr(getattr(cfg, section), name) == expected_default
    assert len(cfg.problems) == 1
    assert str(user_file) in cfg.problems[0]
    assert key in cfg.problems[0]
    assert fragment in cfg.problems[0]
    assert cfg.sources[key] == "default"


def test_bad_workspace_value_falls_back_to_user_value(tmp_path: Path, user_file: Path) -> None:
    write(user_file, "[parameters]\nnum_ctx = 16384\n")
    ws = tmp_path / "ws"
    write(ws / WORKSPACE_FILE, "[parameters]\nnum_ctx = -1\n")
    cfg = load_config(workspace=ws, user_file=user_file)
    assert cfg.parameters.num_ctx == 16384
    assert cfg.sources["parameters.num_ctx"] == str(user_file)


def test_unknown_keys_sections_and_broken_toml_are_reported(
    tmp_path: Path, user_file: Path
) -> None:
    write(user_file, "[model]\nnmae = 'typo'\n[colours]\nx = 1\n")
    ws = tmp_path / "ws"
    write(ws / WORKSPACE_FILE, "[model\nname = ")
    cfg = load_config(workspace=ws, user_file=user_file)
    assert cfg == Config()
    text = "\n".join(cfg.problems)
    assert "model.nmae: unknown key" in text
    assert "[colours]" in text
    assert f"{ws / WORKSPACE_FILE}: not read" in text


def test_enum_values_are_case_insensitive(user_file: Path) -> None:
    write(user_file, '[model]\nbackend = "Llama-CPP"\n[logging]\nlevel = "debug"\n')
    cfg = load_config(user_file=user_file)
    assert cfg.model.backend == "llama-cpp"
    assert cfg.logging.level == "DEBUG"
