"""The grammar package itself: generated sources up to date, corpus and highlight tests, queries."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import tree_sitter_csound
from tree_sitter import Query

from csound_assist import parsing

ROOT = Path(__file__).resolve().parents[2]
GRAMMAR = ROOT / "grammar"


def _tree_sitter_cli() -> str | None:
    """The tree-sitter CLI: $TREE_SITTER_CLI, the repository's tools/tree-sitter, or PATH."""
    for candidate in (os.environ.get("TREE_SITTER_CLI"), ROOT / "tools" / "tree-sitter"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("tree-sitter")


CLI = _tree_sitter_cli()
needs_cli = pytest.mark.skipif(CLI is None, reason="tree-sitter CLI not found")


@pytest.mark.parametrize(
    "name", ["HIGHLIGHTS_QUERY", "LOCALS_QUERY", "FOLDS_QUERY", "TAGS_QUERY", "INJECTIONS_QUERY"]
)
def test_queries_ship_with_the_binding_and_compile(name: str) -> None:
    source = getattr(tree_sitter_csound, name)
    assert source.strip()
    Query(parsing.language(), source)


@needs_cli
def test_generated_sources_are_up_to_date(tmp_path: Path) -> None:
    shutil.copy(GRAMMAR / "grammar.js", tmp_path)
    shutil.copy(GRAMMAR / "package.json", tmp_path)
    proc = subprocess.run([CLI, "generate", "--no-bindings"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    for name in ("parser.c", "grammar.json", "node-types.json"):
        fresh = (tmp_path / "src" / name).read_text()
        assert fresh == (GRAMMAR / "src" / name).read_text(), (
            f"grammar/src/{name} is stale: run `tree-sitter generate --no-bindings` in grammar/"
        )


@needs_cli
@pytest.mark.slow
def test_corpus_and_highlight_tests_pass() -> None:
    proc = subprocess.run([CLI, "test"], cwd=GRAMMAR, capture_output=True, text=True,
                          timeout=600, check=False, env={**os.environ, "NO_COLOR": "1"})
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    assert "✗" not in output
