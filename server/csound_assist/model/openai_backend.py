"""An OpenAI-compatible server (llama.cpp's server, llama-cpp-python's, vLLM, LM Studio) over
plain HTTP: `/v1/chat/completions` for chat, `/v1/completions` with a FIM template for inline
completion, both streamed as server-sent events, `/v1/models` for health and the model's id.

So a team can point every editor at one GPU box. The API key, when the server wants one, is read
from the environment variable `model.openai_api_key_env` names, never from a file.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from csound_assist.config import ModelConfig
from csound_assist.model.base import (
    BackendUnavailable,
    Message,
    ModelError,
    ModelInfo,
    ModelNotFound,
    ModelTimeout,
    Sampling,
)
from csound_assist.model.fim import FimTemplate, guess_template
from csound_assist.model.streaming import with_deadlines

MAX_EVENT_BYTES = 1 << 20  # one SSE line; a longer one is not an answer chunk
MAX_STREAM_BYTES = 16 << 20  # a whole answer


class OpenAIBackend:
    name = "openai"

    def __init__(
        self,
        config: ModelConfig,
        *,
        origin: str = "",
        fim_template: FimTemplate | None = None,
    ) -> None:
        self.config = config
        self.base_url = config.openai_url.rstrip("/")
        self.origin = origin or f"OpenAI-compatible server at {self.base_url}"
        self.model = ""  # the server's id for the model, resolved on first use
        self._fim_template = fim_template
        headers = {"Accept": "application/json"}
        key = os.environ.get(config.openai_api_key_env, "") if config.openai_api_key_env else ""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(
                max(config.first_token_timeout, config.idle_timeout, config.fim_timeout),
                connect=config.connect_timeout,
            ),
        )

    # -- errors -------------------------------------------------------------------------------

    def _translate(self, exc: BaseException) -> ModelError:
        if isinstance(exc, ModelError):
            return exc
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            return BackendUnavailable(
                f"the OpenAI-compatible server at {self.base_url} is not reachable: start it or "
                "set model.openai_url (e.g. http://127.0.0.1:8080/v1)."
            )
        if isinstance(exc, httpx.TimeoutException):
            return ModelTimeout(f"{self.base_url} timed out: {type(exc).__name__}")
        if isinstance(exc, httpx.TransportError):
            return BackendUnavailable(f"{self.base_url}: connection failed ({exc})")
        return ModelError(f"OpenAI-compatible call failed: {exc}")

    async def _error(self, response: httpx.Response) -> ModelError:
        body = (await response.aread())[:2000].decode("utf-8", "replace")
        try:
            detail = json.loads(body).get("error", body)
            if isinstance(detail, dict):
                detail = detail.get("message", detail)
        except (ValueError, AttributeError):
            detail = body
        status = response.status_code
        if status in (401, 403):
            return ModelError(
                f"{self.base_url} refused the request ({status}): set the API key in "
                f"${self.config.openai_api_key_env}. {detail}"
            )
        if status == 404:
            return ModelNotFound(f"{self.base_url} has no model '{self.model}' ({detail})")
        return ModelError(f"{self.base_url} answered {status}: {detail}")

    # -- model --------------------------------------------------------------------------------

    async def models(self) -> list[str]:
        try:
            response = await self._client.get("/models", timeout=self.config.fim_timeout)
        except Exception as exc:  # noqa: BLE001
            raise self._translate(exc) from exc
        if response.status_code != 200:
            raise await self._error(response)
        try:
            return [str(m["id"]) for m in response.json().get("data", [])]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelError(f"{self.base_url}/models is not an OpenAI model list") from exc

    async def _resolve(self) -> str:
        """model.name when the server lists it, else the server's only (first) model."""
        if not self.model:
            listed = await self.models()
            wanted = self.config.name
            if wanted in listed or not listed:
                self.model = wanted
            else:
                self.model = listed[0]
            if self._fim_template is None:
                self._fim_template = guess_template(self.model)
        return self.model

    async def reachable(self) -> bool:
        try:
            await self.models()
        except ModelError:
            return False
        return True

    async def info(self) -> ModelInfo:
        model = await self._resolve()
        return ModelInfo(
            backend=self.name,
            name=model,
            extra={"host": self.base_url, "source": self.origin},
        )

    # -- streaming ----------------------------------------------------------------------------

    def _body(self, sampling: Sampling, stops: Sequence[str] = ()) -> dict[str, Any]:
        body: dict[str, Any] = {
            "stream": True,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.num_predict,
            # Not in OpenAI's own API, but llama.cpp's servers and vLLM take it; Qwen needs it.
            "top_k": sampling.top_k,
        }
        stop = list(dict.fromkeys([*sampling.stop, *stops]))[:4]  # OpenAI allows four
        if stop:
            body["stop"] = stop
        if sampling.seed is not None:
            body["seed"] = sampling.seed
        return body

    async def _events(self, path: str, body: dict[str, Any], pick: str) -> AsyncIterator[str]:
        """POST and yield the text of each SSE event until `[DONE]`."""
        body = {"model": await self._resolve(), **body}
        total = 0
        try:
            async with self._client.stream("POST", path, json=body) as response:
                if response.status_code != 200:
                    raise await self._error(response)
                async for line in response.aiter_lines():
                    total += len(line)
                    if len(line) > MAX_EVENT_BYTES or total > MAX_STREAM_BYTES:
                        raise ModelError(f"{self.base_url}{path}: answer too large; stopped")
                    if not line.startswith("data:"):
                        continue  # comments, `event:` lines, blank separators
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    try:
                        event = json.loads(data)
                        choice = event["choices"][0] if event.get("choices") else {}
                    except (ValueError, KeyError, TypeError, AttributeError):
                        if isinstance(data, str) and '"error"' in data:
                            raise ModelError(f"{self.base_url}{path}: {data[:300]}") from None
                        continue
                    text = (choice.get("delta") or {}).get("content") if pick == "delta" else (
                        choice.get("text")
                    )
                    if text:
                        yield text
        except GeneratorExit:
            raise
        except Exception as exc:  # noqa: BLE001 — every failure becomes a ModelError
            raise self._translate(exc) from exc

    def chat(self, messages: Sequence[Message], sampling: Sampling) -> AsyncIterator[str]:
        body = {"messages": [m.as_dict() for m in messages], **self._body(sampling)}
        return with_deadlines(
            self._events("/chat/completions", body, "delta"),
            first=self.config.first_token_timeout,
            idle=self.config.idle_timeout,
            total=self.config.generation_timeout,
            what=f"{self.base_url} chat",
        )

    def complete(self, prompt: str, suffix: str, sampling: Sampling) -> AsyncIterator[str]:
        return with_deadlines(
            self._complete(prompt, suffix, sampling),
            first=self.config.fim_timeout,
            idle=self.config.fim_timeout,
            total=self.config.fim_timeout,
            what=f"{self.base_url} completion",
        )

    async def _complete(self, prompt: str, suffix: str, sampling: Sampling) -> AsyncIterator[str]:
        await self._resolve()
        template = self._fim_template or guess_template(self.model)
        body = {"prompt": template.render(prompt, suffix), **self._body(sampling, template.stops)}
        async for chunk in self._events("/completions", body, "text"):
            yield chunk

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        payload = {"model": self.config.embedding_name, "input": list(texts)}
        try:
            response = await self._client.post("/embeddings", json=payload)
        except Exception as exc:  # noqa: BLE001
            raise self._translate(exc) from exc
        if response.status_code != 200:
            raise await self._error(response)
        try:
            return [list(map(float, d["embedding"])) for d in response.json()["data"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"{self.base_url}/embeddings: unexpected answer") from exc

    async def preload(self) -> None:
        """The server holds the model; resolving its id is all there is to do."""
        await self._resolve()

    async def aclose(self) -> None:
        await self._client.aclose()
