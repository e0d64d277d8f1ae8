"""Hover: opcode docs (with the parameter under the cursor), variables, instruments, UDOs, GENs,
score
p-fields, macros, header variables and command-line flags."""

from __future__ import annotations

import re
from typing import Any

from lsprotocol import types

from csound_assist.features import kbinfo
from csound_assist.features.analysis import (
    HEADER_VARS,
    IDENT,
    MEMBER_CHAIN,
    Block,
    Outline,
    build_outline,
    word_at,
)
from csound_assist.features.completion import opcode_markdown
from csound_assist.features.context import find_call, in_opaque
from csound_assist.features.document import Document, Pos, Span
from csound_assist.features.protocol import code_block, lsp_range, markdown

_FLAG = re.compile(r"--?[A-Za-z0-9_\-]+(?:=\S*)?")
_SCORE_FIELD = re.compile(r'"[^"]*"|[^\s"]+')


def hover(doc: Document, kb: Any, pos: Pos) -> types.Hover | None:
    outline = build_outline(doc, kb)
    line = doc.line(pos.line)
    region = outline.region(pos.line)
    if region == "options":
        return _flag_hover(doc, kb, pos, line)
    if region not in ("orc", "sco") or in_opaque(doc, outline, pos):
        return None
    if region == "sco":
        return _score_hover(doc, kb, outline, pos, line)
    hit = word_at(line, pos.char)
    if hit is None:
        return None
    word, start, end = hit
    span = Span.on_line(pos.line, start, end)
    text = _orc_word(kb, outline, word, pos, start, line)
    if not text:
        return None
    return types.Hover(contents=markdown(text), range=lsp_range(doc, span))


def _orc_word(kb: Any, outline: Outline, word: str, pos: Pos, start: int, line: str) -> str | None:
    if start > 0 and line[start - 1] == "$":
        macro = outline.macros.get(word)
        return code_block(f"#define {word} #{macro.body}#") if macro else None
    code = outline.code[pos.line]
    member = MEMBER_CHAIN.search(code[:start])
    if member is not None and member.group(3) == "":
        # Csound 7 `note.pitch`: the member's declaration in its struct.
        typ = outline.member_type(member.group(1) + member.group(2), pos.line)
        for tok, mtype in outline.structs.get(typ or "", []):
            if tok.text == word:
                return (f"**{word}** — member of struct `{typ}`, type `{mtype}`\n\n"
                        + code_block(outline.code[tok.line].strip()))
    if word in outline.structs:
        tok = next(iter(outline.structs[word]), None)
        shown = outline.code[tok[0].line].strip() if tok else f"struct {word}"
        return f"**{word}** — struct type\n\n" + code_block(shown)
    st = outline.statements.get(pos.line)
    # Instrument header: `instr 1, Name`.
    block = outline.block_at(pos.line)
    if block is not None and block.start_line == pos.line:
        return _block_markdown(block)
    udo = outline.udos().get(word)
    if udo is not None:
        return _block_markdown(udo)
    op = kbinfo.get(kb, word)
    if op is not None and not (st and any(t.start == start for t in st.outputs)):
        if op.name != word:  # Csound 7's new name of an installed opcode
            return (f"**{word}** — Csound 7's name for `{op.name}`; the installed Csound knows "
                    f"it as `{op.name}`\n\n" + opcode_markdown(op))
        return opcode_markdown(op)
    if word in HEADER_VARS:
        entry = (getattr(kb, "header_vars", None) or {}).get(word)
        return _entry_markdown(entry, word) if entry else f"**{word}** — orchestra header variable"
    parts = []
    var = outline.variable(word, pos.line)
    if var is not None:
        scope = "global" if var.is_global else f"local to {_block_title(var.block)}"
        defn = outline.code[var.definition.line].strip() if var.definition.line < len(
            outline.code) else ""
        kind = (f"`{var.type}` variable" if var.type and not var.rate
                else f"{_rate_name(var.rate)} variable" + (f" (`:{var.type}`)" if var.type else ""))
        parts.append(f"**{word}** — {kind}, {scope}\n\n"
                     f"defined on line {var.definition.line + 1}:\n\n{code_block(defn)}")
    elif re.fullmatch(r"p\d+", word):
        parts.append(f"**{word}** — p-field {word[1:]} of the score event (i-rate)")
    # An argument: add the parameter's doc from the opcode being called.
    call = find_call(code, pos.line, start, st)
    if call is not None and not (st and any(t.start == start for t in st.outputs)):
        param = _param_doc(kb, call.name, call.arg_index)
        if param:
            parts.append(param)
    return "\n\n---\n\n".join(parts) or None


def _param_doc(kb: Any, name: str, index: int) -> str | None:
    op = kbinfo.get(kb, name)
    if op is None:
        return None
    params = getattr(op, "params", None) or {}
    for sig in kbinfo.signatures(op):
        names = kbinfo.param_names(op, sig)
        if index < len(names):
            pname = names[index]
            doc = params.get(pname)
            return f"argument `{pname}` of **{name}**" + (f" — {doc}" if doc else "")
    return None


