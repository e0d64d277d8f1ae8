"""Sources for the dataset: opcode documentation and example CSD files.

Opcode docs come from `csound_assist.knowledge` when it is installed (the product's knowledge base);
otherwise from a small reader over the installed HTML manual, so the pipeline never depends on work
in progress elsewhere. CSD helpers split files into sections and instrument blocks.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from loguru import logger

from csound_assist.features.analysis import outline_of_text


@dataclass
class OpcodeDoc:
    name: str
    summary: str = ""
    description: str = ""
    syntax: list[str] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)
    example: str | None = None  # path of the manual's example CSD


@dataclass
class ExampleFile:
    path: Path
    text: str
    source: str  # split key: the file name, so every pair from one file lands in one split
    opcode: OpcodeDoc | None = None


# --- CSD structure -----------------------------------------------------------------------------

def csd_sections(text: str) -> dict[str, str] | None:
    """The options, orchestra and score of a CSD; None when it is not a CSD with an orchestra.
    Sections are the shared outline's: a tag counts at a line's start, as Csound reads it."""
    out = outline_of_text(text)
    lines = text.split("\n")
    found: dict[str, str] = {}
    for sec in out.sections:
        name = {"csoptions": "options", "csinstruments": "orchestra",
                "csscore": "score"}.get(sec.name.lower())
        # <CsScore bin="…">: an external program's input, not a Csound score.
        if name is not None and name not in found and "=" not in lines[sec.start_line]:
            found[name] = "\n".join(lines[sec.start_line + 1 : sec.end_line])
    if "orchestra" not in found or out.kind != "csd":
        return None
    return {"options": found.get("options", ""), "orchestra": found["orchestra"],
            "score": found.get("score", "")}


def orchestra_blocks(orchestra: str) -> tuple[str, list[str]]:
    """Split an orchestra into its global header code and its closed instr/opcode blocks (in
    order), as the shared outline reads them (an `instr` in a comment is no block)."""
    lines = orchestra.split("\n")
    blocks, inside = [], set()
    for b in outline_of_text(orchestra).blocks:
        if b.closed:
            blocks.append("\n".join(lines[b.start_line : b.end_line + 1]))
            inside.update(range(b.start_line, b.end_line + 1))
    header = "\n".join(line for i, line in enumerate(lines) if i not in inside)
    return header, blocks


def block_name(block: str) -> str:
    first = block.strip().splitlines()[0].split(";")[0]
    return " ".join(first.split()[1:]) or "?"


def make_csd(orchestra: str, score: str = "", options: str = "-n -d") -> str:
    """A minimal CSD around orchestra code (used for compile checks and answers)."""
    return (
        "<CsoundSynthesizer>\n<CsOptions>\n"
        f"{options.strip()}\n</CsOptions>\n<CsInstruments>\n"
        f"{orchestra.strip()}\n</CsInstruments>\n<CsScore>\n"
        f"{score.strip()}\n</CsScore>\n</CsoundSynthesizer>\n"
    )


STANDARD_HEADER = "sr = 44100\nksmps = 32\nnchnls = 2\n0dbfs = 1\n"


def globals_only(header: str) -> str:
    """The header lines that define things (assignments, tables, directives), comments stripped."""
    keep = []
    for line in header.splitlines():
        code = line.split(";")[0].rstrip()
        if code.strip():
            keep.append(code)
    return "\n".join(keep)


def strip_comments(code: str) -> str:
    out = []
    for line in code.splitlines():
        line = re.sub(r"\s*;.*$", "", line).rstrip()
        line = re.sub(r"\s*//.*$", "", line).rstrip()
        if line.strip():
            out.append(line)
    return "\n".join(out)


# --- the HTML manual ---------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(_TAG.sub("", fragment))).strip()


def _sect(page: str, title: str) -> str:
    m = re.search(rf"<h2>\s*{title}\s*</h2>(.*?)(?=<div class=\"refsect1\">|\Z)", page, re.S | re.I)
    return m.group(1) if m else ""


def parse_manual_page(page: str) -> OpcodeDoc | None:
    """An opcode reference page → OpcodeDoc; None for pages that are not opcode entries."""
    title = re.search(r'<span class="refentrytitle">(.*?)</span>', page, re.S)
    if not title or '<pre class="synopsis">' not in page:
        return None
    name = _text(title.group(1))
    doc = OpcodeDoc(name=name)
    namediv = re.search(r'<div class="refnamediv">.*?<p>(.*?)</p>', page, re.S)
    if namediv:
        doc.summary = _text(namediv.group(1)).split("—", 1)[-1].strip()
    paras = re.findall(r"<p>(.*?)</p>", _sect(page, "Description"), re.S)
    doc.description = " ".join(_text(p) for p in paras)[:1200]
    doc.syntax = [_text(s) for s in re.findall(r'<pre class="synopsis">(.*?)</pre>', page, re.S)]
    for section in ("Initialization", "Performance"):
        for para in re.findall(r"<p>(.*?)</p>", _sect(page, section), re.S):
            m = re.match(
                r"\s*((?:<span[^>]*><em>[^<]+</em></span>\s*[,/]?\s*)+)\s*(?:--|–|—)", para
            )
            if not m:
                continue
            names = re.findall(r"<em>([^<]+)</em>", m.group(1))
            text = _text(para[m.end() :])
            for n in names:
                doc.params.setdefault(n.strip(), text[:400])
    ex = re.search(r'href="(examples/[^"]+\.csd)"', page)
    doc.example = ex.group(1) if ex else None
    return doc


def _from_knowledge_base() -> list[OpcodeDoc] | None:
    try:
        from csound_assist.knowledge import load_knowledge_base
    except ImportError:
        return None
    try:
        kb = load_knowledge_base()
    except Exception as exc:  # the KB is optional here: fall back to the manual reader
        logger.warning("knowledge base unavailable ({}); reading the manual directly", exc)
        return None
    docs = []
    for op in kb.opcodes.values():
        docs.append(
            OpcodeDoc(
                name=op.name,
                summary=op.summary or "",
                description=(op.description or "")[:1200],
                syntax=list(op.syntax or []),
                params=dict(op.params or {}),
                example=str(op.example) if op.example else None,
            )
        )
    return docs


def read_opcode_docs(manual_dir: Path, prefer_kb: bool = True) -> list[OpcodeDoc]:
    if prefer_kb and (docs := _from_knowledge_base()):
        logger.info("opcode docs from csound_assist.knowledge: {}", len(docs))
        return docs
    docs = []
    for page in sorted(manual_dir.glob("*.html")):
        try:
            doc = parse_manual_page(page.read_text(encoding="utf-8", errors="replace"))
        except OSError as exc:
            logger.warning("cannot read {}: {}", page, exc)
            continue
        if doc:
            docs.append(doc)
    logger.info("opcode docs from {}: {}", manual_dir, len(docs))
    return docs


def read_examples(
    manual_dir: Path, corpus_dirs: list[Path], docs: list[OpcodeDoc], limit: int | None = None
) -> list[ExampleFile]:
    """Manual examples (each linked to its opcode page when one points at it) + corpus CSDs."""
    by_example: dict[str, OpcodeDoc] = {}
    for doc in docs:
        if doc.example:
            by_example.setdefault(Path(doc.example).name, doc)
    files: list[ExampleFile] = []
    for path in sorted((manual_dir / "examples").glob("*.csd")):
        text = path.read_text(encoding="utf-8", errors="replace")
        files.append(ExampleFile(path, text, f"manual:{path.name}", by_example.get(path.name)))
    for corpus in corpus_dirs:
        for path in sorted(corpus.rglob("*.csd")):
            text = path.read_text(encoding="utf-8", errors="replace")
            files.append(ExampleFile(path, text, f"corpus:{path.relative_to(corpus)}"))
    if limit:
        # Prefer files linked to an opcode page: they yield every category.
        files.sort(key=lambda f: (f.opcode is None, f.path.name))
        files = files[:limit]
    return files
