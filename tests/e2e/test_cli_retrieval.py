"""`csound-assist index` and `csound-assist search` as a user runs them (real Qdrant, real BM25)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import helpers

MANUAL_EXAMPLES = Path("/usr/share/doc/csound-doc/html/examples")

FILTER = helpers.csd("""\
instr 1
  asaw vco2 0.4, 110
  kcf expon 200, p3, 8000
  afil moogladder asaw, kcf, 0.8
  outs afil, afil
endin""", sco="i 1 0 4", options=None)


def run_cli(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {"CSOUND_ASSIST_CACHE_DIR": str(cwd / "cache")}
    return helpers.run_cli(*args, cwd=cwd, env=env, timeout=timeout)


def workspace(tmp_path: Path, embedding_model: str = "hash") -> Path:
    (tmp_path / ".csound-assist.toml").write_text(
        f'[rag]\nembedding_model = "{embedding_model}"\ninclude_manual = false\n'
        "min_similarity = 0.0\n"
    )
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "filter.csd").write_text(FILTER)
    (corpus / "sine.orc").write_text("instr 2\n asig oscili 0.3, 440\n outs asig, asig\nendin\n")
    return corpus


def test_index_then_search_json(tmp_path: Path) -> None:
    corpus = workspace(tmp_path)
    empty = run_cli("search", "filter", cwd=tmp_path)
    assert empty.returncode == 1 and "csound-assist index" in empty.stderr

    built = run_cli("index", str(corpus), cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert "2 files" in built.stdout and "2 added" in built.stdout

    again = run_cli("index", str(corpus), cwd=tmp_path)
    assert "up to date" in again.stdout and "0 embedded" in again.stdout

    found = run_cli("search", "moogladder", "-k", "3", "--json", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    results = json.loads(found.stdout)
    assert 1 <= len(results) <= 3
    top = results[0]
    assert top["file"] == str((corpus / "filter.csd").resolve())
    assert {"score", "start_line", "end_line", "kind", "text", "opcodes"} <= set(top)
    assert "moogladder" in top["text"]

    table = run_cli("search", "oscili", cwd=tmp_path)
    assert table.returncode == 0 and "sine.orc" in table.stdout

    full = run_cli("index", "--full", str(corpus), cwd=tmp_path)
    assert full.returncode == 0 and "2 added" in full.stdout


def test_bad_arguments_are_clear_errors(tmp_path: Path) -> None:
    workspace(tmp_path)
    missing = run_cli("index", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    mode = run_cli("search", "x", "--mode", "fuzzy", cwd=tmp_path)
    assert mode.returncode == 2 and "--mode" in mode.stderr
    assert "Traceback" not in missing.stderr + mode.stderr


def test_watch_reindexes_changed_files(tmp_path: Path) -> None:
    corpus = workspace(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "csound_assist", "index", "--watch", str(corpus)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "CSOUND_ASSIST_CACHE_DIR": str(tmp_path / "cache")},
    )
    try:
        deadline = time.monotonic() + 120
        seen = ""
        while "ready" not in seen:  # the watcher prints "ready" once it observes the folder
            assert proc.poll() is None, seen
            assert time.monotonic() < deadline, seen
            seen += proc.stdout.readline()
        (corpus / "reverb.orc").write_text(
            "instr 3\n aL, aR reverbsc 0, 0, 0.85, 12000\n outs aL, aR\nendin\n"
        )
        deadline = time.monotonic() + 60
        while True:
            found = json.loads(run_cli("search", "reverbsc", "--json", cwd=tmp_path).stdout or "[]")
            if any(r["file"].endswith("reverb.orc") for r in found):
                break
            assert time.monotonic() < deadline, "the watcher did not index the new file"
            time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.skipif(not MANUAL_EXAMPLES.is_dir(), reason="needs the Csound manual examples")
def test_minilm_finds_a_filter_sweep_in_manual_examples(tmp_path: Path) -> None:
    workspace(tmp_path, "all-minilm-l6-v2")
    subset = tmp_path / "manual"
    subset.mkdir()
    names = [
        "moogladder",
        "moogvcf",
        "lowres",
        "oscili",
        "reverbsc",
        "pluck",
        "grain",
        "adsr",
        "vco2",
        "foscil",
        "delay",
        "pan2",
        "random",
        "line",
        "expon",
        "tone",
        "butterlp",
    ]
    for name in names:
        if (MANUAL_EXAMPLES / f"{name}.csd").exists():
            shutil.copy(MANUAL_EXAMPLES / f"{name}.csd", subset)
    built = run_cli("index", str(subset), cwd=tmp_path, timeout=600)
    assert built.returncode == 0, built.stderr
    found = run_cli("search", "resonant lowpass filter sweep", "--json", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    files = [Path(r["file"]).stem for r in json.loads(found.stdout)]
    assert len(files) == 5
    assert {"moogladder", "moogvcf", "lowres", "butterlp"} & set(files)
