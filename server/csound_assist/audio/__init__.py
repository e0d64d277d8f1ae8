"""Rendering and playing Csound files: the sandboxed offline render (with its level analysis), the
guard that refuses files with side effects, and the command line that Play runs.

    from csound_assist.audio import render
    result = render(Path("pluck.csd"), seconds=10)     # or the CSD text
    result.audible, result.channels[0].rms_dbfs, result.warnings

One implementation for the CLI (`csound-assist render`), the editor, the chat panel's "Render &
listen" and the model benchmark's audible@1.
"""

from __future__ import annotations

from csound_assist.audio.guard import Refusal, refusal
from csound_assist.audio.render import (
    AUDIBLE_DBFS,
    DEFAULT_SECONDS,
    MAX_SECONDS,
    RenderResult,
    play_command,
    render,
)
from csound_assist.audio.wav import ChannelStats, WavStats, analyze_wav

__all__ = [
    "AUDIBLE_DBFS", "DEFAULT_SECONDS", "MAX_SECONDS", "ChannelStats", "Refusal", "RenderResult",
    "WavStats", "analyze_wav", "play_command", "refusal", "render",
]
