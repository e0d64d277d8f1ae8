"""Signature help for opcodes and UDOs with the active parameter."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from csound_assist.features import kbinfo
from csound_assist.features.analysis import Block, build_outline, rate_of
from csound_assist.features.context import find_call, in_opaque
from csound_assist.features.document import Document, Pos


def signature_help(doc: Document, kb: Any, pos: Pos) -> types.SignatureHelp | None:
    outline = build_outline(doc, kb)
    if outline.region(pos.line) != "orc" or in_opaque(doc, outline, pos):
        return None
    code = outline.code[pos.line]
    call = find_call(code, pos.line, pos.char, outline.statements.get(pos.line))
    if call is None:
        return None
    udo = outline.udos().get(call.name)
    if udo is not None:
        return _udo_help(udo, call.arg_index)
    op = kbinfo.get(kb, call.name)
    if op is None:
        return None
    sigs = kbinfo.signatures(op)
    if not sigs:
        return None
    infos = []
    fitting: int | None = None
    params = getattr(op, "params", None) or {}
    for i, sig in enumerate(sigs):
        label = kbinfo.render(op, sig)
        names = kbinfo.param_names(op, sig)
        offsets = _offsets(label, op.name, names)
        infos.append(types.SignatureInformation(
            label=label,
            documentation=op.summary or None,
            parameters=[types.ParameterInformation(label=o, documentation=params.get(n) or None)
                        for o, n in zip(offsets, names, strict=False)],
        ))
        # The first signature whose outputs and argument count fit what is written.
        if fitting is None and call.arg_index < max(1, len(names)) and _fits(sig, call.outputs):
            fitting = i
    active = fitting or 0
    names = kbinfo.param_names(op, sigs[active])
    return types.SignatureHelp(signatures=infos, active_signature=active,
                               active_parameter=min(call.arg_index, max(0, len(names) - 1)))


def _fits(sig: Any, outputs: list[str]) -> bool:
    if not outputs:
        return True
    return rate_of(outputs[0]) in kbinfo.first_output_rates(sig) or not rate_of(outputs[0])


def _offsets(label: str, name: str, params: list[str]) -> list[tuple[int, int]]:
    """[start, end) offsets of each parameter in the label, searched after the name."""
    out = []
    cursor = label.find(name)
    cursor = cursor + len(name) if cursor >= 0 else 0
    for p in params:
        at = label.find(p, cursor)
        if at < 0:
            out.append((0, 0))
            continue
        out.append((at, at + len(p)))
        cursor = at + len(p)
    return out


def _udo_help(block: Block, index: int) -> types.SignatureHelp:
    name = block.names[0].text
    params = block.arg_names or [f"{c}{i + 1}" for i, c in enumerate(block.in_types)]
    label = f"{block.out_types} {name} {', '.join(params)}".strip()
    offsets = _offsets(label, name, params)
    info = types.SignatureInformation(
        label=label, documentation=block.doc or None,
        parameters=[types.ParameterInformation(label=o) for o in offsets])
    return types.SignatureHelp(signatures=[info], active_signature=0,
                               active_parameter=min(index, max(0, len(params) - 1)))
