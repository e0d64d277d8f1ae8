"""A document outline: sections, instruments, UDOs, statements, variables, macros, labels, score
events.

Instruments, UDOs and opcode statements (with their outputs, inputs and the variables they define)
are read from the document's tree when it has one. Lines the tree has no clean statement for
(control flow, half-typed or ERROR lines, a plugin opcode the grammar misreads next to a known
one) and documents without a tree (oversized, no grammar) are read line by line from the text with
comments and string contents blanked out (columns kept), so every feature stays useful on huge
files and on code so broken that the tree is mostly ERROR nodes. Sections, macros, labels and
score events come from the lines. Computed once per document version and shared by every feature.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from typing import Any

from csound_assist import lexical, parsing
from csound_assist.features.document import Document, Pos, Span
from csound_assist.lexicon import HEADER_NAMES
from csound_assist.lexicon import KEYWORDS as LEXICON_KEYWORDS

IDENT = re.compile(r"[A-Za-z_]\w*")
# Comments, strings and multi-line strings; group 1 set for strings (content blanked, quotes kept).
_BLANK = re.compile(
    r'/\*.*?(?:\*/|\Z)|;[^\n]*|//[^\n]*|"((?:\\.|[^"\\\n])*)"|\{\{(.*?)(?:\}\}|\Z)',
    re.DOTALL,
)
_INSTR = re.compile(r"^\s*instr\b\s*(.*)$")
_UDO_OLD = re.compile(r"^\s*opcode\s+(\w+)\s*,\s*([\w\[\]]*)\s*,\s*([\w\[\]]*)")
_UDO_NEW = re.compile(r"^\s*opcode\s+(\w+)\s*\((.*?)\)\s*(?::\s*\(?([^)\s]*)\)?)?")
# Csound 7 typed names: `freq:i`, `arr:i[]`, `amp@global:k`, `n:Note` (1: `@global`, 2: the type).
_DECL = re.compile(r"(@global)?:([A-Za-z]\w*(?:\[\])*)")
_PARAM = re.compile(r"\s*([A-Za-z_]\w*)((?:\[\])*)\s*(?::\s*([A-Za-z]\w*(?:\[\])*))?\s*")
_STRUCT = re.compile(r"^\s*struct\s+([A-Za-z_]\w*)\s+(.*)$")
# `note.pitch|`, `notes[0].pitch|`, `phrase.notes[1].|`: the chain of names before a member.
MEMBER_CHAIN = re.compile(
    r"(?<![\w$#.])([A-Za-z_]\w*)((?:\[[^\]]*\])*(?:\.[A-Za-z_]\w*(?:\[[^\]]*\])*)*)\.(\w*)$")
_FOR = re.compile(r"^\s*for\s+([A-Za-z_]\w*)(?::([A-Za-z]\w*))?"
                  r"(?:\s*,\s*([A-Za-z_]\w*)(?::([A-Za-z]\w*))?)?\s+in\b\s*([A-Za-z_]\w*)?")
_LABEL = re.compile(r"^\s*([A-Za-z_]\w*):(?=\s|$)")
_DEFINE = re.compile(r"#define\s+(\w+)(?:\(([^)]*)\))?\s*#((?:\\#|[^#])*)#?", re.DOTALL)
_MACRO_USE = re.compile(r"\$(\w+)")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")

HEADER_VARS = HEADER_NAMES
# Words that start a statement with no outputs (their arguments are read as a call's are).
KEYWORDS = LEXICON_KEYWORDS
# Rate of a variable from its name (after an optional g prefix).
RATE_PREFIXES = {"a": "a", "k": "k", "i": "i", "S": "S", "f": "f", "w": "w"}
# Csound 7 type annotations that are rates (`b`/`B`: booleans at init / performance time).
DECLARED_RATES = frozenset({"a", "k", "i", "S", "f", "w", "b", "B"})
CODE_SECTIONS = {"orc", "sco", "options"}


@dataclass(slots=True)
class Token:
    text: str
    line: int
    start: int
    end: int

    @property
    def span(self) -> Span:
        return Span.on_line(self.line, self.start, self.end)


@dataclass(slots=True)
class Block:
    """An `instr … endin` or `opcode … endop` block (end_line inclusive)."""

    kind: str  # "instr" | "opcode"
    names: list[Token]
    start_line: int
    end_line: int
    header: str
    doc: str = ""
    out_types: str = ""
    in_types: str = ""
    arg_names: list[str] = field(default_factory=list)
    # New-style UDO parameters (`opcode Gain(aIn:a, kAmt:k):a`): name token and declared type.
    params: list[tuple[Token, str]] = field(default_factory=list)
    closed: bool = True  # False: no endin/endop, the block runs to its section's end

    @property
    def name(self) -> str:
        return ", ".join(t.text for t in self.names) or "?"


@dataclass(slots=True)
class Statement:
    line: int
    outputs: list[Token]
    opcode: Token | None
    # Argument segments split at top-level commas: (start, end) columns of each, trimmed.
    args: list[tuple[int, int]]
    args_start: int
    label: Token | None = None
    # Per output: its Csound 7 type annotation ("" when none) and whether it says `@global`.
    out_types: list[str] = field(default_factory=list)
    out_global: list[bool] = field(default_factory=list)

    def declared(self, i: int) -> tuple[str, bool]:
        """Output `i`'s annotation: (type, is_global); ("", False) without one."""
        typ = self.out_types[i] if i < len(self.out_types) else ""
        return typ, i < len(self.out_global) and self.out_global[i]


@dataclass(slots=True)
class Variable:
    name: str
    rate: str
    is_global: bool
    definition: Token
    block: Block | None
    statement: Statement | None = None
    type: str = ""  # the Csound 7 annotation (`i`, `k[]`, `Note`), "" when the name says the rate


@dataclass(slots=True)
class Macro:
    name: str
    params: list[str]
    body: str
    token: Token


