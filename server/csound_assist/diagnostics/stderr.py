"""Csound's stderr → diagnostics on exact ranges.

Shapes handled (all captured from Csound 6.18, see tests/data/stderr/):
  * parser errors: `error: syntax error, unexpected X  (token "T")` + ` from file F (N), line L:` +
    ` >>> text up to the token <<<` (the token may be a newline; the text carries a NUL byte);
  * `Unable to find opcode entry for 'op' with matching argument types:` + `Found: …` + `Line: L`;
  * `Variable 'x' used before defined` + `Line L` (Csound's line is often one short; we search);
  * `Cannot open #include'd file F`; `instr N redefined`; score `sread:` complaints;
  * `from file b.udo (3), from file a.inc (2), from file main.orc (1)` include backtraces: an
    error in an included file is shown on the `#include` line of the document, with the real
    place as related info.
ANSI colour codes and NUL bytes are stripped first. Any `error:` we do not recognise still becomes a
diagnostic over the whole file with the raw text: a compiler error is never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types as lsp

from csound_assist.diagnostics.model import SOURCE_COMPILER, Code, diagnostic, rng

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_CHAIN_ITEM = re.compile(r"from file (.+?) \((\d+)\)")
_SYNTAX = re.compile(
    r"error: syntax error, (?P<msg>[^\n]*?)\s*\(token \"(?P<tok>.*?)\"\)[ \t]*\n"
    r"(?P<chain>[^\n]*?from file [^\n]*?),\s*line (?P<line>\d+):[ \t]*\n"
    r"\s*>>>(?P<ctx>[^\n]*?)<<<",
    re.DOTALL,
)
_SYNTAX_BARE = re.compile(r"error: syntax error, (?P<msg>[^\n]*)")
_ARG_TYPES = re.compile(
    r"error:\s+Unable to find opcode entry for '(?P<op>[^']+)' with matching argument types:\s*\n"
    r"(?:\s*\n)*\s*Found:\s*(?P<found>[^\n]*)\n(?P<usage>[^\n]*)\n\s*Line:\s*(?P<line>\d+)"
)
_BEFORE = re.compile(
    r"error:\s+Variable '(?P<var>[^']+)' used before defined\s*\n\s*Line:?\s*(?P<line>\d+)"
)
_UNTYPED = re.compile(r"error:\s+Variable type for (?P<var>\S+) could not be determined\.")
_INCLUDE = re.compile(r"Cannot open #include'd file (?P<file>[^\n]+)")
_REDEFINED = re.compile(r"error:\s+instr (?P<name>\S+) redefined")
_SREAD = re.compile(r"sread: (?P<msg>[^\n]+)\n\s*section \d+:\s+at position (?P<pos>\d+)")
_ERROR_LINE = re.compile(r"^(?!\s*WARNING).*\berror\b.*$", re.IGNORECASE | re.MULTILINE)
# Lines that are not errors by themselves, or repeat one already reported.
_NOISE = re.compile(
    r"Parsing failed|Stopping on parser failure|cannot compile orchestra|errors? in performance"
    r"|syntax errors in orchestra|Unexpected untyped word|could not be determined"
    r"|Reading CSD failed",
)


@dataclass(frozen=True, slots=True)
class Mapping:
    """How the checked files relate to the document.

    `main_index` is the document's number in Csound's `from file F (N)` chain (1, or 2 when the
    document was wrapped by a generated orchestra); `line_offset` is added to Csound's line
    numbers of that file; `legacy_offset` is tried when a reported line does not match (older
    Csounds counted CSD orchestra lines from `<CsInstruments>`); `folder` resolves included files
    for related information.
    """

    main_index: int = 1
    line_offset: int = 0
    legacy_offset: int = 0
    folder: Path | None = None


def clean(raw: str | bytes) -> str:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    return _ANSI.sub("", raw).replace("\x00", "").replace("\r\n", "\n")


def parse_stderr(
    raw: str | bytes,
    text: str,
    mapping: Mapping | None = None,
    forms: Callable[[str], list[str]] | None = None,
) -> list[lsp.Diagnostic]:
    """Diagnostics for `text` from the output of `csound --syntax-check-only` on it.

    `forms(opcode)` lists an opcode's accepted forms (e.g. "a vco2 kkoOOo") for the
    argument-types message; without it the message shows only what Csound found.
    """
    mapping = mapping or Mapping()
    out = clean(raw)
    doc = _Doc(text)
    diags: list[lsp.Diagnostic] = []
    used: list[tuple[int, int]] = []  # spans of `out` already explained

    for m in _SYNTAX.finditer(out):
        used.append(m.span())
        diags.append(_syntax(m, doc, mapping))
    for m in _ARG_TYPES.finditer(out):
        used.append(m.span())
        diags.append(_arg_types(m, doc, mapping, forms))
    before_vars: set[str] = set()
    for m in _BEFORE.finditer(out):
        used.append(m.span())
        before_vars.add(m.group("var"))
        line = _doc_line(int(m.group("line")), mapping)
        var = m.group("var")
        where = doc.find_word(var, line, order=(0, 1, 2, -1, 3, -2)) or doc.first_word(var)
        msg = f"Variable '{var}' is used before it is defined"
        diags.append(_at(where, doc, line, msg, Code.USED_BEFORE_DEFINED))
    for m in _UNTYPED.finditer(out):
        used.append(m.span())
        var = m.group("var")
        if var in before_vars:
            continue
        where = doc.first_word(var)
        msg = f"The type of variable '{var}' could not be determined"
        diags.append(_at(where, doc, 0, msg, Code.USED_BEFORE_DEFINED))
    for m in _INCLUDE.finditer(out):
        used.append(m.span())
        name = m.group("file").strip()
        where = doc.include_line(name)
        msg = f"Cannot open included file '{name}'"
        if where is None:
            diags.append(_whole(doc, msg, Code.INCLUDE))
        else:
            line, a, b = where
            diags.append(diagnostic(line, a, b, msg, Code.INCLUDE, source=SOURCE_COMPILER))
    for m in _REDEFINED.finditer(out):
        used.append(m.span())
        name = m.group("name")
        defs = doc.instr_lines(name)
        msg = f"instr {name} is defined more than once"
        if len(defs) >= 2:
            line, a, b = defs[1]
            diags.append(diagnostic(line, a, b, msg, Code.REDEFINED, source=SOURCE_COMPILER))
        else:
            diags.append(_whole(doc, msg, Code.REDEFINED))
    for m in _SREAD.finditer(out):
        used.append(m.span())
        diags.append(_sread(m, doc))
    for m in _SYNTAX_BARE.finditer(out):
        if not _inside(m.start(), used):
            used.append(m.span())
            diags.append(_whole(doc, "syntax error, " + m.group("msg").strip(), Code.SYNTAX))
    for m in _ERROR_LINE.finditer(out):
        line_text = m.group(0).strip()
        if _inside(m.start(), used) or _NOISE.search(line_text):
            continue
        diags.append(_whole(doc, line_text, Code.COMPILER))
    return diags


def failure_without_diagnostics(raw: str | bytes, text: str) -> lsp.Diagnostic:
    """Csound failed but said nothing we could place: show its last meaningful lines over the
    file."""
    lines = [ln.strip() for ln in clean(raw).splitlines() if ln.strip()]
    keep = [
        ln for ln in lines if not re.match(r"(Elapsed time|end of score|overall|\d+ errors in)", ln)
    ]
    message = "\n".join(keep[-6:]) or "csound failed without a message"
    return _whole(_Doc(text), message, Code.COMPILER)


# --- helpers ------------------------------------------------------------------------------------


class _Doc:
    def __init__(self, text: str) -> None:
        from csound_assist.diagnostics.source import blank_code

        self.lines = text.split("\n")
        self.code = blank_code(text).split("\n")

    def clamp(self, line: int) -> int:
        return max(0, min(line, len(self.lines) - 1))

    def find_word(
        self, word: str, line: int, order: tuple[int, ...] = (0,)
    ) -> tuple[int, int, int] | None:
        pat = re.compile(rf"(?<![\w$#]){re.escape(word)}(?!\w)")
        for d in order:
            ln = line + d
            if 0 <= ln < len(self.code):
                m = pat.search(self.code[ln])
                if m:
                    return ln, m.start(), m.end()
        return None

    def first_word(self, word: str) -> tuple[int, int, int] | None:
        return self.find_word(word, 0, order=tuple(range(len(self.code))))

    def include_line(self, name: str) -> tuple[int, int, int] | None:
        base = Path(name).name
        for i, line in enumerate(self.lines):
            if "#include" in line and (name in line or base in line):
                a = line.find(name) if name in line else line.find(base)
                return i, a, a + len(name if name in line else base)
        return None

    def include_of(self, name: str) -> tuple[int, int, int] | None:
        return self.include_line(name)

    def instr_lines(self, name: str) -> list[tuple[int, int, int]]:
        found = []
        pat = re.compile(rf"^\s*instr\b.*?(?<![\w+])\+?({re.escape(name)})(?!\w)")
        for i, line in enumerate(self.code):
            m = pat.match(line)
            if m:
                found.append((i, m.start(1), m.end(1)))
        return found

    def line_range(self, line: int) -> tuple[int, int, int]:
        line = self.clamp(line)
        text = self.lines[line]
        a = len(text) - len(text.lstrip())
        return line, a, max(len(text.rstrip()), a)


def _doc_line(csound_line: int, mapping: Mapping) -> int:
    return csound_line - 1 + mapping.line_offset


def _at(
    where: tuple[int, int, int] | None, doc: _Doc, line: int, msg: str, code: Code
) -> lsp.Diagnostic:
    ln, a, b = where if where is not None else doc.line_range(line)
    return diagnostic(ln, a, b, msg, code, source=SOURCE_COMPILER)


def _whole(doc: _Doc, msg: str, code: Code) -> lsp.Diagnostic:
    last = len(doc.lines) - 1
    return diagnostic(0, 0, len(doc.lines[last]), msg, code, source=SOURCE_COMPILER, end_line=last)


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


def _chain(text: str) -> list[tuple[str, int]]:
    return [(m.group(1), int(m.group(2))) for m in _CHAIN_ITEM.finditer(text)]


def _syntax(m: re.Match[str], doc: _Doc, mapping: Mapping) -> lsp.Diagnostic:
    token = m.group("tok")
    what = m.group("msg").strip()
    shown = "newline" if token == "\n" else ("end of file" if token == "" else f"'{token}'")
    message = f"Syntax error: {what} (at {shown})" if token != "" else f"Syntax error: {what}"
    chain = _chain(m.group("chain"))
    csound_line = int(m.group("line"))
    ctx = m.group("ctx")
    ctx = ctx[1:] if ctx.startswith(" ") else ctx
    ctx = ctx[:-1] if ctx.endswith(" ") else ctx
    if chain and chain[0][1] < mapping.main_index:
        # In the generated wrapper, after the fragment: the fragment ended inside a block.
        last = max((i for i, t in enumerate(doc.lines) if t.strip()), default=0)
        return diagnostic(*doc.line_range(last), message, Code.SYNTAX, source=SOURCE_COMPILER)
    if chain and chain[0][1] != mapping.main_index:
        return _in_include(chain, mapping, doc, message, csound_line, Code.SYNTAX)
    line = _doc_line(csound_line, mapping)
    for cand in (line, line + mapping.legacy_offset):
        if 0 <= cand < len(doc.lines) and ctx.strip() and doc.lines[cand].startswith(ctx.rstrip()):
            line = cand
            break
    line = doc.clamp(line)
    text = doc.lines[line]
    if token == "":  # end of file: the block above is unclosed
        return diagnostic(*doc.line_range(line), message, Code.SYNTAX, source=SOURCE_COMPILER)
    end = len(ctx.rstrip()) if text.startswith(ctx.rstrip()) and ctx.strip() else -1
    if token == "\n":
        stop = len(text.rstrip())
        return diagnostic(
            line, max(stop - 1, 0), max(stop, 1), message, Code.SYNTAX, source=SOURCE_COMPILER
        )
    if end >= len(token) and text[end - len(token) : end] == token:
        return diagnostic(line, end - len(token), end, message, Code.SYNTAX, source=SOURCE_COMPILER)
    at = text.find(token)
    if at >= 0:
        return diagnostic(line, at, at + len(token), message, Code.SYNTAX, source=SOURCE_COMPILER)
    return diagnostic(*doc.line_range(line), message, Code.SYNTAX, source=SOURCE_COMPILER)


def _in_include(
    chain: list[tuple[str, int]], mapping: Mapping, doc: _Doc, message: str, line: int, code: Code
) -> lsp.Diagnostic:
    """An error inside an included file, shown on the document's `#include` that leads to it."""
    inner_name = chain[0][0]
    # The file the document includes directly is the chain entry just inside the document's own.
    idx = next((i for i, (_n, k) in enumerate(chain) if k == mapping.main_index), len(chain))
    direct = chain[idx - 1][0] if idx >= 1 else inner_name
    where = doc.include_of(direct)
    msg = f"In included file {inner_name}, line {line}: {message}"
    related = None
    if mapping.folder is not None:
        path = (mapping.folder / inner_name).resolve()
        if path.exists():
            loc = lsp.Location(uri=path.as_uri(), range=rng(line - 1, 0, line - 1, 0))
            related = [lsp.DiagnosticRelatedInformation(location=loc, message=message)]
    if where is None:
        last = len(doc.lines) - 1
        return diagnostic(
            0,
            0,
            len(doc.lines[last]),
            msg,
            code,
            source=SOURCE_COMPILER,
            end_line=last,
            related=related,
        )
    ln, a, b = where
    return diagnostic(ln, a, b, msg, code, source=SOURCE_COMPILER, related=related)


