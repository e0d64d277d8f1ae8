"""Feedback (thumbs, accepted/rejected suggestions) as JSON lines, tagged with the model, so two
model versions can be compared on the same kind of events."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from csound_assist.model.base import ModelInfo
from csound_assist.paths import state_dir

Kind = Literal["inline", "chat", "fix", "generate", "explain"]
Verdict = Literal["accepted", "rejected", "up", "down"]


@dataclass(frozen=True, slots=True)
class FeedbackEvent:
    kind: Kind
    verdict: Verdict
    model: str = ""
    model_version: str = ""
    backend: str = ""
    time: float = field(default_factory=time.time)
    detail: dict[str, Any] = field(default_factory=dict)


class FeedbackLog:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or state_dir() / "feedback.jsonl"
        self._lock = threading.Lock()

    def record(
        self, kind: Kind, verdict: Verdict, model: ModelInfo | None = None, **detail: Any
    ) -> FeedbackEvent:
        if verdict not in ("accepted", "rejected", "up", "down"):
            raise ValueError(f"verdict must be accepted, rejected, up or down, not {verdict!r}")
        event = FeedbackEvent(
            kind=kind,
            verdict=verdict,
            model=model.name if model else "",
            model_version=model.version if model else "",
            backend=model.backend if model else "",
            detail=detail,
        )
        line = json.dumps(asdict(event), ensure_ascii=False)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        return event

    def events(self) -> list[FeedbackEvent]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            try:
                out.append(FeedbackEvent(**json.loads(line)))
            except (json.JSONDecodeError, TypeError):
                continue  # a torn or foreign line must not hide the rest
        return out

    def summary(self) -> dict[str, dict[str, int]]:
        """Counts per model version and verdict."""
        table: dict[str, dict[str, int]] = {}
        for e in self.events():
            row = table.setdefault(f"{e.model}@{e.model_version}" if e.model else "unknown", {})
            row[e.verdict] = row.get(e.verdict, 0) + 1
        return table