@dataclass(slots=True)
class ScoreEvent:
    letter: Token
    fields: list[Token]


@dataclass(slots=True)
class Section:
    name: str  # e.g. "CsInstruments"
    start_line: int
    end_line: int


@dataclass
class Outline:
    kind: str
    regions: Sequence[str]  # per line: "orc" | "sco" | "options" | "other"
    code: Sequence[str]  # per line, comments and string contents blanked (columns kept)
    sections: list[Section] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    statements: dict[int, Statement] = field(default_factory=dict)
    variables: dict[tuple[str, int], Variable] = field(default_factory=dict)
    globals: dict[str, Variable] = field(default_factory=dict)
    macros: dict[str, Macro] = field(default_factory=dict)
    labels: list[tuple[Token, Block | None]] = field(default_factory=list)
    score: list[ScoreEvent] = field(default_factory=list)
    comment_blocks: list[tuple[int, int]] = field(default_factory=list)
    # Csound 7 `struct Note pitch:i, label:S`: each member's name token and type.
    structs: dict[str, list[tuple[Token, str]]] = field(default_factory=dict)
    struct_names: dict[str, Token] = field(default_factory=dict)  # where each is defined
    _block_starts: list[int] = field(default_factory=list, repr=False)
    # Each block's local variable keys (by its start line): what an update of one block drops.
    _local_keys: dict[int, list[tuple[str, int]]] = field(default_factory=dict, repr=False)

    def block_at(self, line: int) -> Block | None:
        i = bisect_right(self._block_starts, line) - 1
        if i >= 0 and self.blocks[i].start_line <= line <= self.blocks[i].end_line:
            return self.blocks[i]
        return None

    def region(self, line: int) -> str:
        return self.regions[line] if 0 <= line < len(self.regions) else "other"

    def instruments(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "instr"]

    def udos(self) -> dict[str, Block]:
        return {b.names[0].text: b for b in self.blocks if b.kind == "opcode" and b.names}

    def find_instrument(self, name: str) -> Block | None:
        name = name.strip('"').lstrip("+")
        for block in self.instruments():
            if any(t.text.lstrip("+") == name for t in block.names):
                return block
        return None

    def variable(self, name: str, line: int) -> Variable | None:
        """The variable `name` visible at `line`: the enclosing block's local, else a global."""
        block = self.block_at(line)
        if block is not None and (name, block.start_line) in self.variables:
            return self.variables[(name, block.start_line)]
        return self.globals.get(name)

    def rate(self, name: str, line: int) -> str:
        """The rate of `name` at `line`: its declaration's (a typed name's annotation), else the
        one its prefix implies."""
        var = self.variable(name, line)
        return var.rate if var is not None and var.rate else rate_of(name)

    def member_type(self, chain: str, line: int) -> str | None:
        """The type a member chain ends in: `note` → `Note`, `phrase.notes[1]` → `Note`, `n.pitch`
        → `i` (None when a link is unknown). Indices drop one `[]` each."""
        parts = re.findall(r"[A-Za-z_]\w*|\[[^\]]*\]", chain)
        if not parts:
            return None
        var = self.variable(parts[0], line)
        typ = var.type if var is not None else ""
        for part in parts[1:]:
            if part.startswith("["):
                typ = typ[:-2] if typ.endswith("[]") else typ
                continue
            members = dict((t.text, mt) for t, mt in self.structs.get(typ, []))
            if part not in members:
                return None
            typ = members[part]
        return typ or None

    def visible_variables(self, line: int) -> list[Variable]:
        block = self.block_at(line)
        local = [
            v for (_, start), v in self.variables.items()
            if block is not None and start == block.start_line
        ]
        return local + list(self.globals.values())


def rate_of(name: str) -> str:
    """The rate letter a Csound variable name implies ("" when it implies none)."""
    base = name[1:] if name.startswith("g") and len(name) > 1 else name
    if re.fullmatch(r"p\d+", name):
        return "i"
    return RATE_PREFIXES.get(base[:1], "")


def declared_rate(type_text: str) -> str:
    """The rate a Csound 7 annotation gives (`i[]` → `i`, `B` → `B`); "" for struct and other
    types (`Note`, `Complex`)."""
    base = type_text.split("[", 1)[0]
    return base if base in DECLARED_RATES else ""


def _blank_match(m: re.Match[str]) -> str:
    s = m.group(0)
    if s.startswith('"'):
        return '"' + re.sub(r"[^\n]", " ", s[1:-1]) + '"' if len(s) > 1 else s
    return re.sub(r"[^\n]", " ", s)


def blank_code(text: str) -> str:
    """`text` with comments and string contents replaced by spaces; newlines and columns kept."""
    return _BLANK.sub(_blank_match, text)


