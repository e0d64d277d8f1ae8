"""Building the knowledge base: `csound -z1` overloads joined with the manual's pages.

Which page documents an opcode, in order of trust: the page named after it; a page whose title line
names it; a page that sets it in bold in a syntax line (shared pages: chn_k/chn_a/chn_S, crossfm*,
la_*); the quick reference's link; a page of the same name in another letter case; a page whose
syntax or description text mentions it; a page that documents a sibling spelling (`la_i_add_mc` next
to `la_i_add_mr`).
"""

from __future__ import annotations

import os
import re
import time
from collections import defaultdict
from pathlib import Path

from loguru import logger

from csound_assist.knowledge import manual, z1
from csound_assist.knowledge.manual import INSTALL_MANUAL, Family, ManualPage, QuickRef
from csound_assist.knowledge.model import Flag, KnowledgeBase, ManualEntry, Opcode, Signature
from csound_assist.knowledge.syntax import find_word, name_signature

_GEN_NUMBER = re.compile(r"^GEN0*(\d+)$")
_WORD = re.compile(r"[A-Za-z_][\w]*")
_HEADER_CATEGORY = "Orchestra Syntax:Header"
_NOT_OPCODE_SECTIONS = ("Score", "Utility", "Command", "Cscore")
# Quick-reference categories whose non-opcode names are keywords (if, then, while, do) or operators.
_KEYWORD_CATEGORIES = (
    "Orchestra Syntax:Block Statements", "Instrument Control:Program Flow Control",
    "Instrument Control:Conditional Values",
    "Mathematical Operations:Arithmetic and Logic Operations",
)
_KEYWORD = re.compile(r"[a-z]+|[-+*/%^=<>!&|~#?:]+")
_MACRO_CATEGORY = "Orchestra Syntax:Macros"


def read_manual(manual_dir: str | os.PathLike[str]) -> tuple[list[ManualPage], list[Family]]:
    """Every reference page, and the opcode families overview pages describe."""
    root = Path(manual_dir)
    pages, families = [], []
    for path in sorted(root.glob("*.html")):
        try:
            source = path.read_text(encoding="utf-8", errors="replace")
            page = manual.parse_page(path, source)
            if page is None:
                families += manual.parse_families(path, source)
        except Exception:  # one odd page must not cost the whole manual
            logger.exception("skipping manual page {}", path)
            continue
        if page is not None:
            pages.append(page)
    return pages, families


def family_of(name: str, families: list[Family]) -> Family | None:
    """The family `name` belongs to. Python opcodes are named "py" + [context prefix "l"] + action
    + [time suffix] (py.html), so `pylcall1i` is of the pycall family."""
    for family in sorted(families, key=lambda f: -len(f.prefix)):
        p = family.prefix
        if name.startswith(p) or (len(p) > 2 and name.startswith(p[:2] + "l" + p[2:])):
            return family
    return None