def _rate_name(rate: str) -> str:
    return {"a": "audio-rate", "k": "control-rate", "i": "init-time", "S": "string",
            "f": "f-sig (streaming spectral)", "w": "spectral", "b": "init-time boolean",
            "B": "performance-time boolean"}.get(rate, "untyped")


def _block_title(block: Block | None) -> str:
    if block is None:
        return "global"
    return f"instr {block.name}" if block.kind == "instr" else f"opcode {block.name}"


def _block_markdown(block: Block) -> str:
    kind = "instrument" if block.kind == "instr" else "user-defined opcode"
    text = f"**{block.name}** — {kind}, line {block.start_line + 1}\n\n{code_block(block.header)}"
    if block.kind == "opcode" and block.arg_names:
        text += f"\n\narguments: {', '.join(block.arg_names)}"
    if block.doc:
        text += f"\n\n{block.doc}"
    return text


def _score_hover(doc: Document, kb: Any, outline: Outline, pos: Pos,
                 line: str) -> types.Hover | None:
    code = outline.code[pos.line]
    m = re.match(r"\s*([A-Za-z])", code)
    if m is None:
        return None
    letter = m.group(1)
    fields = [(f.group(0), f.start() + m.end(), f.end() + m.end())
              for f in _SCORE_FIELD.finditer(line[m.end():])]
    if m.start(1) <= pos.char <= m.end(1):
        from csound_assist.features.completion import SCORE_LETTERS

        entry = (getattr(kb, "score_statements", None) or {}).get(letter)
        desc = _entry_markdown(entry, letter) if entry else None
        if desc is None and letter in SCORE_LETTERS:
            desc = f"**{letter}** — {SCORE_LETTERS[letter]}"
        if desc is None:
            return None
        return types.Hover(contents=markdown(desc),
                           range=lsp_range(doc, Span.on_line(pos.line, m.start(1), m.end(1))))
    for index, (text, start, end) in enumerate(fields, start=1):
        if not start <= pos.char <= end:
            continue
        span = lsp_range(doc, Span.on_line(pos.line, start, end))
        body = None
        if letter == "f" and index == 4:
            gen = kb.gen(text.lstrip("-")) if kb is not None and hasattr(kb, "gen") else None
            if gen is not None:
                body = _entry_markdown(gen, f"GEN{text.lstrip('-')}")
        elif letter == "i" and index == 1:
            block = outline.find_instrument(text)
            body = _block_markdown(block) if block else f"instrument {text} is not defined"
        elif letter == "i" and fields:
            block = outline.find_instrument(fields[0][0])
            body = _pfield_markdown(outline, block, index)
        if body:
            return types.Hover(contents=markdown(body), range=span)
        return None
    return None


def _pfield_markdown(outline: Outline, block: Block | None, index: int) -> str:
    names = {1: "instrument", 2: "start time", 3: "duration"}
    head = f"**p{index}**" + (f" — {names[index]}" if index in names else "")
    if block is None:
        return head
    readers = []
    pat = re.compile(rf"(?<![\w$])p{index}(?!\w)")
    for ln in range(block.start_line, block.end_line + 1):
        if pat.search(outline.code[ln]):
            st = outline.statements.get(ln)
            target = ", ".join(t.text for t in st.outputs) if st and st.outputs else None
            readers.append(f"p{index} → {target} in instr {block.name}" if target
                           else f"read on line {ln + 1} of instr {block.name}")
    if not readers and index > 3:
        readers.append(f"not read by instr {block.name}")
    return head + ("\n\n" + "\n\n".join(readers) if readers else "")


def _entry_markdown(entry: Any, title: str) -> str:
    """A manual entry (GEN, score statement, header variable, directive) as hover text."""
    parts = [f"**{title}** — {getattr(entry, 'summary', '') or kbinfo.describe(entry)}"]
    syntax = getattr(entry, "syntax", None)
    if syntax:
        parts.append(code_block("\n".join(syntax)))
    page = getattr(entry, "manual_page", None)
    if page:
        parts.append(f"[Manual]({page if '://' in page else 'file://' + page})")
    return "\n\n".join(parts)


def _flag_hover(doc: Document, kb: Any, pos: Pos, line: str) -> types.Hover | None:
    if kb is None or not hasattr(kb, "flag"):
        return None
    for m in _FLAG.finditer(line):
        if m.start() <= pos.char <= m.end():
            flag = kb.flag(m.group(0))  # -odac → -o, --output=x → --output, -b512 → -b
            if flag is None:
                return None
            names = ", ".join(f"`{n}`" for n in getattr(flag, "names", [flag.name]))
            arg = f" {flag.argument}" if getattr(flag, "argument", None) else ""
            return types.Hover(contents=markdown(f"{names}{arg}\n\n{flag.description}"),
                               range=lsp_range(doc, Span.on_line(pos.line, m.start(), m.end())))
    return None


__all__ = ["IDENT", "hover"]
