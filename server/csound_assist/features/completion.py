"""Completion: what fits at the cursor, read from the context (see `features.context`).

Opcode items carry a short `detail` (the signature) and the name in `data`; the full documentation
is
filled in by `resolve`, so a list of ~1,500 opcodes stays cheap to build and to send.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import attrs
from lsprotocol import types

from csound_assist.features import kbinfo
from csound_assist.features.analysis import HEADER_VARS, IDENT, Outline, rate_of
from csound_assist.features.context import Call, Context, cursor_context
from csound_assist.features.document import Document, Pos, Span
from csound_assist.features.protocol import code_block, lsp_range, markdown
from csound_assist.knowledge import csound7_names

KIND = types.CompletionItemKind
KEYWORDS_IN_INSTR = ("if", "elseif", "else", "endif", "then", "while", "do", "od", "until", "goto",
                     "igoto", "kgoto", "endin", "endop")
KEYWORDS_TOP = ("instr", "opcode", "endin", "endop")
CSD_TAGS = ("CsoundSynthesizer", "CsOptions", "CsInstruments", "CsScore", "CsLicense",
            "CsShortLicense", "CsFileB", "CsSampleB", "CsMidifileB")
SCORE_LETTERS = {
    "i": "instrument event: i p1(instr) p2(start) p3(dur) …",
    "f": "function table: f p1(number) p2(time) p3(size) p4(GEN) …",
    "e": "end of score", "s": "end of section", "t": "tempo", "a": "advance score time",
    "b": "reset clock", "v": "local time warp", "x": "skip rest of section", "m": "mark",
    "n": "repeat marked section", "r": "repeat section", "q": "quiet an instrument", "{": "loop",
    "}": "end loop", "d": "de-activate instrument", "y": "seed random",
}
DIRECTIVES = ("define", "include", "includestr", "undef", "ifdef", "ifndef", "else", "end")


MAX_ITEMS = 300


def complete(doc: Document, kb: Any, pos: Pos, *, snippets: bool = True,
             limit: int = MAX_ITEMS) -> types.CompletionList:
    """Completion items at `pos`, best first, at most `limit` (then `is_incomplete` is set)."""
    ctx = cursor_context(doc, kb, pos)
    items = _items(doc, kb, ctx, snippets)
    if ctx.prefix and ctx.kind not in ("options",):
        items = [i for i in items if _matches(ctx.prefix, i.filter_text or i.label)]
    truncated = len(items) > limit
    if truncated:
        items = sorted(items, key=lambda i: i.sort_text or i.label)[:limit]
    if ctx.kind in ("macro", "directive", "options", "tag"):
        replace = lsp_range(doc, Span(Pos(pos.line, ctx.word_start), Pos(pos.line, ctx.pos.char)))
        items = [_with_edit(i, replace) for i in items]
    return types.CompletionList(is_incomplete=truncated, items=items)


def _with_edit(item: types.CompletionItem, rng: types.Range) -> types.CompletionItem:
    new_text = item.insert_text or item.label
    return attrs.evolve(item, text_edit=types.TextEdit(range=rng, new_text=new_text),
                        insert_text=None)


def _matches(prefix: str, label: str) -> bool:
    """Case-insensitive subsequence match anchored at the first character (as editors do)."""
    prefix, label = prefix.lower(), label.lower()
    if not label.startswith(prefix[0]):
        return False
    # A typed number stays a number: `aX = 0` must not offer `0dbfs` (Enter would accept it).
    if prefix.isdigit() and not label.replace(".", "").isdigit():
        return False
    it = iter(label)
    return all(ch in it for ch in prefix)


def _items(doc: Document, kb: Any, ctx: Context, snippets: bool) -> list[types.CompletionItem]:
    outline = ctx.outline
    assert outline is not None
    kind = ctx.kind
    if kind == "none":
        return []
    if kind == "macro":
        return [types.CompletionItem(label=m.name, kind=KIND.Constant, detail="macro",
                                     documentation=code_block(f"#define {m.name} #{m.body}#"))
                for m in outline.macros.values()]
    if kind == "directive":
        table = getattr(kb, "directives", None) or {}
        docs = {k.lstrip("#"): getattr(v, "summary", "") for k, v in table.items()}
        return [types.CompletionItem(label=d, kind=KIND.Keyword, detail=f"#{d}",
                                     documentation=docs.get(d) or None) for d in DIRECTIVES]
    if kind == "options":
        flags = getattr(kb, "flags", None) or {}
        return [types.CompletionItem(
            label=name, kind=KIND.Property,
            detail=(f"{name} {flag.argument}" if getattr(flag, "argument", None) else None),
            documentation=getattr(flag, "description", None) or None,
            sort_text=("0" if name.startswith("--") else "1") + name)
            for name, flag in flags.items()]
    if kind == "tag":
        return [types.CompletionItem(label=t, kind=KIND.Module) for t in CSD_TAGS]
    if kind == "score_letter":
        table = getattr(kb, "score_statements", None) or {}
        letters = list(SCORE_LETTERS) + [k for k in table if k not in SCORE_LETTERS]
        return [types.CompletionItem(
            label=k, kind=KIND.Keyword, sort_text=f"{i:03d}",
            detail=getattr(table.get(k), "summary", None) or SCORE_LETTERS.get(k))
            for i, k in enumerate(letters)]
    if kind == "score_instr":
        return _instrument_items(outline)
    if kind == "score_gen":
        gens = getattr(kb, "gens", None) or {}
        return [types.CompletionItem(
            label=key, kind=KIND.EnumMember, detail=f"GEN{key.zfill(2)}",
            documentation=getattr(entry, "summary", None) or None,
            sort_text=key.zfill(4)) for key, entry in gens.items() if key.isdigit()]
    if kind == "score_field":
        return []
    if kind == "member":
        typ = outline.member_type(ctx.member_of, ctx.pos.line)
        return [types.CompletionItem(label=t.text, kind=KIND.Field,
                                     detail=f"{t.text}:{mtype} — member of {typ}",
                                     sort_text=f"0{i:03d}")
                for i, (t, mtype) in enumerate(outline.structs.get(typ or "", []))]
    counts = _local_counts(outline)
    if kind == "output":
        return _variable_items(outline, ctx, "", counts)
    if kind in ("opcode", "header"):
        items = _opcode_items(kb, outline, ctx, counts, snippets)
        if not ctx.output_rate:
            items += _variable_items(outline, ctx, "", counts, sort_prefix="3")
            items += [types.CompletionItem(label=k, kind=KIND.Keyword, sort_text=f"4{k}")
                      for k in (KEYWORDS_TOP if ctx.top_level else KEYWORDS_IN_INSTR)]
        if kind == "header":
            items += _header_items(kb)
        return items
    if kind == "argument":
        assert ctx.call is not None
        rates = _expected_rates(kb, outline, ctx.call)
        items = _variable_items(outline, ctx, rates, counts)
        # Functional syntax: opcodes usable as value-returning calls rank after variables.
        if rates != "S":
            items += _opcode_items(kb, outline, ctx, counts, snippets=False, sort_prefix="5",
                                   functional=True)
        return items
    return []


def _local_counts(outline: Outline) -> Counter[str]:
    return Counter(st.opcode.text for st in outline.statements.values() if st.opcode is not None)


def _sort(prefix: str, rank: int, name: str) -> str:
    return f"{prefix}{rank:04d}{name.lower()}"


def _opcode_items(kb: Any, outline: Outline, ctx: Context, counts: Counter[str], snippets: bool,
                  sort_prefix: str = "1", functional: bool = False) -> list[types.CompletionItem]:
    items: list[types.CompletionItem] = []
    rate = ctx.output_rate
    for name, block in outline.udos().items():
        if rate and rate not in _udo_rates(block.out_types):
            continue
        items.append(types.CompletionItem(
            label=name, kind=KIND.Method, detail=f"{block.out_types} {name} {block.in_types} (UDO)",
            documentation=block.doc or None, sort_text=_sort(sort_prefix, 0, name)))
    if kb is None:
        return items
    base = _kb_items(kb, rate, max(1, ctx.output_count), snippets, sort_prefix, functional)
    udos = set(outline.udos())
    for item in base:
        if item.label in udos:
            continue
        if item.label in counts:
            # Locally used opcodes rank first: a copy, the cached item stays as it is.
            item = attrs.evolve(item, sort_text=_sort(sort_prefix, 0, item.label))
        items.append(item)
    return items


def warm(kb: Any) -> list[types.CompletionItem]:
    """Build the common opcode item lists ahead of the first request; returns every item built."""
    built: list[types.CompletionItem] = []
    for snippets in (True, False):
        for rate in ("", "a", "k", "i", "S", "f"):
            built += _kb_items(kb, rate, 1, snippets, "1", False)
    built += _kb_items(kb, "", 1, False, "5", True)
    return built


_KB_ITEMS: dict[tuple[Any, ...], tuple[Any, list[types.CompletionItem]]] = {}


def _kb_items(kb: Any, rate: str, count: int, snippets: bool, sort_prefix: str,
              functional: bool) -> list[types.CompletionItem]:
    """Opcode items for one (rate, snippet, …) combination, built once per knowledge base."""
    key = (id(kb), rate, count, snippets, sort_prefix, functional)
    hit = _KB_ITEMS.get(key)
    if hit is not None and hit[0] is kb:
        return hit[1]
    items: list[types.CompletionItem] = []
    for name, op in kb.opcodes.items():
        if not name or not (name[0].isalpha() or name[0] == "_"):
            continue  # operators such as "+" are not completions
        if rate:
            if not kbinfo.can_output(op, rate, count):
                continue
        elif functional and not kbinfo.outputs_anything(op):
            continue
        sigs = kbinfo.signatures(op)
        sig = _choose_signature(sigs, rate)
        detail = kbinfo.render(op, sig) if sig is not None else (op.summary or "")
        if len(sigs) > 1:
            detail += f"  (+{len(sigs) - 1} more)"
        item = types.CompletionItem(
            label=name, kind=KIND.Function, detail=detail,
            sort_text=_sort(sort_prefix, kbinfo.rank(name), name),
            data={"opcode": name},
        )
        if getattr(op, "deprecated", None):
            item.tags = [types.CompletionItemTag.Deprecated]
            item.sort_text = _sort(sort_prefix, 999, name)
        if snippets and sig is not None:
            params = _required_params(op, sig)
            if params:
                body = ", ".join(f"${{{i + 1}:{p}}}" for i, p in enumerate(params))
                item.insert_text = f"{name} {body}"
                item.insert_text_format = types.InsertTextFormat.Snippet
        items.append(item)
    items += _csound7_items(kb, items)
    if len(_KB_ITEMS) > 64:
        _KB_ITEMS.clear()
    _KB_ITEMS[key] = (kb, items)
    return items


def _csound7_items(kb: Any, items: list[types.CompletionItem]) -> list[types.CompletionItem]:
    """Csound 7's new names of installed opcodes (`zdfladder` for `zdf_ladder`), ranked below the
    installed names and saying which they stand for: the installed Csound knows only the old."""
    extra = []
    for item in items:
        rename = csound7_names.renamed(item.label)
        if rename is None or not rename.is_alias or rename.new in kb.opcodes:
            continue
        insert = item.insert_text.replace(item.label, rename.new, 1) if item.insert_text else None
        extra.append(attrs.evolve(
            item, label=rename.new, insert_text=insert,
            detail=f"Csound 7 name of {item.label}: {item.detail or ''}".rstrip(": "),
            sort_text=_sort("8", 0, rename.new)))
    return extra


def _udo_rates(out_types: str) -> str:
    return "".join(kbinfo.OUT_RATES.get(c, "") for c in out_types[:1])


def _choose_signature(sigs: list[Any], rate: str) -> Any:
    if not sigs:
        return None
    if rate:
        for sig in sigs:
            if rate in kbinfo.first_output_rates(sig):
                return sig
    return sigs[0]


def _required_params(op: Any, sig: Any) -> list[str]:
    text = kbinfo.render(op, sig)
    idx = text.find(op.name)
    tail = text[idx + len(op.name):] if idx >= 0 else ""
    required = tail.split("[", 1)[0]
    return [p.strip() for p in required.split(",") if p.strip() and p.strip() != "..."]


def _expected_rates(kb: Any, outline: Outline, call: Call) -> str:
    """The rates that fit the argument the cursor is in ("" when anything goes)."""
    udo = outline.udos().get(call.name)
    if udo is not None:
        codes = kbinfo.split_codes(udo.in_types)
        return kbinfo.input_rates(codes[call.arg_index]) if call.arg_index < len(codes) else ""
    op = kbinfo.get(kb, call.name)
    if op is None:
        return ""
    rates: set[str] = set()
    for sig in kbinfo.signatures(op):
        codes = kbinfo.in_codes(sig)
        if call.arg_index < len(codes):
            rates |= set(kbinfo.input_rates(codes[call.arg_index]))
        elif codes and kbinfo.is_variadic(codes[-1]):  # the tail repeats
            rates |= set(kbinfo.input_rates(codes[-1]))
    return "".join(sorted(rates))


def _variable_items(outline: Outline, ctx: Context, rates: str, counts: Counter[str],
                    sort_prefix: str = "0") -> list[types.CompletionItem]:
    items: list[types.CompletionItem] = []
    seen: set[str] = set()
    for var in outline.visible_variables(ctx.pos.line):
        if var.name in seen or (var.definition.line == ctx.pos.line):
            continue
        if rates and var.rate and var.rate not in rates:
            continue
        seen.add(var.name)
        scope = "global" if var.is_global else "local"
        items.append(types.CompletionItem(
            label=var.name, kind=KIND.Variable,
            detail=(f"{var.type} {scope}" if var.type and not var.rate
                    else f"{var.rate or '?'}-rate {scope}") + f", line {var.definition.line + 1}",
            sort_text=_sort(sort_prefix, 0 if not var.is_global else 1, var.name)))
    block = ctx.block
    if block is not None and block.kind == "instr" and (not rates or "i" in rates):
        used = sorted({m.group(0) for ln in range(block.start_line, block.end_line + 1)
                       for m in re.finditer(r"\bp\d+\b", outline.code[ln])}
                      | {"p1", "p2", "p3"}, key=lambda p: int(p[1:]))
        for p in used:
            items.append(types.CompletionItem(label=p, kind=KIND.Field, detail="p-field (i-rate)",
                                              sort_text=_sort(sort_prefix, 2, p)))
    return items


def _instrument_items(outline: Outline) -> list[types.CompletionItem]:
    items = []
    for block in outline.instruments():
        for tok in block.names:
            label = tok.text if tok.text[0].isdigit() else f'"{tok.text.lstrip("+")}"'
            items.append(types.CompletionItem(label=label, kind=KIND.Class, detail=block.header,
                                              documentation=block.doc or None))
    return items


def _header_items(kb: Any) -> list[types.CompletionItem]:
    table = getattr(kb, "header_vars", None) or {}
    return [types.CompletionItem(
        label=h, kind=KIND.Constant, detail="orchestra header variable",
        documentation=getattr(table.get(h), "summary", None) or None, sort_text=f"0{h}")
        for h in HEADER_VARS]


def resolve(item: types.CompletionItem, kb: Any) -> types.CompletionItem:
    """Fill in an opcode item's documentation (summary, every syntax line, manual link)."""
    data = item.data if isinstance(item.data, dict) else {}
    op = kbinfo.get(kb, str(data.get("opcode", "")))
    if op is not None and item.documentation is None:
        item.documentation = markdown(opcode_markdown(op))
    return item


def opcode_markdown(op: Any, param: str | None = None) -> str:
    parts = []
    if getattr(op, "deprecated", None):
        parts.append(f"**Deprecated:** {op.deprecated}")
    rename = csound7_names.renamed(op.name)
    if rename is not None:
        parts.append(f"*{rename.note()}*")
    if op.summary:
        parts.append(f"**{op.name}** — {op.summary}")
    else:
        parts.append(f"**{op.name}**")
    syntax = list(getattr(op, "syntax", None) or []) or [kbinfo.render(op, s) for s in
                                                        kbinfo.signatures(op)]
    if syntax:
        parts.append(code_block("\n".join(syntax)))
    params = getattr(op, "params", None) or {}
    if param and param in params:
        parts.append(f"`{param}` — {params[param]}")
    links = []
    if getattr(op, "manual_page", None):
        page = str(op.manual_page)
        links.append(f"[Manual]({page if '://' in page else 'file://' + page})")
    if getattr(op, "example", None):
        ex = str(op.example)
        links.append(f"[Example]({ex if '://' in ex else 'file://' + ex})")
    if links:
        parts.append(" · ".join(links))
    return "\n\n".join(parts)


__all__ = ["IDENT", "complete", "opcode_markdown", "rate_of", "resolve"]