class PageIndex:
    """The lookups that decide which page documents a name."""

    def __init__(self, pages: list[ManualPage], quickref: QuickRef) -> None:
        self.all_pages = pages
        self.by_file = {p.file: p for p in pages}
        # Score statements (a.html is "a Statement", not the a() converter), GENs and utilities
        # share names with opcodes; they never document one.
        pages = [p for p in pages if not p.up.startswith(_NOT_OPCODE_SECTIONS)]
        self.pages = pages
        self.opcode_files = {p.file: p for p in pages}
        self.by_stem_folded: dict[str, ManualPage] = {}
        self.by_name: dict[str, ManualPage] = {}
        self.by_command: dict[str, ManualPage] = {}
        for p in pages:
            self.by_stem_folded.setdefault(Path(p.file).stem.lower(), p)
            for n in p.names:
                self.by_name.setdefault(n, p)
            for c in p.commands:
                self.by_command.setdefault(c, p)
        self.quickref = quickref

    def find(self, name: str) -> ManualPage | None:
        own = self.opcode_files.get(f"{name}.html")
        if own is not None and (name in own.names or name in own.commands):
            return own
        for table in (self.by_name, self.by_command):
            if name in table:
                return table[name]
        href = self.quickref.pages.get(name)
        if href and href in self.opcode_files:
            return self.opcode_files[href]
        return own or self.by_stem_folded.get(name.lower())

    def find_by_mention(self, names: set[str]) -> dict[str, ManualPage]:
        """Names still without a page → the page whose text mentions them, preferring a page whose
        title shares the longest prefix with the name (`trim_i` → trim, `loscilphs` → loscil)."""
        hits: dict[str, list[ManualPage]] = defaultdict(list)
        for page in self.pages:
            for word in set(_WORD.findall(page.body_text)) & names:
                hits[word].append(page)
        out = {}
        for name, pages in hits.items():
            out[name] = max(pages, key=lambda p: _common_prefix(p.title.lower(), name.lower()))
        return out

    def find_sibling(self, name: str) -> tuple[str, ManualPage] | None:
        """A documented command that differs from `name` only in its last few letters, or in one
        letter (`la_k_mr_set` next to `la_k_mc_set`)."""
        best: tuple[int, str, ManualPage] | None = None
        folded = name.lower()
        for command, page in self.by_command.items():
            other = command.lower()
            if other[:3] != folded[:3]:  # both tests below need a shared start; skip cheaply
                continue
            n = _common_prefix(other, folded)
            one_off = len(other) == len(folded) >= 8 and sum(
                a != b for a, b in zip(other, folded, strict=True)) == 1
            if one_off:
                n = len(folded) - 1
            elif n < 8 or n < len(name) - 3:
                continue
            if best is None or n > best[0]:
                best = (n, command, page)
        return (best[1], best[2]) if best else None


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _own_lines(page: ManualPage, name: str) -> list[str]:
    lines = [s.text for s in page.synopses if name in s.commands]
    return lines or [s.text for s in page.synopses if find_word(s.text, name) >= 0]


def _summary(page: ManualPage, name: str) -> str:
    """The page's summary, or, on a page shared by many opcodes that names none of them in its title
    line (the la_* family), the sentence the page gives this opcode's own syntax line."""
    if name not in page.names and len(page.commands) > 3:
        for s in page.synopses:
            if name in s.commands and s.note and len(s.commands) == 1:
                return s.note
    return page.summary


def _opcode(
    name: str, sigs: list[Signature], page: ManualPage | None, quickref: QuickRef
) -> Opcode:
    op = Opcode(name=name, signatures=sigs, category=quickref.categories.get(name, ""))
    if page is None:
        return op
    lines = _own_lines(page, name)
    used = {w for line in lines for w in _WORD.findall(line)}
    params = {k: v for k, v in page.params.items() if k in used} if lines else {}
    op.summary = _summary(page, name)
    op.description = page.description
    op.syntax = lines
    op.params = params or dict(page.params)
    op.example = page.example if page.example and os.path.exists(page.example) else None
    op.see_also = list(page.see_also)
    op.deprecated = page.deprecated
    if op.deprecated is None and op.category == "Deprecated":
        op.deprecated = "Deprecated."
    op.manual_page = page.path
    op.signatures = [name_signature(s, name, lines) for s in sigs]
    return op


def _entry(key: str, page: ManualPage) -> ManualEntry:
    return ManualEntry(
        name=key, summary=page.summary, description=page.description,
        syntax=[s.text for s in page.synopses], params=dict(page.params), example=page.example,
        see_also=list(page.see_also), manual_page=page.path,
    )


def _signatures(overloads: list[z1.Overload]) -> dict[str, list[Signature]]:
    out: dict[str, list[Signature]] = {}
    for o in overloads:
        sigs = out.setdefault(o.name, [])
        if not any(s.outputs == o.outputs and s.inputs == o.inputs for s in sigs):
            sigs.append(Signature(o.outputs, o.inputs))
    return out


def _flags(manual_dir: Path) -> dict[str, Flag]:
    out: dict[str, Flag] = {}
    # By category first (it carries categories), then the alphabetical list for anything it lacks.
    for file in ("CommandFlagsCategory.html", "CommandFlags.html"):
        for doc in manual.parse_flags(manual_dir / file):
            if any(s in out for s in doc.spellings):
                continue
            flag = Flag(name=doc.spellings[0], names=doc.spellings, argument=doc.argument,
                        description=doc.description, category=doc.category, manual_page=doc.page)
            for s in doc.spellings:
                out[s] = flag
    return out


