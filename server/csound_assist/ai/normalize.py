"""Deterministic repair of a model's CSD before it is compiled.

Small models get the mechanics of a CSD wrong far more often than the music: markdown fences left
in, tags in the wrong case or sharing a line (`<CsOptions>-odac</CsOptions>`), XML-style blocks
(`<instr 1>` … `</instr>`), a missing header, section or closing tag. None of that needs a model
round to fix, and a repair round spent on it is a round not spent on the real error. This module
fixes what is mechanical, then applies the static checks' preferred quick fixes (each one, alone,
makes its problem go away); what is left is for the compiler and the model.

Pure: text in, text and a list of what changed out. Nothing here compiles or runs anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from csound_assist.diagnostics.fixes import apply_edits
from csound_assist.diagnostics.tags import canonical_tag, tag_problems

_FENCE_LINE = re.compile(r"^\s*```[\w+-]*\s*$")
_FENCE = re.compile(r"```[ \t]*[\w+-]*[^\n]*\n(.*?)(?:```|\Z)", re.S)
_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9_]*)[^<>]*>")
_INSTR = re.compile(r"^\s*instr\s+(.+?)\s*(?:;.*)?$", re.M)
_SCORE_LINE = re.compile(r"^\s*(?:[ifbtvsxaeqmnry]\s*[-\d.\"]|[es]\s*$|;)")
_SCHEDULES = re.compile(r"\b(?:schedule|schedkwhen|event_i|event|scoreline_i|scoreline)\b")
DEFAULT_OPTIONS = "-odac"
DEFAULT_DURATION = 3
MAX_FIX_PASSES = 4
_PACKAGING = ("took the code out of", "dropped the text")


@dataclass(frozen=True, slots=True)
class Normalized:
    text: str
    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    @property
    def code_changes(self) -> list[str]:
        """Changes to the code itself (not the fences and prose taken away around it)."""
        return [c for c in self.changes if not c.startswith(_PACKAGING)]


def normalize_csd(answer: str, *, static_fixes: bool = True) -> Normalized:
    """The CSD in a model's answer with every mechanical problem repaired.

    `answer` may be the whole answer (prose and fences) or the code alone; an answer with no
    Csound in it comes back as it was (stripped), with no changes.
    """
    changes: list[str] = []
    text = _unfence(answer, changes)
    text = _fix_tags(text, changes)
    text = _ensure_structure(text, changes)
    text = _fix_tags(text, changes)  # XML blocks are found only inside <CsInstruments>
    text = _hoist_header(text, changes)
    text = _declarations(text, changes)
    text = _rate_prefixes(text, changes)
    text = _strays_into_instrument(text, changes)
    if static_fixes:
        text = _static_fixes(text, changes)
    text = text.strip("\n") + "\n" if text.strip() else ""
    return Normalized(text, changes)


# --- fences and prose ---------------------------------------------------------------------------


def _unfence(answer: str, changes: list[str]) -> str:
    text = answer.replace("\r\n", "\n")
    if "```" in text:
        blocks = [m.group(1) for m in _FENCE.finditer(text)]
        with_csd = [b for b in blocks if re.search(r"<\s*csound", b, re.I)]
        with_instr = [b for b in blocks if re.search(r"^\s*<?\s*instr\b", b, re.M)]
        chosen = (with_csd or with_instr or blocks or [text])[0]
        if chosen is not text:
            changes.append("took the code out of its markdown fence")
        text = "\n".join(ln for ln in chosen.split("\n") if not _FENCE_LINE.match(ln))
    # Prose around a document: keep from its opening tag to its closing tag.
    opening = re.search(r"<\s*csound\s*synthe[sz]izer\s*>", text, re.I)
    if opening and text[: opening.start()].strip():
        text = text[opening.start() :]
        changes.append("dropped the text before <CsoundSynthesizer>")
    # An answer cut off by a time or token limit can end inside a tag (`</`, `</CsSc`): the
    # fragment goes, the missing closing tags are added later.
    cut = re.search(r"\n[ \t]*<\s*/?\s*[A-Za-z]*\s*\Z", text)
    if cut:
        text = text[: cut.start() + 1]
        changes.append("dropped a tag cut off at the end of the answer")
    closing = None
    for m in re.finditer(r"<\s*/\s*csound\s*synthe[sz]izer\s*>", text, re.I):
        closing = m
    if opening and closing is None:
        text = _drop_cut_line(text, changes)
    if closing and text[closing.end() :].strip():
        text = text[: closing.end()] + "\n"
        changes.append("dropped the text after </CsoundSynthesizer>")
    return text


def _drop_cut_line(text: str, changes: list[str]) -> str:
    """A document with no closing tag was cut off (a time or token limit): its last line is
    most likely unfinished (`kenv3 delayk kenv1`), so it goes unless it ends something."""
    lines = text.rstrip("\n").split("\n")
    last = lines[-1].split(";", 1)[0].strip()
    if not last or last in ("endin", "endop") or last.endswith(">") or len(lines) < 3:
        return text
    if re.search(r"<\s*cs\s*score", text, re.I):
        return text  # cut in the score: a note line is whole more often than not

    changes.append(f"dropped the last line, cut off: {lines[-1].strip()}")
    return "\n".join(lines[:-1]) + "\n"


# --- tags ---------------------------------------------------------------------------------------


def _fix_tags(text: str, changes: list[str]) -> str:
    for _ in range(MAX_FIX_PASSES):
        problems = tag_problems(text)
        if not problems:
            break
        # One edit per line per pass: a line's edits are computed on the same original line.
        edits, lines = [], set()
        for p in problems:
            if p.line in lines:
                continue
            lines.add(p.line)
            edits.extend(p.edits)
            changes.append(f"line {p.line + 1}: {_short(p.message)} → {p.title}")
        text = apply_edits(text, edits)
    return text


def _short(message: str) -> str:
    return message.split(":", 1)[0].strip()


def _sections(text: str) -> dict[str, list[tuple[int, bool]]]:
    """Canonical tag → [(line, is_closing)] for every CSD tag in `text`."""
    found: dict[str, list[tuple[int, bool]]] = {}
    for i, line in enumerate(text.split("\n")):
        for m in _TAG.finditer(line):
            tag = canonical_tag(m.group(2))
            if tag is not None:
                found.setdefault(tag, []).append((i, bool(m.group(1))))
    return found


def _has(found: dict[str, list[tuple[int, bool]]], tag: str, closing: bool) -> bool:
    return any(c == closing for _line, c in found.get(tag, []))


def _ensure_structure(text: str, changes: list[str]) -> str:
    found = _sections(text)
    if not found:
        if not re.search(r"^\s*<?\s*(instr|opcode)\b", text, re.M):
            return text  # not Csound: nothing to build on
        orc, sco = _split_orchestra_score(text)
        changes.append("wrapped the orchestra in a complete CSD")
        return _document(orc, sco, changes)
    lines = text.split("\n")
    if not _has(found, "CsoundSynthesizer", False):
        lines.insert(0, "<CsoundSynthesizer>")
        changes.append("inserted the missing <CsoundSynthesizer>")
    text = "\n".join(lines)
    found = _sections(text)
    if not _has(found, "CsInstruments", False) and re.search(r"^\s*<?\s*instr\b", text, re.M):
        text = _insert_instruments_open(text)
        changes.append("inserted the missing <CsInstruments>")
    found = _sections(text)
    for tag, before in (
        ("CsOptions", ("CsInstruments", "CsScore", "CsoundSynthesizer")),
        ("CsInstruments", ("CsScore", "CsoundSynthesizer")),
        ("CsScore", ("CsoundSynthesizer",)),
    ):
        if _has(found, tag, False) and not _has(found, tag, True):
            text = _insert_close(text, tag, before)
            changes.append(f"inserted the missing </{tag}>")
            found = _sections(text)
    if not _has(found, "CsScore", False):
        text = _insert_score(text, changes)
        found = _sections(text)
    if not _has(found, "CsoundSynthesizer", True):
        text = text.rstrip("\n") + "\n</CsoundSynthesizer>\n"
        changes.append("inserted the missing </CsoundSynthesizer>")
    return text


def _split_orchestra_score(text: str) -> tuple[str, str]:
    """A bare orchestra (+ score lines after its last block) split in two."""
    lines = text.strip("\n").split("\n")
    last_close = max(
        (i for i, ln in enumerate(lines) if re.match(r"^\s*(endin|endop|</\s*instr\s*>)", ln)),
        default=len(lines) - 1,
    )
    tail = lines[last_close + 1 :]
    if tail and all(_SCORE_LINE.match(ln) or not ln.strip() for ln in tail):
        return "\n".join(lines[: last_close + 1]), "\n".join(tail).strip("\n")
    return "\n".join(lines), ""


def _document(orc: str, sco: str, changes: list[str]) -> str:
    score = sco or _default_score(orc, changes)
    return (
        f"<CsoundSynthesizer>\n<CsOptions>\n{DEFAULT_OPTIONS}\n</CsOptions>\n"
        f"<CsInstruments>\n{orc.strip(chr(10))}\n</CsInstruments>\n"
        f"<CsScore>\n{score}\n</CsScore>\n</CsoundSynthesizer>\n"
    )


def _default_score(orc: str, changes: list[str]) -> str:
    """One note per instrument, all together (effects with global inputs need to run too)."""
    if _SCHEDULES.search(orc):
        changes.append(f"added a score of {DEFAULT_DURATION} s (the orchestra schedules its notes)")
        return f"f 0 {DEFAULT_DURATION}"
    names = []
    for m in _INSTR.finditer(orc):
        for name in m.group(1).split(","):
            name = name.strip().strip(">").strip()
            if name:
                names.append(name if re.fullmatch(r"\d+", name) else f'"{name}"')
    if not names:
        return f"f 0 {DEFAULT_DURATION}"
    changes.append(f"added a score: one {DEFAULT_DURATION} s note for each instrument")
    return "\n".join(f"i {n} 0 {DEFAULT_DURATION}" for n in names)


def _insert_instruments_open(text: str) -> str:
    lines = text.split("\n")
    found = _sections(text)
    after = [ln for ln, closing in found.get("CsOptions", []) if closing]
    if after:
        at = after[-1] + 1
    else:
        first_code = next(
            (
                i
                for i, ln in enumerate(lines)
                if ln.strip() and canonical_tag(_tag_name(ln)) is None
            ),
            1,
        )
        at = first_code
    lines.insert(at, "<CsInstruments>")
    return "\n".join(lines)


def _tag_name(line: str) -> str:
    m = _TAG.search(line)
    return m.group(2) if m else ""


def _insert_close(text: str, tag: str, before: tuple[str, ...]) -> str:
    lines = text.split("\n")
    found = _sections(text)
    opened = max(ln for ln, closing in found[tag] if not closing)
    candidates = [
        ln for t in before for ln, closing in found.get(t, []) if ln > opened and not closing
    ]
    candidates += [ln for ln, closing in found.get("CsoundSynthesizer", []) if closing]
    at = min((c for c in candidates if c > opened), default=None)
    if at is None:
        while lines and not lines[-1].strip():
            lines.pop()
        lines.append(f"</{tag}>")
        return "\n".join(lines)
    if tag == "CsOptions":
        # Flags are the lines right after the tag; everything else belongs to what follows.
        k = opened + 1
        while k < at and lines[k].strip().startswith(("-", "+")):
            k += 1
        at = k
    lines.insert(at, f"</{tag}>")
    return "\n".join(lines)


def _insert_score(text: str, changes: list[str]) -> str:
    lines = text.split("\n")
    found = _sections(text)
    orc_lines = [ln for ln, closing in found.get("CsInstruments", []) if closing]
    close_root = [ln for ln, closing in found.get("CsoundSynthesizer", []) if closing]
    at = orc_lines[-1] + 1 if orc_lines else (close_root[-1] if close_root else len(lines))
    orc = "\n".join(lines[:at])
    score = _default_score(orc, changes)
    lines[at:at] = ["<CsScore>", *score.split("\n"), "</CsScore>"]
    return "\n".join(lines)


# --- header assignments inside an instrument ---------------------------------------------------

_HEADER_LINE = re.compile(r"^\s*(sr|kr|ksmps|nchnls|nchnls_i|0dbfs|A4)\s*=\s*[^\s;]+")


def _hoist_header(text: str, changes: list[str]) -> str:
    """`sr = 44100` inside `instr 1` ("unexpected SRATE_TOKEN") moves to the orchestra header,
    unless the header already sets it."""
    lines = text.split("\n")
    start = next((i for i, ln in enumerate(lines) if "<CsInstruments>" in ln), None)
    if start is None:
        return text
    depth, moved, keep, globals_ = 0, [], [], set()
    for i, line in enumerate(lines):
        if i <= start or "</CsInstruments>" in line:
            keep.append(line)
            continue
        word = line.split(";", 1)[0].split()[:1]
        if word and word[0] in ("instr", "opcode"):
            depth += 1
        elif word and word[0] in ("endin", "endop"):
            depth = max(0, depth - 1)
        m = _HEADER_LINE.match(line)
        if m and depth == 0:
            globals_.add(m.group(1))
        if m and depth > 0:
            moved.append((m.group(1), line.strip()))
            continue
        keep.append(line)
    if not moved:
        return text
    hoisted = []
    for name, line in moved:
        if name not in globals_:
            globals_.add(name)
            hoisted.append(line)
    changes.append("moved the header out of the instrument: " + "; ".join(ln for _n, ln in moved))
    at = start + 1
    return "\n".join([*keep[:at], *hoisted, *keep[at:]])


# --- declarations from other languages -----------------------------------------------------------

# `global gisin`, `var giwave`, `let gaSend = 0`: Csound declares a global by giving it a value.
_DECLARATION = re.compile(
    r"^(?P<indent>\s*)(?:global|var|let|local|declare)\s+(?P<name>g[ikaS]\w*)"
    r"(?:\s*=\s*(?P<value>[^;]+?))?\s*(?P<comment>;.*)?$"
)


def _declarations(text: str, changes: list[str]) -> str:
    lines = text.split("\n")
    for i, line in enumerate(lines):
        m = _DECLARATION.match(line)
        if m is None:
            continue
        name, value = m.group("name"), (m.group("value") or "").strip()
        defined = re.compile(rf"^\s*{re.escape(name)}\s*(?:=|\s(?:init|ftgen|ftgenonce)\b)", re.M)
        if not value and defined.search(text):
            lines[i] = ""  # declared here, defined properly elsewhere: the declaration goes
            changes.append(f"line {i + 1}: removed {line.strip()} (not Csound; {name} is defined)")
            continue
        if name.startswith("gS"):
            value = value or '""'
        new = f"{m.group('indent')}{name} init {value or 0}"
        if m.group("comment"):
            new += " " + m.group("comment")
        lines[i] = new
        changes.append(f"line {i + 1}: {line.strip()} is not Csound → {new.strip()}")
    return "\n".join(lines)


# --- instrument code after endin -----------------------------------------------------------------

_LOCAL_USE = re.compile(r"(?<![\w$#.])[ka][A-Za-z0-9_]*\b")


def _uses_local(code: str, table: object) -> bool:
    """A k/a variable (not an opcode such as `alwayson`) makes a statement instrument code."""
    return any(w not in table for w in _LOCAL_USE.findall(code))  # type: ignore[operator]


def _strays_into_instrument(text: str, changes: list[str]) -> str:
    """k- and a-rate statements after an `endin`, outside any block ("Variable 'kcut1' used
    before defined" at global level: Qwen went on writing the instrument after closing it) move
    back in, before that `endin`."""
    lines = text.split("\n")
    try:
        start = next(i for i, ln in enumerate(lines) if "<CsInstruments>" in ln)
        end = next(i for i, ln in enumerate(lines) if "</CsInstruments>" in ln)
    except StopIteration:
        return text
    from csound_assist.diagnostics.opcodes import default_table
    from csound_assist.diagnostics.source import blank_code

    table = default_table()
    code = blank_code(text).split("\n")
    depth, last_endin, moves = 0, None, {}
    for i in range(start + 1, end):
        word = code[i].split()[:1]
        if word and word[0] in ("instr", "opcode"):
            depth += 1
        elif word and word[0] in ("endin", "endop"):
            depth = max(0, depth - 1)
            last_endin = i if word[0] == "endin" else None
        elif depth == 0 and last_endin is not None and _uses_local(code[i], table):
            moves.setdefault(last_endin, []).append(i)
    if not moves:
        return text
    moved = {i for group in moves.values() for i in group}
    out = []
    for i, line in enumerate(lines):
        if i in moved:
            continue
        if i in moves:
            out.extend(lines[k] for k in moves[i])
        out.append(line)
    changes.append(f"moved {len(moved)} instrument statement(s) written after endin back in")
    return "\n".join(out)


# --- variables without a rate prefix -------------------------------------------------------------

_ASSIGN = re.compile(r"^\s*(?P<name>[A-Za-z_]\w*)\s*=(?!=)\s*(?P<rhs>[^;]*)")
_WORD = re.compile(r"(?<![\w$#.])([A-Za-z_]\w*)\b")


def _rate_of(rhs: str, rates: dict[str, str]) -> str:
    words = _WORD.findall(rhs)
    found = {rates.get(w) or (w[0] if w[0] in "ak" and len(w) > 1 else "") for w in words}
    if "a" in found:
        return "a"
    return "k" if "k" in found else "i"


def _rate_prefixes(text: str, changes: list[str]) -> str:
    """`pitch = 440` / `freq = 440` in an instrument (Python-style names: `pitch` is an opcode,
    an `f` name is a spectral signal) become `ipitch` / `ifreq`, `level = kenv * 0.5` becomes
    `klevel`, renamed throughout the instrument."""
    from csound_assist.diagnostics.opcodes import default_table

    table = default_table()
    lines = text.split("\n")
    out: list[str] = []
    block: list[str] = []
    for line in lines:
        head = line.split(";", 1)[0].split()[:1]
        if head and head[0] in ("instr", "opcode"):
            block = [line]
            continue
        if block:
            block.append(line)
            if head and head[0] in ("endin", "endop"):
                out.extend(_rename_untyped(block, table, changes))
                block = []
            continue
        out.append(line)
    out.extend(block)
    return "\n".join(out)


def _rename_untyped(block: list[str], table: object, changes: list[str]) -> list[str]:
    if block[0].split()[0] == "opcode":
        return block
    rates: dict[str, str] = {}
    renames: dict[str, str] = {}
    for line in block[1:]:
        m = _ASSIGN.match(line)
        if m is None:
            continue
        name = m.group("name")
        if name in renames or re.fullmatch(r"p\d+", name):
            continue
        untyped = name[0] not in "aikSgwf" or name in table  # type: ignore[operator]
        spectral = name[0] == "f" and not re.search(r"\bf\w", m.group("rhs"))
        if not (untyped or spectral):
            continue
        rhs = m.group("rhs")
        for old, new in renames.items():
            rhs = re.sub(rf"(?<![\w$#.]){re.escape(old)}\b", new, rhs)
        rate = _rate_of(rhs, rates)
        new = rate + name
        renames[name] = new
        rates[new] = rate
    if not renames:
        return block
    changes.append(
        "gave rate prefixes: " + ", ".join(f"{a} → {b}" for a, b in renames.items())
    )
    pattern = re.compile(r"(?<![\w$#.\"])(" + "|".join(map(re.escape, renames)) + r")\b")
    out = [block[0]]
    for line in block[1:]:
        code, sep, comment = line.partition(";")
        out.append(pattern.sub(lambda m: renames[m.group(1)], code) + sep + comment)
    return out


# --- static checks' quick fixes -----------------------------------------------------------------


def _static_fixes(text: str, changes: list[str]) -> str:
    from csound_assist.diagnostics.fixes import merge_edits
    from csound_assist.diagnostics.model import Fix, fixes_of
    from csound_assist.diagnostics.static import static_checks

    for _ in range(MAX_FIX_PASSES):
        try:
            diags = static_checks(text, "generated.csd")
        except Exception:  # noqa: BLE001 — a normaliser never makes things worse by failing
            return text
        chosen: list[Fix] = []
        inserted: set[str] = set()
        candidates = [f for d in diags for f in fixes_of(d) if f.preferred]
        candidates.sort(key=lambda f: -sum(e.new_text.count("\n") for e in f.edits))
        for fix in candidates:
            # Two checks may insert the same line (the header check and the channel check both
            # add `nchnls = 2`): a fix whose every new line is already coming is left out.
            new = {ln.strip() for e in fix.edits for ln in e.new_text.split("\n") if ln.strip()}
            if new and new <= inserted:
                continue
            inserted |= new
            chosen.append(fix)
        fixed = apply_edits(text, merge_edits(chosen))
        if fixed == text:
            break
        changes.extend(f"quick fix: {t}" for t in dict.fromkeys(f.title for f in chosen))
        text = fixed
    return text
