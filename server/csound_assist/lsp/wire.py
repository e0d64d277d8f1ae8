"""JSON on the wire without per-request cattrs work for large, cached results.

pygls serialises a result by walking it with cattrs, which for a list of ~500 completion items costs
tens
of milliseconds. Items that are cached anyway are unstructured once and wrapped in `Prebuilt`; the
converter passes `Prebuilt` through untouched and `json.dumps` writes it at C speed.
"""

from __future__ import annotations

from typing import Any

from cattrs import Converter
from lsprotocol.converters import get_converter as lsp_converter
from pygls.protocol import default_converter


class Prebuilt(dict):  # type: ignore[type-arg]
    """An already-unstructured JSON object (camelCase keys, plain values)."""


def converter_factory() -> Converter:
    converter = default_converter()
    converter.register_unstructure_hook(Prebuilt, lambda value: value)
    return converter


_converter = lsp_converter()
_cache: dict[int, tuple[Any, dict[str, Any]]] = {}


def unstructured(value: Any) -> dict[str, Any]:
    """The JSON form of an attrs value, cached by identity (values held by a long-lived cache)."""
    hit = _cache.get(id(value))
    if hit is not None and hit[0] is value:
        return hit[1]
    data = _converter.unstructure(value)
    if len(_cache) > 50_000:
        _cache.clear()
    _cache[id(value)] = (value, data)
    return data


def plain(params: Any) -> Any:
    """Custom-method params arrive as dicts or as named tuples, depending on the pygls path."""
    if hasattr(params, "_asdict"):
        params = params._asdict()
    if isinstance(params, dict):
        return {k: plain(v) for k, v in params.items()}
    if isinstance(params, list | tuple):
        return [plain(v) for v in params]
    return params
