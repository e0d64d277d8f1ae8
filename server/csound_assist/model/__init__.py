"""The model layer: one interface over Ollama and embedded llama.cpp.

service = ModelService(config, notify=show_message)
async for chunk in service.chat([Message("user", "hi")]):
    ...
"""

from csound_assist.model.base import (
    Backend,
    BackendUnavailable,
    FimUnsupported,
    Message,
    ModelError,
    ModelInfo,
    ModelNotFound,
    ModelTimeout,
    Sampling,
)
from csound_assist.model.service import ModelService, select_backend

__all__ = [
    "Backend",
    "BackendUnavailable",
    "FimUnsupported",
    "Message",
    "ModelError",
    "ModelInfo",
    "ModelNotFound",
    "ModelService",
    "ModelTimeout",
    "Sampling",
    "select_backend",
]
