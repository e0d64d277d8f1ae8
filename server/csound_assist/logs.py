"""Logging: JSON lines in the user log dir (rotated, retained, compressed) plus readable stderr.

Nothing here ever writes to stdout: in `serve` mode stdout is the LSP stream.
"""

from __future__ import annotations

import sys
from pathlib import Path

from loguru import logger

from csound_assist.paths import log_dir

LOG_FILE = "csound-assist.jsonl"
_configured: dict[str, object] = {}


def setup_logging(
    level: str = "INFO", *, stderr: bool = True, directory: Path | None = None
) -> Path:
    """(Re)configure loguru; idempotent for the same arguments. Returns the log file path."""
    level = level.upper()
    target = (directory or log_dir()) / LOG_FILE
    key = {"level": level, "stderr": stderr, "target": str(target)}
    if _configured == key:
        return target
    logger.remove()
    if stderr:
        logger.add(
            sys.stderr,
            level=level,
            format="<green>{time:HH:mm:ss}</green> <level>{level: <7}</level> {name}: {message}",
            colorize=sys.stderr.isatty(),
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        logger.add(
            target,
            level="DEBUG" if level in ("TRACE", "DEBUG") else level,
            serialize=True,
            rotation="10 MB",
            retention="30 days",
            compression="gz",
            enqueue=True,
        )
    except OSError as exc:  # a read-only home must not stop the server
        logger.warning("log file {} unavailable: {}", target, exc)
    _configured.clear()
    _configured.update(key)
    return target
