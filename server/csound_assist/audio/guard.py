"""What the sandboxed render refuses: files whose orchestra runs programs, writes files, loads
code, or compiles code at run time that cannot be checked beforehand.

The list is derived from the manual's docs in the knowledge base (each opcode's summary and the
first sentences of its description), so it follows the installed Csound; `FLOOR` holds the
opcodes that must be refused even when the knowledge base cannot be loaded, and the unit tests
check that the derivation alone finds them.

The scan reads the orchestra (and `<CsOptions>`, where `--omacro:` values live) with comments and
string contents blanked, follows `#include`s, and refuses macro uses glued to a name
(`sys$M.`), since those can assemble an opcode name the scan would not see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from loguru import logger

from csound_assist.diagnostics import includes
from csound_assist.diagnostics.source import blank_code, kind_of

RUNS_PROGRAMS = "runs external programs"
WRITES_FILES = "writes files"
RUNS_CODE = "runs Python or native plugin code"
COMPILES_CODE = "compiles code at run time, which cannot be checked beforehand"

# Opcodes refused whatever the knowledge base says (it may be missing or from another Csound).
FLOOR: dict[str, str] = {
    "system": RUNS_PROGRAMS,
    "system_i": RUNS_PROGRAMS,
    **dict.fromkeys(
        (
            "fout", "fouti", "foutir", "foutk", "fprints", "fprintks", "fiopen",
            "dumpk", "dumpk2", "dumpk3", "dumpk4", "ftsave", "ftsavek", "ftaudio",
            "soundout", "soundouts", "pvsfwrite", "mp3out", "hdf5write", "FLsavesnap",
        ),
        WRITES_FILES,
    ),
    **dict.fromkeys(("pyrun", "pyruni", "pyexec", "pyexeci", "pyinit"), RUNS_CODE),
    **dict.fromkeys(
        ("compilestr", "compileorc", "compilecsd", "evalstr", "faustcompile", "faustgen"),
        COMPILES_CODE,
    ),
}

_PROGRAM = re.compile(r"external program|system call|shell command", re.IGNORECASE)
# "writes … to an external file", "Save … to a file", "prints to a file", "into a file".
_WRITES = re.compile(
    r"\b(?:writ(?:e|es|ing)|saves?|outputs?|prints?|dumps?|records?)\b[^.]*?"
    r"\b(?:to|into)\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+){0,3}?file\b",
    re.IGNORECASE,
)
_OPENS = re.compile(r"\bopens? a file\b", re.IGNORECASE)
_COMPILES = re.compile(
    r"\bcompiles?\b[^.]*\b(?:orchestra|csd)\b|\bevaluates? a string\b", re.IGNORECASE
)
_CODE_CATEGORIES = ("Python", "Plugin Hosting")
# Faust programs are compiled to native code at run time (and can call C functions).
_JIT = re.compile(r"\bFaust\b|just-in-time compil", re.IGNORECASE)
_INTERPRETER = re.compile(r"\b(?:Python|Lua)\b")

_SECTION = re.compile(
    r"<(CsOptions|CsInstruments)>(.*?)(?:</\1>|\Z)", re.DOTALL | re.IGNORECASE
)
_MACRO_FLAG = re.compile(r"--?[os]macro:\S+")
_INCLUDE = re.compile(r"#include(?:str)?\s+(\S)(.+?)\1")
_WORD = re.compile(r"(?<![\w$.])[A-Za-z_]\w*")
_GLUED_MACRO = re.compile(r"\w\$[A-Za-z_]\w*\.?|\$[A-Za-z_]\w*\.\w")
MAX_INCLUDES = 50
MAX_INCLUDE_BYTES = 2_000_000


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a file is not rendered: the opcode (or construct), the reason, and where."""

    name: str
    reason: str
    line: int  # 0-based, in `file` (the document itself when None)
    file: str | None = None

    def message(self) -> str:
        where = f"{self.file}:{self.line + 1}" if self.file else f"line {self.line + 1}"
        what = f"'{self.name}'" if self.name.isidentifier() else self.name
        return (
            f"not rendered: {what} at {where} {self.reason}; the sandboxed render never runs such "
            "a file (Play runs your own files as they are)"
        )