def _tables(kb: KnowledgeBase, index: PageIndex, manual_dir: Path, quickref: QuickRef) -> None:
    for page in index.all_pages:
        m = _GEN_NUMBER.match(page.title)
        if m:
            kb.gens.setdefault(str(int(m.group(1))), _entry(page.title, page))
        elif page.file.startswith("GEN") and page.names:
            kb.gens.setdefault(page.names[0].strip('"'), _entry(page.names[0].strip('"'), page))
    for href in manual.parse_statement_index(manual_dir / "ScoreStatements.html"):
        page = index.by_file.get(href)
        if page is not None:  # the title, not the name line: y.html's name line says "a"
            key = re.sub(r"\s+Statement\b.*$", "", page.title, flags=re.I).strip()
            kb.score_statements.setdefault(key, _entry(key, page))
    for name in quickref.by_category.get(_HEADER_CATEGORY, []):
        page = index.by_file.get(quickref.pages[name])
        if page is not None:
            kb.header_vars[name] = _entry(name, page)
    for category in _KEYWORD_CATEGORIES:
        for name in quickref.by_category.get(category, []):
            page = index.by_file.get(quickref.pages[name])
            if page is not None and name not in kb.opcodes and _KEYWORD.fullmatch(name):
                kb.keywords.setdefault(name, _entry(name, page))
    for page in index.pages:  # operators the quick reference spells differently: -, =, +=, …
        name = page.names[0] if page.names else ""
        if page.up == "OpcodesTop.html" and _KEYWORD.fullmatch(name) and not name.isalpha():
            kb.keywords.setdefault(name, _entry(name, page))
    for name in quickref.by_category.get(_MACRO_CATEGORY, []):
        page = index.by_file.get(quickref.pages[name])
        if page is None:
            continue
        entry = _entry(name, page)
        kb.directives[name] = entry
        # `#else`, `#end`, `#includestr` are documented on the page of the directive they belong to.
        for line in entry.syntax:
            word = line.split()[0] if line.split() else ""
            if word.startswith("#") and word not in kb.directives and re.fullmatch(r"#\w+", word):
                kb.directives[word] = ManualEntry(**{**entry.to_dict(), "name": word})


def build_knowledge_base(
    executable: str = "csound",
    manual_dir: str | os.PathLike[str] | None = manual.DEFAULT_MANUAL_DIR,
) -> KnowledgeBase:
    """Run `csound -z1`, read the manual (when installed), and join them. Raises
    `CsoundNotFoundError` (naming the install command) when Csound is missing."""
    started = time.perf_counter()
    overloads = z1.list_overloads(executable)
    kb = KnowledgeBase(csound_version=z1.csound_version(executable))
    sigs = _signatures(overloads)
    root = Path(manual_dir) if manual_dir else None
    if root is None or not manual.manual_available(root):
        kb.notes.append(
            f"The Csound manual was not found at {root}; opcode docs are limited to signatures. "
            f"Install it with `{INSTALL_MANUAL}` or set csound.manual_dir."
        )
        kb.opcodes = {name: Opcode(name=name, signatures=s) for name, s in sorted(sigs.items())}
        logger.info("knowledge base: {} opcodes, no manual ({:.2f}s)", len(kb.opcodes),
                    time.perf_counter() - started)
        return kb
    kb.manual_dir = str(root)
    quickref = manual.parse_quickref(root / "MiscQuickref.html")
    pages, families = read_manual(root)
    index = PageIndex(pages, quickref)
    found = {name: index.find(name) for name in sigs}
    missing = {n for n, p in found.items() if p is None}
    found.update(index.find_by_mention(missing))
    for name in [n for n, p in found.items() if p is None]:
        sibling = index.find_sibling(name)
        if sibling is not None:
            found[name] = sibling[1]
    for name in sorted(sigs):
        op = kb.opcodes[name] = _opcode(name, sigs[name], found[name], quickref)
        if found[name] is None and (family := family_of(name, families)) is not None:
            op.summary, op.description, op.manual_page = (
                family.summary, family.description, family.page)
    kb.flags = _flags(root)
    _tables(kb, index, root, quickref)
    logger.info(
        "knowledge base: {} opcodes ({} with manual docs), {} GENs, {} flags ({:.2f}s)",
        len(kb.opcodes), sum(1 for o in kb.opcodes.values() if o.summary), len(kb.gens),
        len({id(f) for f in kb.flags.values()}), time.perf_counter() - started,
    )
    return kb