def split_args(code: str, start: int) -> list[tuple[int, int]]:
    """Split `code[start:]` at top-level commas into trimmed (start, end) column pairs."""
    segs: list[tuple[int, int]] = []
    depth = 0
    seg_start = start
    for i in range(start, len(code)):
        ch = code[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            segs.append(_trim(code, seg_start, i))
            seg_start = i + 1
    segs.append(_trim(code, seg_start, len(code)))
    if len(segs) == 1 and segs[0][0] == segs[0][1]:
        return []
    return segs


def _trim(code: str, a: int, b: int) -> tuple[int, int]:
    while a < b and code[a].isspace():
        a += 1
    while b > a and code[b - 1].isspace():
        b -= 1
    return a, b


def parse_statement(code: str, line: int, is_opcode: Callable[[str], bool]) -> Statement | None:
    """Split one orchestra line into label, outputs, opcode and argument segments."""
    label = None
    pos = 0
    m = _LABEL.match(code)
    if m:
        label = Token(m.group(1), line, m.start(1), m.end(1))
        pos = m.end()
    n = len(code)
    while pos < n and code[pos].isspace():
        pos += 1
    first = IDENT.match(code, pos)
    if first is None:
        return Statement(line, [], None, [], pos, label) if label else None
    word = first.group(0)
    tok = Token(word, line, first.start(), first.end())
    after = _skip_ws(code, first.end())
    if word in KEYWORDS:
        return Statement(line, [], tok, split_args(code, first.end()), first.end(), label)
    nxt = code[after : after + 1]
    if nxt == "(" or _opcode_first(code, word, after, nxt, is_opcode):
        return Statement(line, [], tok, split_args(code, first.end()), first.end(), label)
    outputs = [tok]
    types: list[str] = []
    scopes: list[bool] = []

    def annotation(end: int) -> int:
        decl = _DECL.match(code, end)
        types.append(decl.group(2) if decl else "")
        scopes.append(bool(decl and decl.group(1)))
        return _skip_brackets(code, end)

    p = annotation(first.end())
    while True:
        p = _skip_ws(code, p)
        if p < n and code[p] == ",":
            m2 = IDENT.match(code, _skip_ws(code, p + 1))
            if not m2:
                break
            outputs.append(Token(m2.group(0), line, m2.start(), m2.end()))
            p = annotation(m2.end())
            continue
        break
    p = _skip_ws(code, p)
    if code.startswith("=", p) and not code.startswith("==", p):
        op = Token("=", line, p, p + 1)
        return Statement(line, outputs, op, split_args(code, p + 1), p + 1, label, types, scopes)
    m3 = IDENT.match(code, p)
    if m3:
        op = Token(m3.group(0), line, m3.start(), m3.end())
        return Statement(line, outputs, op, split_args(code, m3.end()), m3.end(), label, types,
                         scopes)
    # Outputs typed so far but no opcode yet (e.g. while typing "aSig ").
    return Statement(line, outputs, None, [], p, label, types, scopes)


def _opcode_first(code: str, word: str, after: int, nxt: str,
                  is_opcode: Callable[[str], bool]) -> bool:
    """`word …` starts with its opcode (`outz a1, a1`) rather than an output (`kon trigger …`);
    the decision is `lexical.opcode_first`, shared with the static checks' reader."""
    decorated = nxt in (":", "@", ".") and not code[after - 1 : after].isspace() and (
        IDENT.match(code, after + 1) is not None)
    if nxt in (",", "=", "[") or decorated or code[after + 1 : after + 2] == "=" and nxt in "+-*/":
        # an output list, an assignment (`kn += 1`) or a decorated output (`n.pitch`, `x:i`)
        return False
    second = IDENT.match(code, after) if nxt else None
    if second is None:
        # `outs` alone, `prints "…"`, `turnoff2 1, 0, 0`: no second word to weigh
        return is_opcode(word) or bool(nxt)
    p = _skip_ws(code, second.end())
    return lexical.opcode_first(word, second.group(0), code[p : p + 1],
                                code[second.end() : second.end() + 1] == "(", is_opcode, KEYWORDS)


def _skip_ws(code: str, p: int) -> int:
    n = len(code)
    while p < n and code[p] in " \t\r":
        p += 1
    return p


def _skip_brackets(code: str, p: int) -> int:
    """Skip array brackets, Csound 7 type annotations and struct members after a variable name
    (kArr[], aSig:a, amp@global:i, notes[0].pitch)."""
    while p < len(code) and code[p] in "[]:@.":
        if code[p] in ":.":
            m = IDENT.match(code, p + 1)
            p = m.end() if m else p + 1
        elif code.startswith("@global", p):
            p += len("@global")
        elif code[p] == "[":
            close = code.find("]", p)  # an index (`notes[0].pitch`), not only `[]`
            p = close + 1 if close > 0 else p + 1
        else:
            p += 1
    return p


def build_outline(doc: Document, kb: Any = None) -> Outline:
    """Build (or fetch the cached) outline of `doc`; `kb` (None while loading) names opcodes."""
    opcodes = kb.opcodes if kb is not None else {}
    # Keyed by the knowledge base: an outline built before it loaded is rebuilt once it is there.
    key = f"outline:{id(kb)}"

    def build() -> Outline:
        prev = doc.previous.get(key)
        if prev is not None:
            updated = _update(doc, prev, doc.previous.get("lines"), opcodes.__contains__)
            if updated is not None:
                return updated
        return _build(doc, opcodes.__contains__)

    outline: Outline = doc.cached(key, build)
    _RECENT[doc.text] = outline
    while len(_RECENT) > 4:
        _RECENT.pop(next(iter(_RECENT)))
    return outline


# The outlines of the texts most recently read: the AI features get a bare text (the open
# document's, usually) and read its structure from the same outline the editor features built.
_RECENT: dict[str, Outline] = {}


def outline_of_text(text: str) -> Outline:
    """The outline of a bare text: a CSD when it has a section tag at a line's start, else an
    orchestra; reused when the same text was outlined recently (the open document's)."""
    found = _RECENT.get(text)
    if found is not None:
        return found
    csd = any(lexical.section_tag(line) for line in text.split("\n") if "<" in line)
    try:
        parse_fn: Callable[[bytes, Any], Any] | None = parsing.parse
        parsing.language()
    except Exception:  # noqa: BLE001 — no grammar: the line reading alone
        parse_fn = None
    doc = Document.from_text("untitled:text", text, kind="csd" if csd else "orc",
                             parse_fn=parse_fn)
    return build_outline(doc)


def _build(doc: Document, is_opcode: Callable[[str], bool]) -> Outline:
    text = doc.text
    raw_lines = doc.lines
    if doc.too_large:
        # Reduced analysis: sections only, lines blanked on demand; the features that need more
        # answer from the line at hand. Stays well under a second on a 5 MB file.
        regions = [doc.kind] * len(raw_lines) if doc.kind != "csd" else _LazyRegions(raw_lines)
        return Outline(kind=doc.kind, regions=regions, code=_LazyCode(raw_lines))
    code = blank_code(text).split("\n")
    out = Outline(kind=doc.kind, regions=_regions(doc.kind, raw_lines), code=code)
    if doc.kind == "csd":
        out.sections = _sections(raw_lines)
    char_starts = [0, *accumulate(len(line) + 1 for line in raw_lines)]

    # Macros (may span lines) from the raw text.
    for m in _DEFINE.finditer(text):
        line = bisect_right(char_starts, m.start(1)) - 1
        col = m.start(1) - char_starts[line]
        params = [p.strip() for p in (m.group(2) or "").replace("#", "'").split("'") if p.strip()]
        out.macros[m.group(1)] = Macro(m.group(1), params, m.group(3).strip(),
                                       Token(m.group(1), line, col, col + len(m.group(1))))

    tree = _usable_tree(doc)
    if tree is not None:
        # Blocks and opcode statements from the tree; lines it has no clean statement for
        # (control flow, labels alone, half-typed or ERROR lines) fall back to the line parser.
        out.blocks, tree_statements, loop_vars = _tree_structure(doc, tree, out)
        if tree.root_node.has_error:
            _find_closers(out)
            out.blocks = sorted(out.blocks + _lost_blocks(out, raw_lines),
                                key=lambda b: b.start_line)
        udo_names = {b.names[0].text for b in out.blocks if b.kind == "opcode" and b.names}
    else:
        tree_statements, loop_vars = {}, _Loops()
        udo_names = {m.group(1) for m in re.finditer(r"^\s*opcode\s+(\w+)", text, re.MULTILINE)}
    _close_blocks(out)
    for block in out.blocks:
        _define_params(out, block)

    def opcode_like(name: str) -> bool:
        return name in udo_names or is_opcode(name)

    current: Block | None = None
    comment_run: tuple[int, int] | None = None
    for i, line in enumerate(code):
        raw = raw_lines[i]
        stripped_raw = raw.lstrip()
        is_comment_line = stripped_raw.startswith((";", "//")) and not line.strip()
        if is_comment_line:
            comment_run = (comment_run[0], i) if comment_run and comment_run[1] == i - 1 else (i, i)
            if comment_run[1] > comment_run[0]:
                if out.comment_blocks and out.comment_blocks[-1][0] == comment_run[0]:
                    out.comment_blocks[-1] = comment_run
                else:
                    out.comment_blocks.append(comment_run)
        region = out.regions[i]
        if region == "sco":
            ev = _score_event(line, i, raw)
            if ev:
                out.score.append(ev)
            continue
        if region != "orc" or not line.strip():
            continue
        if tree is not None:
            current = out.block_at(i)
            if current is not None and current.start_line == i:
                continue  # the header line
            word = line.strip().split(maxsplit=1)[0]
            if word in ("endin", "endop") and current is not None and current.end_line == i:
                continue
            st = _tree_line(out, i, line, current, tree_statements.get(i), opcode_like)
        else:
            if (sm := _STRUCT.match(line)) is not None:
                out.structs.setdefault(sm.group(1), _struct_members(sm, i))
                out.struct_names.setdefault(sm.group(1), Token(sm.group(1), i, sm.start(1),
                                                               sm.end(1)))
                continue
            m = _INSTR.match(line)
            if m:
                current = _open_block("instr", line, i, raw_lines, m)
                out.blocks.append(current)
                continue
            m = _UDO_OLD.match(line) or _UDO_NEW.match(line)
            if m and line.lstrip().startswith("opcode"):
                current = _open_udo(line, i, raw_lines, m)
                out.blocks.append(current)
                _define_params(out, current)
                continue
            word = line.strip().split(maxsplit=1)[0]
            if word in ("endin", "endop"):
                if current is not None:
                    current.end_line = i
                current = None
                continue
            st = parse_statement(line, i, opcode_like)
        # Csound 7 `for x:i, n:i in arr do`: the loop variables are defined on this line.
        loop = loop_vars.get(i, ([], "")) if tree is not None else _for_variables(line, i)
        _record(out, i, current, st, loop)
    _close_blocks(out)
    return out


# What an edit may not touch for one block to be re-read alone: what spans lines (comments,
# strings, macros), section tags, block boundaries, struct definitions.
_STRUCTURAL = re.compile(r"/\*|\*/|\{\{|\}\}|#|<|\b(?:instr|endin|opcode|endop|struct)\b")


def _update(doc: Document, prev: Outline, old_lines: list[str] | None,
            is_opcode: Callable[[str], bool]) -> Outline | None:
    """`prev` updated for edits inside one closed block that keep the line count: that block is
    re-read from the incremental tree, everything else is shared. None when the edit may reach
    further (block boundaries, multi-line comments or strings, macros, tags, globals, comment
    runs): the caller rebuilds."""
    tree = _usable_tree(doc)
    raw = doc.lines
    if (tree is None or not doc.edits or old_lines is None or prev.kind != doc.kind
            or len(prev.code) != len(raw) or len(old_lines) != len(raw)
            or any(new_last != last for _, last, new_last in doc.edits)):
        return None
    lo, hi = min(e[0] for e in doc.edits), max(e[1] for e in doc.edits)
    block = prev.block_at(lo)
    if (block is None or not block.closed or prev.block_at(hi) is not block
            or not block.start_line < lo <= hi < block.end_line or prev.region(lo) != "orc"):
        return None
    code = list(prev.code)
    for i in range(lo, hi + 1):
        old, new = old_lines[i], raw[i]
        if _STRUCTURAL.search(old) or _STRUCTURAL.search(new):
            return None
        if old.lstrip().startswith((";", "//")) or new.lstrip().startswith((";", "//")):
            return None  # comment runs (folding) may change
        if _BLANK.sub(_blank_match, old) != prev.code[i]:
            return None  # inside something that spans lines
        code[i] = _BLANK.sub(_blank_match, new)
    first, last = block.start_line, block.end_line
    if any(first <= v.definition.line <= last for v in prev.globals.values()):
        return None  # the block writes globals: they are the whole file's
    out = Outline(kind=prev.kind, regions=prev.regions, code=code, sections=prev.sections,
                  macros=prev.macros, score=prev.score, comment_blocks=prev.comment_blocks,
                  structs=prev.structs, struct_names=prev.struct_names,
                  globals=dict(prev.globals))
    udo_names = set(prev.udos())
    found, tree_statements, loop_vars = _tree_structure(doc, tree, out, (first, last), udo_names)
    fresh = [b for b in found if b.start_line == first]
    if len(fresh) != 1 or fresh[0].end_line != last or fresh[0].kind != block.kind:
        return None
    new_block = fresh[0]
    out.blocks = [new_block if b is block else b for b in prev.blocks]
    out._block_starts = prev._block_starts
    out.statements = dict(prev.statements)
    for i in range(first, last + 1):
        out.statements.pop(i, None)
    out.variables = dict(prev.variables)
    for key in prev._local_keys.get(first, []):
        del out.variables[key]
    out._local_keys = dict(prev._local_keys)
    out._local_keys[first] = []
    _define_params(out, new_block)

    def opcode_like(name: str) -> bool:
        return name in udo_names or is_opcode(name)

    labels: list[tuple[Token, Block | None]] = []
    out.labels = labels
    for i in range(first + 1, last):
        line = code[i]
        if not line.strip():
            continue
        st = _tree_line(out, i, line, new_block, tree_statements.get(i), opcode_like)
        _record(out, i, new_block, st, loop_vars.get(i, ([], "")))
    written = {t.text for i in range(first + 1, last) if (st := out.statements.get(i)) is not None
               for t in st.outputs}
    if len(out.globals) != len(prev.globals) or written & out.globals.keys():
        return None  # the block writes a global now: which line defines it is the file's matter
    out.labels = ([lab for lab in prev.labels if lab[0].line < first] + labels
                  + [lab for lab in prev.labels if lab[0].line > last])
    return out


def _tree_line(out: Outline, i: int, line: str, current: Block | None, st: Statement | None,
               opcode_like: Callable[[str], bool]) -> Statement | None:
    """The statement on orchestra line `i` when there is a tree: the tree's unless the line
    reading knows the opcode better."""
    if st is None or not _known_opcode(st, opcode_like):
        # `gkindx init -1` reads as opcode `gkindx` to the grammar, which knows only
        # built-in names by its own list: a line reading with a known opcode wins.
        by_line = parse_statement(line, i, opcode_like)
        if st is None or by_line is not None and _known_opcode(by_line, opcode_like):
            st = by_line
    return st


def _record(out: Outline, i: int, current: Block | None, st: Statement | None,
            loop: tuple[list[tuple[Token, str]], str]) -> None:
    """Add line `i`'s loop variables and statement (its label, outputs, xin) to `out`."""
    names, iterable = loop
    for k, (tok, typ) in enumerate(names):
        if not typ and k == 0 and iterable:
            # An untyped loop variable follows the array's element type.
            source = (out.variables.get((iterable, current.start_line))
                      if current is not None else None) or out.globals.get(iterable)
            typ = source.type.split("[", 1)[0] if source is not None else ""
        _define(out, tok, current, None, typ)
    if st is None:
        return
    out.statements[i] = st
    if st.label is not None:
        out.labels.append((st.label, current))
    is_xin = st.opcode is not None and st.opcode.text == "xin"
    if current is not None and current.kind == "opcode" and is_xin:
        current.arg_names = [t.text for t in st.outputs]
    for k, tok in enumerate(st.outputs):
        _define(out, tok, current, st, *st.declared(k))


def _find_closers(out: Outline) -> None:
    """A tree block left unclosed by error recovery (`missing_end`) whose `endin`/`endop` is on
    a later line before the next header: that line closes it, as the line reader reads it (the
    tree would run the block on over the instruments after it)."""
    for b in out.blocks:
        if b.end_line >= b.start_line:
            continue
        for i in range(b.start_line + 1, len(out.code)):
            if out.regions[i] != "orc":
                break
            word = out.code[i].split(maxsplit=1)[:1]
            if word in (["endin"], ["endop"]):
                b.end_line = i
                break
            if word in (["instr"], ["opcode"]):
                break


def _lost_blocks(out: Outline, raw: list[str]) -> list[Block]:
    """Blocks the tree's error recovery swallowed (an unbalanced parenthesis can turn a whole
    instrument into an ERROR node): headers on orchestra lines no tree block covers, read as
    the line reader reads them, each up to its closer or to what the tree holds next."""
    covered = [False] * len(out.code)
    for b in out.blocks:
        last = b.end_line if b.end_line >= b.start_line else len(out.code) - 1
        for i in range(b.start_line, last + 1):
            covered[i] = True
    lost: list[Block] = []
    current: Block | None = None
    for i, line in enumerate(out.code):
        if covered[i] or out.regions[i] != "orc":
            if current is not None:  # stopped by a tree block or the section's end
                current.end_line, current.closed = i - 1, False
                current = None
            continue
        m = _INSTR.match(line)
        u = None if m else (_UDO_OLD.match(line) or _UDO_NEW.match(line))
        if m or (u and line.lstrip().startswith("opcode")):
            if current is not None:
                current.end_line, current.closed = i - 1, False
            current = (_open_block("instr", line, i, raw, m) if m
                       else _open_udo(line, i, raw, u))  # type: ignore[arg-type]
            lost.append(current)
        elif current is not None and line.split(maxsplit=1)[:1] in (["endin"], ["endop"]):
            current.end_line = i
            current = None
    if current is not None:
        current.end_line, current.closed = len(out.code) - 1, False
    return lost


def _close_blocks(out: Outline) -> None:
    """An unterminated block runs to its section's end (or the document's)."""
    for block in out.blocks:
        if block.end_line < block.start_line:
            block.closed = False
            end = block.start_line
            while end + 1 < len(out.code) and out.regions[end + 1] == "orc":
                end += 1
            block.end_line = end
    out._block_starts = [b.start_line for b in out.blocks]


def _known_opcode(st: Statement, opcode_like: Callable[[str], bool]) -> bool:
    return st.opcode is not None and (st.opcode.text == "=" or opcode_like(st.opcode.text))


def _usable_tree(doc: Document) -> Any:
    """The document's tree when it is current (None for oversized files or without a grammar)."""
    tree = doc.tree
    if tree is None or tree.root_node.end_byte != len(doc.source):
        return None
    return tree


class _Columns:
    """tree-sitter byte columns → character columns, per line (identity on ASCII lines)."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        self._maps: dict[int, list[int] | None] = {}

    def line(self, row: int) -> str:
        return self._lines[row] if row < len(self._lines) else ""

    def __call__(self, row: int, byte_col: int) -> int:
        if row not in self._maps:
            line = self.line(row)
            if line.isascii():
                self._maps[row] = None
            else:
                # byte offset → char index for every byte boundary of the line
                table: list[int] = []
                for ci, ch in enumerate(line):
                    table.extend([ci] * len(ch.encode("utf-8")))
                table.append(len(line))
                self._maps[row] = table
        table = self._maps[row]
        if table is None:
            return byte_col
        return table[min(byte_col, len(table) - 1)]


def _token(node: Any, cols: _Columns) -> Token:
    row, col = node.start_point
    end_row, end_col = node.end_point
    start = cols(row, col)
    if end_row == row:
        end = cols(row, end_col)
        return Token(cols.line(row)[start:end], row, start, end)
    text = parsing.node_text(node)
    return Token(text, row, start, start + len(text))


def _block_end(node: Any) -> int:
    """The `endin`/`endop` row, or -1 when the block is closed by a `(missing_end)` node."""
    last = node.children[-1] if node.children else None
    if last is None or last.type == "missing_end" or last.is_missing:
        return -1
    return last.start_point[0]


# Csound 7 `for` loops by line: the loop variables with their types, and the array's name.
_Loops = dict[int, tuple[list[tuple[Token, str]], str]]


@lru_cache(maxsize=1)
def _structure_query() -> Any:
    # One pass in C over the tree instead of a Python walk per kind of node.
    from tree_sitter import Query

    return Query(parsing.language(), """
        (instrument_definition) @instr
        (udo_definition) @udo
        (opcode_statement) @statement
        (assignment_statement) @assignment
        (for_statement) @for
        (struct_definition) @struct
    """)


def _tree_structure(
    doc: Document, tree: Any, out: Outline, rows: tuple[int, int] | None = None,
    known_udos: set[str] | None = None,
) -> tuple[list[Block], dict[int, Statement], _Loops]:
    """Blocks, statements and loops from the tree: all of them, or those on `rows` (first, last)
    when one block is re-read (`known_udos`: the document's UDO names then)."""
    from tree_sitter import Point, QueryCursor

    raw = doc.lines
    cols = _Columns(raw)
    cursor = QueryCursor(_structure_query())
    if rows is not None:
        cursor.set_point_range(Point(rows[0], 0), Point(rows[1] + 1, 0))
    found = cursor.captures(tree.root_node)
    blocks: list[Block] = []
    for node in found.get("instr", []):
        row = node.start_point[0]
        names = [_token(n, cols) for n in node.children_by_field_name("name")]
        blocks.append(Block("instr", names, row, _block_end(node), raw[row].strip(),
                            _doc_above(raw, row)))
    for node in found.get("udo", []):
        row = node.start_point[0]
        for udo in parsing.udos(node)[:1]:
            name = node.child_by_field_name("name")
            names = [_token(name, cols)] if name is not None else []
            block = Block("opcode", names, row, _block_end(node), raw[row].strip(),
                          _doc_above(raw, row), udo.outputs, udo.inputs)
            plist = node.child_by_field_name("parameters")
            for param in plist.named_children if plist is not None else []:
                pname, ptype = param.child_by_field_name("name"), param.child_by_field_name("type")
                if pname is None or param.type != "parameter":
                    continue
                arrays = "[]" * parsing.node_text(param).split(":", 1)[0].count("[")
                block.params.append((_token(pname, cols),
                                     parsing.node_text(ptype) if ptype is not None else arrays))
            if block.params:
                block.in_types = "".join(_param_type(t.text, typ) for t, typ in block.params)
            blocks.append(block)
    blocks.sort(key=lambda b: b.start_line)
    udo_names = known_udos if known_udos is not None else {
        b.names[0].text for b in blocks if b.kind == "opcode" and b.names}
    statements: dict[int, Statement] = {}
    for node in found.get("statement", []):
        name_node = node.child_by_field_name("opcode")
        if name_node is None or node.has_error:
            continue
        outputs = node.child_by_field_name("outputs")
        inputs = node.child_by_field_name("inputs")
        args = [] if inputs is None else inputs.children_by_field_name("argument")
        if (outputs is None and len(args) == 1 and args[0].type == "identifier"
                and parsing.node_text(args[0]) in udo_names
                and parsing.node_text(name_node) not in udo_names):
            # `kval MyUdo`: the grammar knows built-in names only (as `parsing.opcode_calls`).
            st = _tree_statement(node, args[0], [name_node], [], cols, out)
        else:
            outs = [] if outputs is None else outputs.children_by_field_name("output")
            st = _tree_statement(node, name_node, outs, args, cols, out)
        if st is not None:
            statements.setdefault(st.line, st)
    for node in found.get("assignment", []):
        if node.has_error:
            continue
        left, op = node.child_by_field_name("left"), node.child_by_field_name("operator")
        if left is None or op is None or op.type != "=":
            continue  # `+=` and friends: the line parser's reading stands
        right = node.child_by_field_name("right")
        st = _tree_statement(node, op, left.children_by_field_name("output"),
                             [right] if right is not None else [], cols, out)
        if st is not None:
            statements.setdefault(st.line, st)
    for node in found.get("struct", []):
        name = node.child_by_field_name("name")
        if name is None:
            continue
        members = []
        for m in node.children_by_field_name("member"):
            mname, mtype = m.child_by_field_name("name"), m.child_by_field_name("type")
            if mname is not None:
                typ = parsing.node_text(mtype) if mtype is not None else rate_of(
                    parsing.node_text(mname))
                members.append((_token(mname, cols), typ))
        out.structs.setdefault(parsing.node_text(name), members)
        out.struct_names.setdefault(parsing.node_text(name), _token(name, cols))
    loops: _Loops = {}
    for node in found.get("for", []):
        iterable = node.child_by_field_name("iterable")
        names = iterable is not None and iterable.type == "identifier"
        entry = loops.setdefault(node.start_point[0],
                                 ([], parsing.node_text(iterable) if names else ""))
        for fname in ("variable", "index"):
            var = node.child_by_field_name(fname)
            name = var.child_by_field_name("name") if var is not None else None
            if name is None:
                continue
            typ = var.child_by_field_name("type")
            entry[0].append((_token(name, cols), parsing.node_text(typ) if typ is not None else ""))
    return blocks, statements, loops


def _tree_statement(node: Any, name_node: Any, outputs: list[Any], inputs: list[Any],
                    cols: _Columns, out: Outline) -> Statement | None:
    row = node.start_point[0]
    if out.regions[row] != "orc" or name_node.start_point[0] != row:
        return None
    code, raw_line = out.code[row], cols.line(row)
    outs, types, scopes = [], [], []
    for o in outputs:
        name = o.child_by_field_name("name") if o.type == "output" else o
        if name is None or name.type != "identifier":
            return None  # `$M = …`: leave macros to the line parser
        outs.append(_token(name, cols))
        if o.type != "output" or o.named_child_count == 1:  # a plain name: the common case
            types.append("")
            scopes.append(False)
            continue
        typ = o.child_by_field_name("type")
        # `arr:i[]` reads as type `i` and an empty subscript: the type is `i[]`.
        dims = "[]" * sum(1 for sub in o.children_by_field_name("index")
                          if sub.child_by_field_name("index") is None) if typ is not None else ""
        types.append(parsing.node_text(typ) + dims if typ is not None else "")
        scopes.append(o.child_by_field_name("scope") is not None)
    if (not outputs and len(inputs) == 1 and inputs[0].type == "macro_use"
            and inputs[0].child_by_field_name("arguments") is not None):
        return None  # `a1 $OSC(440)`: the macro may expand to the opcode; the line reading stands
    op = _token(name_node, cols)
    # The arguments that start on this line, as the outline records columns per line.
    args = []
    for a in inputs:
        if a.start_point[0] != row:
            break
        a_start = cols(row, a.start_point[1])
        if a.end_point[0] == row:
            args.append((a_start, cols(row, a.end_point[1])))
        else:  # an argument running on (a `{{…}}` string): its part on this line
            args.append((a_start, max(a_start, len(raw_line.rstrip()))))
    label = _LABEL.match(code)
    lab = Token(label.group(1), row, label.start(1), label.end(1)) if label else None
    return Statement(row, outs, op, args, op.end, lab, types, scopes)


def _define(out: Outline, tok: Token, block: Block | None, st: Statement | None,
            typ: str = "", declared_global: bool = False) -> None:
    """Record a variable where it is first written; a Csound 7 annotation (`freq:i`,
    `amp@global:k`) gives its rate and scope, otherwise its name does."""
    name = tok.text
    declared = out.globals.get(name)
    if block is not None and declared is not None and declared.type and not typ:
        return  # `bus += sig` in an instrument writes the global `bus@global:a`
    rate = declared_rate(typ) if typ else rate_of(name)
    is_global = declared_global or (name.startswith("g") and not typ) or block is None
    var = Variable(name, rate, is_global, tok, None if is_global else block, st, typ)
    if is_global:
        out.globals.setdefault(name, var)
    else:
        assert block is not None
        key = (name, block.start_line)
        if key not in out.variables:
            out.variables[key] = var
            out._local_keys.setdefault(block.start_line, []).append(key)


def _param_type(name: str, typ: str) -> str:
    """A new-style UDO parameter's type letters: its annotation, else its name's rate prefix
    (`kVals[]` → `k[]`), "?" when neither says."""
    if typ and not typ.startswith("["):
        return typ
    return (rate_of(name) or "?") + typ


def _define_params(out: Outline, block: Block) -> None:
    """New-style UDO parameters are the UDO's variables from its header on."""
    for tok, typ in block.params:
        _define(out, tok, block, None, "" if typ.startswith("[") else typ)
    if block.params and not block.arg_names:
        block.arg_names = [t.text for t, _ in block.params]


def _struct_members(m: re.Match[str], line: int) -> list[tuple[Token, str]]:
    """`struct Note pitch:i, kgain` read from the line (no tree)."""
    members, start = [], m.start(2)
    for part in m.group(2).split(","):
        pm = _PARAM.fullmatch(part)
        if pm is not None:
            col = start + pm.start(1)
            typ = pm.group(3) or (rate_of(pm.group(1)) + pm.group(2))
            members.append((Token(pm.group(1), line, col, col + len(pm.group(1))), typ))
        start += len(part) + 1
    return members


def _for_variables(code: str, line: int) -> tuple[list[tuple[Token, str]], str]:
    """`for note:i, index:i in notes do` read from the line (no tree): the loop variables with
    their types, and the array's name ("" when it is not a plain name)."""
    m = _FOR.match(code)
    if m is None:
        return [], ""
    return [(Token(m.group(g), line, m.start(g), m.end(g)), m.group(g + 1) or "")
            for g in (1, 3) if m.group(g)], m.group(5) or ""


def _open_block(kind: str, line: str, i: int, raw: list[str], m: re.Match[str]) -> Block:
    names: list[Token] = []
    for nm in re.finditer(r"\+?[A-Za-z_]\w*|\d+", line[m.start(1):]):
        s = m.start(1) + nm.start()
        names.append(Token(nm.group(0), i, s, s + len(nm.group(0))))
    return Block(kind, names, i, -1, raw[i].strip(), _doc_above(raw, i))


def _open_udo(line: str, i: int, raw: list[str], m: re.Match[str]) -> Block:
    name = Token(m.group(1), i, m.start(1), m.end(1))
    if m.re is _UDO_OLD:
        outs, ins = m.group(2), m.group(3)
        return Block("opcode", [name], i, -1, raw[i].strip(), _doc_above(raw, i), outs, ins)
    # Csound 7: opcode name(arg:type, …):(types)
    block = Block("opcode", [name], i, -1, raw[i].strip(), _doc_above(raw, i),
                  (m.group(3) or "").replace(",", "").replace("void", ""))
    start = m.start(2)
    for part in (m.group(2) or "").split(","):
        pm = _PARAM.fullmatch(part)
        if pm is not None:
            col = start + pm.start(1)
            block.params.append((Token(pm.group(1), i, col, col + len(pm.group(1))),
                                 pm.group(3) or pm.group(2)))
        start += len(part) + 1
    block.in_types = "".join(_param_type(t.text, typ) for t, typ in block.params)
    return block


def _doc_above(raw: list[str], i: int) -> str:
    """Comment lines directly above a header, plus a trailing comment on the header line."""
    docs: list[str] = []
    j = i - 1
    while j >= 0 and raw[j].lstrip().startswith((";", "//")):
        docs.append(raw[j].lstrip().lstrip(";/").strip())
        j -= 1
    docs.reverse()
    tail = re.search(r"(?:;|//)(.*)$", raw[i])
    if tail and tail.group(1).strip():
        docs.append(tail.group(1).strip())
    return "\n".join(d for d in docs if d)


def _score_event(line: str, i: int, raw: str) -> ScoreEvent | None:
    """Fields are found in the blanked line (no comments), their text read from the raw one."""
    m = re.match(r"\s*([a-zA-Z{}])", line)
    if not m:
        return None
    letter = Token(m.group(1), i, m.start(1), m.end(1))
    base = m.end(1)
    fields = [Token(raw[base + f.start(): base + f.end()], i, base + f.start(), base + f.end())
              for f in re.finditer(r'"[^"]*"|[^\s"]+', line[base:])]
    return ScoreEvent(letter, fields)


def _regions(kind: str, lines: list[str]) -> list[str]:
    if kind in ("orc", "sco"):
        return [kind] * len(lines)
    regions: list[str] = []
    state = "other"
    for line in lines:
        tag = lexical.section_tag(line) if "<" in line else None
        target = lexical.SECTIONS.get(tag[1].lower()) if tag is not None else None
        if target is not None:
            state = "other" if tag[0] else target
        # A tag line belongs to no section: code sharing a line with a tag is not analysed.
        regions.append("other" if target is not None else state)
    return regions


class _LazyCode(Sequence[str]):
    """Per-line blanked code computed when a line is first read (multi-line comments not joined)."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        self._done: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._lines)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i not in self._done:
            self._done[i] = _BLANK.sub(_blank_match, self._lines[i])
        return self._done[i]


class _LazyRegions(Sequence[str]):
    """`_regions` one line at a time: the nearest section tag above decides (reduced analysis)."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines

    def __len__(self) -> int:
        return len(self._lines)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        for j in range(i, -1, -1):
            line = self._lines[j]
            tag = lexical.section_tag(line) if "<" in line else None
            if tag is None or tag[1].lower() not in lexical.SECTIONS:
                continue
            if j == i:
                return "other"
            return "other" if tag[0] else lexical.SECTIONS[tag[1].lower()]
        return "other"


def _sections(lines: list[str]) -> list[Section]:
    out: list[Section] = []
    open_at: dict[str, int] = {}
    for i, line in enumerate(lines):
        tag = lexical.section_tag(line) if "<" in line else None
        if tag is None:
            continue
        closing, name = tag
        if closing:
            start = open_at.pop(name.lower(), None)
            if start is None and name == "CsScore":  # the end of a <CsScore bin="…">
                start, name = open_at.pop("csscorebin", None), "CsScoreBin"
            if start is not None:
                out.append(Section(name, start, i))
        else:
            open_at[name.lower()] = i
    for name, start in open_at.items():
        out.append(Section(name, start, len(lines) - 1))
    return sorted(out, key=lambda s: s.start_line)


def word_at(line: str, char: int, pattern: re.Pattern[str] = IDENT) -> tuple[str, int, int] | None:
    """The identifier touching column `char` (cursor before or after it)."""
    for m in pattern.finditer(line):
        if m.start() <= char <= m.end():
            return m.group(0), m.start(), m.end()
        if m.start() > char:
            break
    return None


def identifier_occurrences(code_line: str, name: str) -> list[tuple[int, int]]:
    """Columns of `name` as a whole identifier (not a macro use, not part of another word)."""
    pat = re.compile(r"(?<![\w$#.])" + re.escape(name) + r"(?!\w)")
    return [(m.start(), m.end()) for m in pat.finditer(code_line)]


def is_number(text: str) -> bool:
    return _NUMBER.fullmatch(text) is not None


__all__ = [
    "HEADER_VARS", "Block", "Macro", "Outline", "Pos", "ScoreEvent", "Section", "Span", "Statement",
    "Token", "Variable", "blank_code", "build_outline", "identifier_occurrences", "parse_statement",
    "outline_of_text",
    "MEMBER_CHAIN", "declared_rate", "rate_of", "split_args", "word_at", "_MACRO_USE",
]
