from __future__ import annotations

import json
from pathlib import Path

from loguru import logger

from csound_assist.logs import LOG_FILE, setup_logging


def test_json_lines_go_to_the_log_dir_and_nothing_to_stdout(tmp_path: Path, capsys) -> None:
    target = setup_logging("INFO", directory=tmp_path)
    logger.info("hello {}", "csound")
    logger.debug("hidden at INFO")
    logger.complete()
    assert target == tmp_path / LOG_FILE
    records = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["record"]["message"] for r in records] == ["hello csound"]
    out = capsys.readouterr()
    assert out.out == ""
    assert "hello csound" in out.err