def _arg_types(
    m: re.Match[str], doc: _Doc, mapping: Mapping, forms: Callable[[str], list[str]] | None
) -> lsp.Diagnostic:
    op = m.group("op")
    found = " ".join(m.group("found").split())
    line = _doc_line(int(m.group("line")), mapping)
    known = forms(op)[:6] if forms is not None else []
    where = doc.find_word(op, line, order=(0, 1, -1, 2, -2, 3))
    msg = f"No form of '{op}' takes these argument types (found: {found})"
    if known:
        msg += "; its forms: " + ", ".join(known)
    return _at(where, doc, line, msg, Code.ARG_TYPES)


def _sread(m: re.Match[str], doc: _Doc) -> lsp.Diagnostic:
    msg = f"Score: {m.group('msg').strip()}"
    char = re.search(r"unexpected char (\S)", m.group("msg"))
    lines = range(len(doc.lines))
    start = next((i for i, t in enumerate(doc.lines) if "<CsScore" in t), -1) + 1
    if char:
        pat = re.compile(rf"(?<![\w.\"]){re.escape(char.group(1))}(?![\w.])")
        for i in lines[start:]:
            mm = pat.search(doc.code[i])
            if mm and doc.code[i].strip()[:1].isalpha():
                return diagnostic(
                    i,
                    mm.start(),
                    mm.end(),
                    msg,
                    Code.SCORE,
                    source=SOURCE_COMPILER,
                    severity=lsp.DiagnosticSeverity.Warning,
                )
    ln, a, b = doc.line_range(start)
    return diagnostic(
        ln, a, b, msg, Code.SCORE, source=SOURCE_COMPILER, severity=lsp.DiagnosticSeverity.Warning
    )
