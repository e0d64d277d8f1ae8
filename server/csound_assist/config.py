"""Typed configuration with a default for every field.

Sources, in rising precedence: the defaults below, the user's `config.toml` (XDG config dir),
the workspace's `.csound-assist.toml`, and the editor's settings (LSP `workspace/configuration`,
section `csoundAssist`, camelCase keys accepted). A bad value is reported once, naming its file
and key, and the field keeps the value it had before (so a bad workspace value falls back to the
user's or the default).
`Config.sources` records where each effective value came from, for `csound-assist config`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from csound_assist import files
from csound_assist.paths import config_dir

WORKSPACE_FILE = ".csound-assist.toml"
DEFAULT = "default"


def _choice(*options: str) -> dict[str, Any]:
    return {"choices": options}


def _range(lo: float | None = None, hi: float | None = None) -> dict[str, Any]:
    return {"min": lo, "max": hi}


@dataclass
class ModelConfig:
    # auto: a reachable Ollama that has `name`, else `gguf_path`, else the installed default
    # model (`csound-assist model install`); openai: an OpenAI-compatible server at `openai_url`.
    backend: str = field(
        default="auto", metadata=_choice("auto", "ollama", "llama-cpp", "openai")
    )
    # One model may serve chat and completion; empty completion_name means "same as name".
    name: str = "qwen2.5-coder:7b"
    completion_name: str = ""
    embedding_name: str = "nomic-embed-text"
    host: str = "http://127.0.0.1:11434"
    gguf_path: str = ""
    keep_alive: str = "10m"
    connect_timeout: float = field(default=2.0, metadata=_range(0.1, 60))
    fim_timeout: float = field(default=3.0, metadata=_range(0.1, 60))
    first_token_timeout: float = field(default=30.0, metadata=_range(1, 600))
    idle_timeout: float = field(default=15.0, metadata=_range(1, 600))
    # In-process llama.cpp on a laptop CPU reads a long prompt slowly (Qwen2.5-Coder-1.5B on 2
    # cores: ~60 s for a 3,000-token generate prompt), so its first token gets longer than Ollama's.
    embedded_first_token_timeout: float = field(default=180.0, metadata=_range(1, 1800))
    # The whole of one chat answer (every backend); a runaway answer ends here at the latest.
    generation_timeout: float = field(default=300.0, metadata=_range(1, 3600))
    # An OpenAI-compatible server (llama.cpp's server, vLLM, LM Studio): its base URL with /v1,
    # and the environment variable holding its API key (the key itself never goes in a file).
    openai_url: str = "http://127.0.0.1:8080/v1"
    openai_api_key_env: str = "OPENAI_API_KEY"


@dataclass
class ParametersConfig:
    # Qwen2.5/Qwen3-Coder sampling defaults.
    temperature: float = field(default=0.7, metadata=_range(0, 2))
    top_p: float = field(default=0.8, metadata=_range(0, 1))
    top_k: int = field(default=20, metadata=_range(0, 1000))
    repeat_penalty: float = field(default=1.05, metadata=_range(0.5, 2))
    num_ctx: int = field(default=8192, metadata=_range(512, 262144))
    num_predict: int = field(default=1024, metadata=_range(1, 32768))
    fim_num_predict: int = field(default=128, metadata=_range(1, 4096))


@dataclass
class RagConfig:
    examples_dirs: list[str] = field(default_factory=list)
    embedding_model: str = field(
        default="all-minilm-l6-v2", metadata=_choice("all-minilm-l6-v2", "nomic-embed-text", "hash")
    )
    num_results: int = field(default=5, metadata=_range(1, 50))
    min_similarity: float = field(default=0.65, metadata=_range(0, 1))
    qdrant_url: str = ""
    include_manual: bool = True
    index_workspace: bool = True
    # The language server brings the index up to date in the background when it starts.
    index_on_start: bool = True
    rrf_k: int = field(default=60, metadata=_range(1, 1000))
    dense_weight: float = field(default=1.0, metadata=_range(0, 10))
    keyword_weight: float = field(default=1.0, metadata=_range(0, 10))
    # Weight of the third retriever: chunks where the opcodes a query describes matter most.
    opcode_weight: float = field(default=1.0, metadata=_range(0, 10))


@dataclass
class CsoundConfig:
    executable: str = "csound"
    manual_dir: str = "/usr/share/doc/csound-doc/html"
    check_timeout: float = field(default=3.0, metadata=_range(0.2, 60))
    # `csound -I` runs init code (system_i …): opt-in, and only honoured in a trusted workspace.
    deep_check: bool = False
    # Checks through a warm Csound (ctcsound) in a child process; the CLI when it is unavailable.
    warm_compiler: bool = True
    warm_recycle_after: int = field(default=200, metadata=_range(1, 100_000))


@dataclass
class EditorConfig:
    diagnostics: bool = True
    diagnostics_on: str = field(default="type", metadata=_choice("type", "save"))
    inline_completions: bool = True
    inline_debounce_ms: int = field(default=250, metadata=_range(0, 5000))
    # Compile each inline suggestion in place and drop it when it adds a compiler error.
    inline_compile_check: bool = True
    max_file_bytes: int = field(default=2_000_000, metadata=_range(10_000, 100_000_000))


@dataclass
class OutputConfig:
    directory: str = "."
    stream: bool = True
    color: str = field(default="auto", metadata=_choice("auto", "always", "never"))


@dataclass
class LoggingConfig:
    level: str = field(
        default="INFO", metadata=_choice("TRACE", "DEBUG", "INFO", "WARNING", "ERROR")
    )


@dataclass
class Config:
    model: ModelConfig = field(default_factory=ModelConfig)
    parameters: ParametersConfig = field(default_factory=ParametersConfig)
    rag: RagConfig = field(default_factory=RagConfig)
    csound: CsoundConfig = field(default_factory=CsoundConfig)
    editor: EditorConfig = field(default_factory=EditorConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    # "section.key" -> where the effective value came from: "default", a path, "editor settings".
    sources: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    # Human-readable reports of rejected values, each naming the file and key.
    problems: list[str] = field(default_factory=list, repr=False, compare=False)

    def sections(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _META}

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {
            name: {f.name: getattr(sec, f.name) for f in fields(sec)}
            for name, sec in self.sections().items()
        }


_META = {"sources", "problems"}


def _snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower().replace("-", "_")


def _coerce(value: Any, typ: Any, meta: Any) -> Any:
    """Return `value` as `typ`, or raise ValueError with a message that shows the expected form."""
    if typ is bool:
        if isinstance(value, bool):
            return value
        raise ValueError("expected true or false")
    if typ is int:
        if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
            raise ValueError("expected a whole number")
        value = int(value)
    elif typ is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("expected a number")
        value = float(value)
    elif typ is str:
        if not isinstance(value, str):
            raise ValueError("expected a string")
    elif typ == list[str]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("expected a list of strings")
        value = list(value)
    choices = meta.get("choices")
    if choices:
        match = next((c for c in choices if c.lower() == str(value).lower()), None)
        if match is None:
            raise ValueError(f"expected one of {', '.join(choices)}")
        value = match
    lo, hi = meta.get("min"), meta.get("max")
    if lo is not None and value < lo or hi is not None and value > hi:
        raise ValueError(f"expected a value between {lo} and {hi}")
    return value


def _apply(config: Config, data: dict[str, Any], origin: str) -> None:
    """Merge one source into `config`, recording provenance and rejecting bad values."""
    sections = config.sections()
    for raw_section, values in data.items():
        section_name = _snake(raw_section)
        section = sections.get(section_name)
        if section is None:
            config.problems.append(f"{origin}: unknown section [{raw_section}] ignored")
            continue
        if not isinstance(values, dict):
            config.problems.append(f"{origin}: [{raw_section}] must be a table; ignored")
            continue
        hints = get_type_hints(type(section))
        known = {f.name: f for f in fields(section)}
        for raw_key, value in values.items():
            key = _snake(raw_key)
            where = f"{origin}: {section_name}.{key}"
            if key not in known:
                config.problems.append(f"{where}: unknown key ignored")
                continue
            if value is None:
                continue
            try:
                setattr(section, key, _coerce(value, hints[key], known[key].metadata))
            except ValueError as exc:
                kept = getattr(section, key)
                config.problems.append(f"{where} = {value!r}: {exc}; using {kept!r}")
                continue
            config.sources[f"{section_name}.{key}"] = origin


def _nest(settings: dict[str, Any]) -> dict[str, Any]:
    """Accept editor settings both nested ({"model": {...}}) and dotted ({"model.backend": …})."""
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if "." in key:
            section, _, rest = key.partition(".")
            out.setdefault(section, {})[rest] = value
        elif isinstance(value, dict):
            out.setdefault(key, {}).update(value)
        else:
            out.setdefault("_top", {})[key] = value
    out.pop("_top", None)
    return out


def _read_toml(path: Path, config: Config) -> dict[str, Any]:
    try:
        # Through files: a config path that is a FIFO or device must not hang the server.
        return tomllib.loads(files.read_bytes(path, 1_000_000).decode("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        config.problems.append(f"{path}: not read ({exc}); its settings are ignored")
        return {}


def user_config_file() -> Path:
    return config_dir() / "config.toml"


def load_config(
    workspace: Path | None = None,
    editor_settings: dict[str, Any] | None = None,
    user_file: Path | None = None,
) -> Config:
    config = Config()
    for f in fields(config):
        if f.name in _META:
            continue
        for sf in fields(getattr(config, f.name)):
            config.sources[f"{f.name}.{sf.name}"] = DEFAULT
    user_path = user_file or user_config_file()
    _apply(config, _read_toml(user_path, config), str(user_path))
    if workspace is not None:
        ws_path = Path(workspace) / WORKSPACE_FILE
        _apply(config, _read_toml(ws_path, config), str(ws_path))
    if editor_settings:
        _apply(config, _nest(editor_settings), "editor settings")
    return config