def _first_sentences(text: str, n: int = 2) -> str:
    return " ".join(re.split(r"(?<=[.!?])\s+", text.strip())[:n])


def derive(kb: object) -> dict[str, str]:
    """Opcode → reason, from the knowledge base's docs (`kb.opcodes`: name → Opcode)."""
    out: dict[str, str] = {}
    for name, op in getattr(kb, "opcodes", {}).items():
        category = getattr(op, "category", "") or ""
        text = f"{getattr(op, 'summary', '')} {_first_sentences(getattr(op, 'description', ''))}"
        if _PROGRAM.search(text):
            out[name] = RUNS_PROGRAMS
        elif any(category.startswith(c) for c in _CODE_CATEGORIES) or _INTERPRETER.search(text):
            out[name] = RUNS_CODE
        elif _COMPILES.search(text) or _JIT.search(text):
            out[name] = COMPILES_CODE
        elif _WRITES.search(text) or _OPENS.search(text):
            out[name] = WRITES_FILES
    return out


@lru_cache(maxsize=1)
def refused_opcodes() -> dict[str, str]:
    """Every refused opcode with its reason: derived from the manual, plus `FLOOR`."""
    derived: dict[str, str] = {}
    try:
        from csound_assist.knowledge import load_knowledge_base

        derived = derive(load_knowledge_base())
    except Exception as exc:  # no Csound or manual: the floor still holds
        logger.warning("render guard without the knowledge base ({}); using its fixed list", exc)
    return {**derived, **FLOOR}


def _scanned_regions(text: str, kind: str) -> str:
    """The text with all but the orchestra and the options' macro flags blanked (newlines
    kept): an output name such as `-o fout.wav` is not an opcode call."""
    if kind != "csd":
        return text
    keep = [" " if c != "\n" else c for c in text]
    for m in _SECTION.finditer(text):
        a, b = m.span(2)
        if m.group(1).lower() == "csinstruments":
            keep[a:b] = text[a:b]
            continue
        for flag in _MACRO_FLAG.finditer(text, a, b):
            keep[flag.start():flag.end()] = flag.group(0)
    return "".join(keep)


def _scan(text: str, refused: dict[str, str], file: str | None) -> Refusal | None:
    for number, line in enumerate(blank_code(text).split("\n")):
        glued = _GLUED_MACRO.search(line)
        if glued:
            return Refusal(
                f"'{glued.group(0)}'",
                "glues a macro to a name, which can build an opcode name the check cannot see",
                number,
                file,
            )
        for m in _WORD.finditer(line):
            reason = refused.get(m.group(0))
            if reason:
                return Refusal(m.group(0), reason, number, file)
    return None


def refusal(
    text: str, path: Path | None = None, *, refused: dict[str, str] | None = None
) -> Refusal | None:
    """The first reason not to render `text` (its orchestra and `#include`d files), or None."""
    refused = refused if refused is not None else refused_opcodes()
    folder = path.parent if path is not None else None
    kind = kind_of(path, text)
    if kind == "sco":
        return None  # a score calls no opcodes; its orchestra is checked on its own
    # A device, FIFO, URL or too large a file: csound would read it without end (or block).
    unsafe = includes.resolve(text, folder).refused
    if unsafe:
        first = unsafe[0]
        return Refusal("#include", f"names what is never read ({first.message})",
                       first.include.line)
    start = _scanned_regions(text, kind)
    queue: list[tuple[str, str | None, Path | None]] = [(start, None, folder)]
    seen: set[Path] = set()
    while queue:
        body, name, base = queue.pop(0)
        found = _scan(body, refused, name)
        if found:
            return found
        for m in _INCLUDE.finditer(body):
            target = Path(m.group(2).strip())
            if not target.is_absolute() and base is not None:
                target = base / target
            try:
                target = target.resolve()
                if target in seen or not target.is_file():
                    continue
                if len(seen) >= MAX_INCLUDES or target.stat().st_size > MAX_INCLUDE_BYTES:
                    line = body.count("\n", 0, m.start())
                    return Refusal("#include", "includes more than the check reads", line, name)
                seen.add(target)
                included = target.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue  # Csound cannot read it either: the render fails with its own error
            queue.append((included, target.name, target.parent))
    return None
