"""A light, error-tolerant view of a Csound document for the static checks.

Csound is line-oriented, so statements are read per line from the text with comments and string
contents blanked (columns kept). This keeps every check useful on code so broken that a parse tree
is mostly ERROR nodes, which is exactly when diagnostics matter most.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath

from csound_assist import lexical
from csound_assist.lexicon import KEYWORDS

IDENT = re.compile(r"[A-Za-z_]\w*")
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_LABEL = re.compile(r"\s*([A-Za-z_]\w*):(?=\s|$)")
CONTROL_FLOW = frozenset(["if", "elseif", "while", "until"])
KINDS = {".csd": "csd", ".orc": "orc", ".udo": "udo", ".inc": "udo", ".sco": "sco"}


def kind_of(path: str | PurePath | None, text: str = "") -> str:
    """What a document holds: csd, orc, udo (an orchestra fragment) or sco."""
    if path is not None:
        kind = KINDS.get(PurePath(path).suffix.lower())
        if kind:
            return kind
    return "csd" if "<CsoundSynthesizer" in text else "orc"


_BLANKABLE = re.compile(
    r'/\*.*?(?:\*/|\Z)|;[^\n]*|//[^\n]*|"(?:\\.|[^"\\\n])*"?|\{\{.*?(?:\}\}|\Z)', re.DOTALL
)


def _blank(m: re.Match[str]) -> str:
    s = m.group(0)
    if s[0] == '"':  # keep the quotes, blank the contents
        inner = s[1:-1] if len(s) > 1 and s.endswith('"') else s[1:]
        return '"' + " " * len(inner) + s[1 + len(inner) :]
    if s.startswith("{{"):
        inner = s[2:-2] if s.endswith("}}") else s[2:]
        return "{{" + re.sub(r"[^\n]", " ", inner) + s[2 + len(inner) :]
    return re.sub(r"[^\n]", " ", s)


def blank_code(text: str) -> str:
    """Blank comments and string contents, keeping every newline and column."""
    return _BLANKABLE.sub(_blank, text)


@dataclass(slots=True)
class Token:
    text: str
    line: int
    start: int
    end: int


@dataclass(slots=True)
class Statement:
    line: int
    outputs: list[Token]
    opcode: Token | None  # the opcode, keyword, or "=" for assignments
    args: list[Token]  # argument expressions (raw text, positions on the line)
    label: Token | None = None

    @property
    def is_call(self) -> bool:
        return (
            self.opcode is not None
            and self.opcode.text not in KEYWORDS
            and not self.opcode.text.endswith("=")
        )


@dataclass(slots=True)
class Block:
    kind: str  # "instr" | "opcode"
    names: list[Token]
    start: int
    end: int | None  # line of endin/endop, None if missing
    closer: Token | None = None
    out_types: str = ""
    in_types: str = ""

    @property
    def last_line(self) -> int:
        return self.end if self.end is not None else self.start


@dataclass(slots=True)
class ScoreEvent:
    letter: Token
    fields: list[Token]


@dataclass
class Source:
    text: str
    kind: str
    lines: list[str]
    code: list[str]
    orc: list[int] = field(default_factory=list)  # lines holding orchestra code
    sco: list[int] = field(default_factory=list)  # lines holding score code
    orc_close: int | None = None  # line of </CsInstruments>, or None
    orc_open: int | None = None  # line of <CsInstruments>
    statements: dict[int, Statement] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    stray: list[Token] = field(default_factory=list)  # closers/keywords in the wrong place
    score: list[ScoreEvent] = field(default_factory=list)

    _owner: dict[int, Block] = field(default_factory=dict, repr=False)  # line → its block
    _last: dict[int, int] = field(default_factory=dict, repr=False)  # block start → last line

    def index_blocks(self) -> None:
        """Map every line to its block once (blocks are sorted by start line)."""
        self.blocks.sort(key=lambda b: b.start)
        self._owner.clear()
        self._last.clear()
        stop = self.orc[-1] if self.orc else 0
        for i, b in enumerate(self.blocks):
            nxt = self.blocks[i + 1].start - 1 if i + 1 < len(self.blocks) else stop
            last = b.end if b.end is not None else max(nxt, b.start)
            self._last[b.start] = last
            for ln in range(b.start, last + 1):
                self._owner.setdefault(ln, b)

    def block_at(self, line: int) -> Block | None:
        return self._owner.get(line)

    def _open_end(self, b: Block) -> int:
        return self._last.get(b.start, b.start)

    def block_lines(self, b: Block) -> range:
        """The lines inside a block, between its header and its closer (or where it stops)."""
        if b.end is not None:
            return range(b.start + 1, b.end)
        return range(b.start + 1, self._open_end(b) + 1)

    def global_lines(self) -> list[int]:
        return [ln for ln in self.orc if ln not in self._owner]


def parse_source(
    text: str, kind: str = "csd", is_opcode: Callable[[str], bool] = lambda _w: False
) -> Source:
    lines = text.split("\n")
    code = blank_code(text).split("\n")
    src = Source(text, kind, lines, code)
    _regions(src)
    _statements(src, is_opcode)
    src.index_blocks()
    _score(src)
    return src


def _regions(src: Source) -> None:
    if src.kind in ("orc", "udo"):
        src.orc = list(range(len(src.lines)))
        return
    if src.kind == "sco":
        src.sco = list(range(len(src.lines)))
        return
    section = None
    for i, line in enumerate(src.lines):
        tag = lexical.section_tag(line)
        if tag is None:
            if section == "CsInstruments":
                src.orc.append(i)
            elif section == "CsScore":
                src.sco.append(i)
            continue
        closing, name = tag
        if closing:
            if name == "CsInstruments" and section == name:
                src.orc_close = i
            section = None
        else:
            section = name
            if name == "CsInstruments":
                src.orc_open = i


def split_args(code: str, start: int, line: int) -> list[Token]:
    """Comma-separated argument expressions from `start`, ignoring commas inside brackets."""
    args: list[Token] = []
    depth, seg = 0, start
    for i in range(start, len(code) + 1):
        c = code[i] if i < len(code) else ","
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "," and (depth <= 0 or i == len(code)):
            a, b = seg, i
            while a < b and code[a].isspace():
                a += 1
            while b > a and code[b - 1].isspace():
                b -= 1
            if b > a or args or i < len(code):
                args.append(Token(code[a:b], line, a, b))
            seg = i + 1
    if len(args) == 1 and not args[0].text:
        return []
    return args


def parse_statement(
    code: str, line: int, is_opcode: Callable[[str], bool] = lambda _w: False
) -> Statement | None:
    """Split one orchestra line into label, outputs, opcode (or keyword, or "=") and arguments."""
    label = None
    pos = 0
    m = _LABEL.match(code)
    if m and m.group(1) not in KEYWORDS:
        label = Token(m.group(1), line, m.start(1), m.end(1))
        pos = m.end()
    first = IDENT.match(code, _skip_ws(code, pos))
    if first is None:
        return Statement(line, [], None, [], label) if label else None
    word = first.group(0)
    tok = Token(word, line, first.start(), first.end())
    if word == "for" and (loop := _FOR.match(code, pos)) is not None:
        names = [Token(loop.group(g), line, loop.start(g), loop.end(g))
                 for g in (1, 2) if loop.group(g)]
        return Statement(line, names, tok, split_args(code, loop.end(), line), label)
    if word in KEYWORDS:
        return Statement(line, [], tok, split_args(code, first.end(), line), label)
    p = _skip_ws(code, _skip_brackets(code, first.end()))
    nxt = code[p : p + 1]
    if nxt in "+-*/" and nxt and code[p + 1 : p + 2] == "=":  # compound assignment: `kx += 1`
        op = Token(code[p : p + 2], line, p, p + 2)
        return Statement(line, [tok], op, split_args(code, p + 2, line), label)
    if nxt == "," or (nxt == "=" and not code.startswith("==", p)):
        return _with_outputs(code, line, tok, p, label)
    m2 = IDENT.match(code, p) if p > first.end() else None
    if m2 is None:
        return Statement(line, [], tok, split_args(code, first.end(), line), label)
    w2 = m2.group(0)
    after2 = code[_skip_ws(code, m2.end()) : _skip_ws(code, m2.end()) + 1]
    called = code[m2.end() : m2.end() + 1] == "("
    if lexical.opcode_first(word, w2, after2, called, is_opcode, KEYWORDS):
        return Statement(line, [], tok, split_args(code, first.end(), line), label)
    return _with_outputs(code, line, tok, p, label)


def _with_outputs(code: str, line: int, tok: Token, p: int, label: Token | None) -> Statement:
    outputs = [tok]
    while p < len(code) and code[p] == ",":
        m2 = IDENT.match(code, _skip_ws(code, p + 1))
        if not m2:
            break
        outputs.append(Token(m2.group(0), line, m2.start(), m2.end()))
        p = _skip_ws(code, _skip_brackets(code, m2.end()))
    if code.startswith("=", p) and not code.startswith("==", p):
        return Statement(
            line, outputs, Token("=", line, p, p + 1), split_args(code, p + 1, line), label
        )
    m3 = IDENT.match(code, p)
    if m3:
        op = Token(m3.group(0), line, m3.start(), m3.end())
        return Statement(line, outputs, op, split_args(code, m3.end(), line), label)
    return Statement(line, outputs, None, [], label)


def _skip_ws(code: str, p: int) -> int:
    while p < len(code) and code[p] in " \t\r":
        p += 1
    return p


# What may follow an output's name: Csound 7's `@global`, a type (`:i`, `:Note[]`), a struct
# member (`.pitch`).
_DECORATION = re.compile(r"@global(?=:)|:[A-Za-z]\w*|\.[A-Za-z_]\w*")


def _skip_brackets(code: str, p: int) -> int:
    """Past an output's subscripts and Csound 7 decorations (`kArr[i]`, `notes[0].pitch`,
    `amp@global:i`, `arr:i[]`)."""
    while p < len(code):
        if code[p] == "[":
            q = code.find("]", p)
            p = len(code) if q < 0 else q + 1
            continue
        m = _DECORATION.match(code, p)
        if m is None:
            break
        p = m.end()
    return p


# Csound 7: `for note:i, index:i in notes do` (the loop variables are written)
_FOR = re.compile(r"\s*for\s+([A-Za-z_]\w*)(?::\w+)?(?:\s*,\s*([A-Za-z_]\w*)(?::\w+)?)?\s+in\b")


_INSTR = re.compile(r"\s*instr\b")
_OPCODE = re.compile(r"\s*opcode\s+(\w+)\s*,\s*([\w\[\]]*)\s*,\s*([\w\[\]]*)")
_OPCODE_NEW = re.compile(r"\s*opcode\s+(\w+)\s*\(")
_OPCODE_BARE = re.compile(r"\s*opcode\s+(\w+)\s*$")  # no types: still a block (reported)


def _statements(src: Source, is_opcode: Callable[[str], bool]) -> None:
    current: Block | None = None
    for i in src.orc:
        code = src.code[i]
        if not code.strip() or code.lstrip().startswith("#"):
            continue
        if _INSTR.match(code):
            if current is not None:
                src.blocks.append(current)  # previous block left open
            names = [
                Token(m.group(0), i, m.start(), m.end())
                for m in re.finditer(r"[+]?\w+", code[code.index("instr") + 5 :])
            ]
            off = code.index("instr") + 5
            names = [Token(t.text, i, t.start + off, t.end + off) for t in names]
            current = Block("instr", names, i, None)
            continue
        m = _OPCODE.match(code) or _OPCODE_NEW.match(code) or _OPCODE_BARE.match(code)
        if m:
            if current is not None:
                src.blocks.append(current)
            name = Token(m.group(1), i, m.start(1), m.end(1))
            b = Block("opcode", [name], i, None)
            if m.re is _OPCODE:
                b.out_types, b.in_types = m.group(2), m.group(3)
            current = b
            continue
        st = parse_statement(code, i, is_opcode)
        if st is None:
            continue
        word = st.opcode.text if st.opcode else ""
        if word in ("endin", "endop") and not st.outputs:
            tok = st.opcode
            assert tok is not None
            expected = "endin" if current and current.kind == "instr" else "endop"
            if current is None or word != expected:
                src.stray.append(tok)
            if current is not None:
                current.end, current.closer = i, tok
                src.blocks.append(current)
                current = None
            continue
        src.statements[i] = st
    if current is not None:
        src.blocks.append(current)


def _score(src: Source) -> None:
    for i in src.sco:
        code = src.code[i]
        m = re.match(r"\s*([a-zA-Z])", code)
        if not m:
            continue
        letter = Token(m.group(1), i, m.start(1), m.end(1))
        raw = src.lines[i]
        fields = [
            Token(raw[f.start() + m.end(1) : f.end() + m.end(1)], i, f.start(), f.end())
            for f in re.finditer(r'"[^"]*"|[^\s"]+', code[m.end(1) :])
        ]
        off = m.end(1)
        fields = [Token(f.text, i, f.start + off, f.end + off) for f in fields]
        src.score.append(ScoreEvent(letter, fields))
