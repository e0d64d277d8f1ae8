"""The Outline updated from the incremental tree after an edit inside one block equals the
Outline rebuilt from scratch (issue 16: the shared model, rebuilt per edit in milliseconds)."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from csound_assist import parsing
from csound_assist.features import analysis
from csound_assist.features.analysis import Outline, build_outline
from csound_assist.features.document import Document

MANUAL = Path("/usr/share/doc/csound-doc/html/examples")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def kb():
    from csound_assist.knowledge import load_knowledge_base

    return load_knowledge_base()


def snapshot(out: Outline) -> dict:
    """Everything a feature reads, as plain values."""
    def tok(t):
        return None if t is None else (t.text, t.line, t.start, t.end)

    return {
        "code": list(out.code),
        "blocks": [(b.kind, [tok(t) for t in b.names], b.start_line, b.end_line, b.header,
                    b.doc, b.out_types, b.in_types, b.arg_names,
                    [(tok(t), ty) for t, ty in b.params], b.closed) for b in out.blocks],
        "statements": {i: ([tok(t) for t in st.outputs], tok(st.opcode), st.args, st.args_start,
                           tok(st.label), st.out_types, st.out_global)
                       for i, st in out.statements.items()},
        "variables": {k: (v.rate, v.is_global, tok(v.definition), v.type,
                          v.block.start_line if v.block else None,
                          v.statement.line if v.statement else None)
                      for k, v in out.variables.items()},
        "globals": {k: (v.rate, tok(v.definition), v.type) for k, v in out.globals.items()},
        "labels": [(tok(t), b.start_line if b else None) for t, b in out.labels],
        "block_at": [(b.start_line if (b := out.block_at(i)) else None)
                     for i in range(len(out.code))],
    }


EDITS = ["", "x", "k1 = 2", "  aNew oscili 0.1, 220", "kVal += 1", "gkBus = 0", "label:",
         "  if kx > 0 then", "endif", "; a comment", "a1 = a1 * 0.5 ; tail"]


def _files() -> list[Path]:
    files = sorted(MANUAL.glob("*.csd"))[::40] if MANUAL.is_dir() else []
    return files + sorted((ROOT / "tests" / "data").rglob("*.csd"))[:10]


def test_updated_outline_equals_a_rebuild(kb):
    rnd = random.Random(16)
    updated = compared = 0
    for path in _files():
        text = path.read_text(encoding="utf-8", errors="replace")
        doc = Document.from_text(path.as_uri(), text, kind="csd", parse_fn=parsing.parse)
        for _ in range(6):
            prev = build_outline(doc, kb)
            inner = [i for b in prev.blocks if b.closed for i in range(b.start_line + 1,
                                                                         b.end_line)]
            if not inner:
                break
            row = rnd.choice(inner)
            line = doc.lines[row]
            if rnd.random() < 0.5:
                col = rnd.randint(0, len(line))
                change = ((row, col, row, col), rnd.choice("aki0 ,+"))
            else:
                change = ((row, 0, row, len(line)), rnd.choice(EDITS))
            doc.apply_changes([change], version=doc.version + 1)
            got = build_outline(doc, kb)
            if doc.previous and analysis._update(doc, doc.previous[f"outline:{id(kb)}"],
                                                 doc.previous.get("lines"),
                                                 kb.opcodes.__contains__) is not None:
                updated += 1
            fresh = Document.from_text(path.as_uri(), doc.text, kind="csd",
                                       parse_fn=parsing.parse)
            assert snapshot(got) == snapshot(build_outline(fresh, kb)), (path.name, change)
            compared += 1
    assert compared > 50
    assert updated > compared // 4  # the fast path is taken, not only the fallback


def test_edits_that_reach_beyond_the_block_rebuild(kb):
    text = ("instr 1\n  a1 oscili 0.5, 440\n  out a1\nendin\ninstr 2\n  a2 oscili 0.5, 220\n"
            "  out a2\nendin\n")
    doc = Document.from_text("file:///x.orc", text, kind="orc", parse_fn=parsing.parse)
    build_outline(doc, kb)
    doc.apply_changes([((2, 0, 2, 8), "endin")], version=2)  # a new block boundary
    out = build_outline(doc, kb)
    assert [(b.start_line, b.end_line) for b in out.blocks][0] == (0, 2)
    doc.apply_changes([((5, 0, 5, 0), "/* ")], version=3)  # opens a comment to the end
    out = build_outline(doc, kb)
    assert 5 not in out.statements


def test_rebuild_after_an_edit_is_fast_on_5000_lines(kb):
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from lsp import make_csd
    finally:
        sys.path.remove(str(ROOT / "bench"))
    doc = Document.from_text("file:///big.csd", make_csd(5000), kind="csd",
                             parse_fn=parsing.parse)
    build_outline(doc, kb)
    row = next(i for i, line in enumerate(doc.lines) if "moogladder" in line)
    col = doc.lines[row].index("0.6")
    times = []
    for k in range(10):
        doc.apply_changes([((row, col + 2, row, col + 3), "7" if k % 2 == 0 else "6")],
                          version=k + 1)
        t0 = time.perf_counter()
        build_outline(doc, kb)
        times.append(time.perf_counter() - t0)
    # Generous for a loaded machine: a full rebuild here takes ~100-500 ms.
    assert sorted(times)[len(times) // 2] < 0.05


def test_batches_and_line_changes_equal_a_rebuild(kb):
    """Several changes in one didChange, edits that add or remove lines, and versions whose
    outline was never built in between: the result is still a from-scratch outline."""
    rnd = random.Random(7)
    for path in _files()[:12]:
        text = path.read_text(encoding="utf-8", errors="replace")
        doc = Document.from_text(path.as_uri(), text, kind="csd", parse_fn=parsing.parse)
        build_outline(doc, kb)
        for step in range(8):
            changes = []
            for _ in range(rnd.randint(1, 3)):
                row = rnd.randrange(len(doc.lines))
                col = rnd.randint(0, len(doc.lines[row]))
                new = rnd.choice(["x", "\n", "", "k1 = 1\n", " ;c"])
                end = (row, min(len(doc.lines[row]), col + rnd.randint(0, 3)))
                changes.append(((row, col, *end), new))
            doc.apply_changes(changes, version=doc.version + 1)
            if step % 3 == 2:
                continue  # this version's outline is never built
            fresh = Document.from_text(path.as_uri(), doc.text, kind="csd",
                                       parse_fn=parsing.parse)
            assert snapshot(build_outline(doc, kb)) == snapshot(build_outline(fresh, kb)), (
                path.name, changes)
