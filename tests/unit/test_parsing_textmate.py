"""The TextMate grammars for VS Code: generated opcode list, one repository, valid patterns."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

TEXTMATE = Path(__file__).resolve().parents[2] / "grammar" / "textmate"
FILES = {
    "csound.tmLanguage.json": "source.csound",
    "csound-orc.tmLanguage.json": "source.csound.orc",
    "csound-sco.tmLanguage.json": "source.csound.sco",
    "csound-csd.tmLanguage.json": "source.csound.csd",
}


def _patterns(node: object) -> list[str]:
    """Every regular expression in a grammar (match/begin/end), recursively."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("match", "begin", "end") and isinstance(value, str):
                found.append(value)
            else:
                found.extend(_patterns(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_patterns(item))
    return found


@pytest.mark.parametrize(("filename", "scope"), list(FILES.items()))
def test_grammar_file_is_consistent(filename: str, scope: str) -> None:
    grammar = json.loads((TEXTMATE / filename).read_text())
    assert grammar["scopeName"] == scope
    repository = grammar["repository"]
    for include in re.findall(r'"#([\w-]+)"', json.dumps(grammar)):
        assert include in repository, f"{filename}: #{include} is not in the repository"
    for pattern in _patterns(grammar):
        if re.search(r"\\[1-9]", pattern):
            continue  # back-references to the begin captures (TextMate only)
        re.compile(pattern)


def test_builtin_opcodes_are_generated_and_exclude_keywords() -> None:
    grammar = json.loads((TEXTMATE / "csound.tmLanguage.json").read_text())
    builtins = re.compile(grammar["repository"]["builtin-opcodes"]["match"])
    for opcode in ("oscili", "moogladder", "vco2", "xin", "FLpanel"):
        assert builtins.fullmatch(opcode), opcode
    for word in ("instr", "endin", "kgoto", "oscilix"):
        assert not builtins.fullmatch(word), word
