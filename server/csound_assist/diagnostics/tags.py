"""CSD tag problems that Csound reports badly or not at all, with their fixes.

Measured on Csound 6.18 (`--syntax-check-only`):
  * tags are case-sensitive: `<csoptions>`/`<csscore>` are skipped as "unknown CSD tag" and the
    section is lost — the check still passes, the score is simply gone ("scoreless operation");
    `<CSOUNDSYNTHESIZER>` fails with "Could not find <CsoundSynthesizer> tag";
  * a misspelled tag (`<CsInstrument>`) is skipped the same way ("parser: failed to open input
    file (null)");
  * text before a tag on its line (`<CsOptions>-odac</CsOptions>`, `endin</CsInstruments>`) hides
    the closing tag: "too many arguments" at 1:1 for CsOptions, "Missing end tag" for the others;
  * `<CsScore >` (blank attributes) is read as a `bin` program: "Missing program in tag";
  * `<instr 1>` … `</instr>` (XML thinking) is "unexpected S_LT" with no hint of the fix.
Text *after* an opening tag on its line is accepted and is not reported.

Pure: positions are 0-based (line, column) in the text; the static checks turn these into
diagnostics and the AI normaliser applies the edits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from csound_assist.diagnostics.model import Edit

TAGS = (
    "CsoundSynthesizer",
    "CsOptions",
    "CsInstruments",
    "CsScore",
    "CsLicense",
    "CsLicence",
    "CsShortLicense",
    "CsShortLicence",
    "CsFileB",
    "CsFile",
    "CsSampleB",
    "CsMidifileB",
    "CsVersion",
)
_BY_LOWER = {t.lower(): t for t in TAGS}
# What models write for a section (seen from small models: XML/HTML-like names).
_ALIASES = {
    "csorchestra": "CsInstruments",
    "csorc": "CsInstruments",
    "orchestra": "CsInstruments",
    "instruments": "CsInstruments",
    "cssco": "CsScore",
    "score": "CsScore",
    "options": "CsOptions",
    "csound": "CsoundSynthesizer",
    "csoundsynthesiser": "CsoundSynthesizer",
}
# Attributes are kept verbatim (CsScore bin=…, CsFileB filename=…).
_TAG = re.compile(r"<\s*(?P<close>/?)\s*(?P<name>[A-Za-z][A-Za-z0-9_]*)(?P<attrs>[^<>]*)>")
_XML_OPEN = re.compile(r"^(?P<indent>\s*)<\s*(?P<kw>instr|opcode)\b\s*(?P<rest>[^<>]*?)\s*/?>\s*$")
_XML_CLOSE = re.compile(r"^(?P<indent>\s*)<\s*/?\s*(?P<kw>instr|opcode|endin|endop)\s*>\s*$")


@dataclass(frozen=True, slots=True)
class TagProblem:
    kind: str  # "case" | "misspelled" | "shared-line" | "blank-attributes" | "xml-block"
    line: int
    start: int
    end: int
    message: str
    title: str  # the fix's title
    edits: tuple[Edit, ...]


def canonical_tag(name: str) -> str | None:
    """The CSD tag `name` stands for (case, known aliases, one or two typos), else None."""
    if name in TAGS:
        return name
    low = name.lower()
    if low in _BY_LOWER:
        return _BY_LOWER[low]
    if low in _ALIASES:
        return _ALIASES[low]
    if not low.startswith("cs") or len(low) < 6:
        return None
    from csound_assist.diagnostics.opcodes import levenshtein

    best = min(TAGS, key=lambda t: levenshtein(low, t.lower()))
    return best if levenshtein(low, best.lower()) <= 2 else None


def _code_lines(text: str) -> list[str]:
    from csound_assist.diagnostics.source import blank_code

    return blank_code(text).split("\n")


def _in_orchestra(code: list[str]) -> list[bool]:
    """For each line: is it inside <CsInstruments> (by canonical tag names)?"""
    inside, out = False, []
    for line in code:
        for m in _TAG.finditer(line):
            if canonical_tag(m.group("name")) == "CsInstruments":
                inside = not m.group("close")
        out.append(inside)
    return out


def tag_problems(text: str) -> list[TagProblem]:
    """Every malformed CSD tag in `text` (a CSD), in order, each with the edit that fixes it."""
    lines = text.split("\n")
    code = _code_lines(text)
    orchestra = _in_orchestra(code)
    problems: list[TagProblem] = []
    closed = False  # the last code line closes a block (endin/endop)
    for i, (line, blank) in enumerate(zip(lines, code, strict=True)):
        found = list(_line_problems(i, line, blank, orchestra[i]))
        for p in found:
            if closed and _closes(p):
                # `endin` then `</instr>`: the block is already closed, the tag only goes.
                p = TagProblem(
                    p.kind,
                    p.line,
                    p.start,
                    p.end,
                    f"{line.strip()} is not Csound syntax and the line above already closes the "
                    "block: remove it",
                    "Remove the line",
                    (Edit((i, 0), (i + 1, 0), ""),),
                )
            problems.append(p)
        if blank.strip():
            closed = blank.split()[0] in ("endin", "endop") or any(_closes(p) for p in found)
    return problems


def _closes(p: TagProblem) -> bool:
    return p.kind == "xml-block" and p.edits[0].new_text.strip() in ("endin", "endop")


def _line_problems(i: int, line: str, blank: str, in_orc: bool) -> Iterator[TagProblem]:
    if in_orc:
        xml = _xml_block(i, line)
        if xml is not None:
            yield xml
            return
    tags = [
        (m, canonical_tag(m.group("name")))
        for m in _TAG.finditer(blank)
        if canonical_tag(m.group("name")) is not None
    ]
    for m, tag in tags:
        assert tag is not None
        name = m.group("name")
        close = m.group("close")
        attrs = line[m.start("attrs") : m.end("attrs")]
        written = line[m.start() : m.end()]
        if name != tag or (attrs and not attrs.strip()) or written != f"<{close}{tag}{attrs}>":
            right = f"<{close}{tag}{attrs if attrs.strip() else ''}>"
            edit = Edit((i, m.start()), (i, m.end()), right)
            lost = "the tag is skipped and its section ignored"
            if name == tag:
                kind, why = "blank-attributes", "a blank after the tag name is read as a program"
                lost = "'Missing program in tag'"
            elif name.lower() == tag.lower():
                kind, why = "case", "CSD tags are case-sensitive"
                if tag == "CsoundSynthesizer":
                    lost = "6.18 accepts it, other tools and versions do not"
            elif name.lower() not in _ALIASES:
                kind, why = "misspelled", "unknown CSD tag"
            else:
                kind, why = "misspelled", "not a CSD tag"
            yield TagProblem(
                kind,
                i,
                m.start(),
                m.end(),
                f"{written}: {why} — write {right} (Csound: {lost})",
                f"Replace with {right}",
                (edit,),
            )
    # Text before a tag hides it from Csound; one tag per line is always safe.
    if tags and (len(tags) > 1 or blank[: tags[0][0].start()].strip()):
        yield _split(i, line, blank, [m for m, _t in tags])


def _split(i: int, line: str, blank: str, tags: list[re.Match[str]]) -> TagProblem:
    indent = line[: len(line) - len(line.lstrip())]
    pieces: list[str] = []
    at = 0
    for m in tags:
        before = line[at : m.start()]
        if before.strip():
            pieces.append(indent + before.strip())
        pieces.append(line[m.start() : m.end()].strip())
        at = m.end()
    after = line[at:]
    if after.strip():
        pieces.append(indent + after.strip())
    first = tags[0]
    options = any(canonical_tag(m.group("name")) == "CsOptions" for m in tags)
    where = line[first.start() : first.end()]
    if options:
        message = (
            f"{where} must be on a line of its own: on one line with its flags Csound reads the "
            "closing tag as an argument ('too many arguments' at 1:1). Put the flags on the line "
            "between <CsOptions> and </CsOptions>"
        )
    else:
        message = (
            "a CSD tag must be on a line of its own: Csound does not see a tag that follows "
            "other text ('Missing end tag')"
        )
    edit = Edit((i, 0), (i, len(line)), "\n".join(pieces))
    title = "Put each tag on its own line"
    return TagProblem("shared-line", i, first.start(), len(line.rstrip()), message, title, (edit,))


def _xml_block(i: int, line: str) -> TagProblem | None:
    m = _XML_OPEN.match(line)
    if m:
        kw, rest = m.group("kw"), m.group("rest").strip()
        # <instr name="1"> / <instr id=1> → the value; <instr 1> → 1
        rest = re.sub(r"^\w+\s*=\s*", "", rest).strip("\"'")
        right = f"{m.group('indent')}{kw} {rest}".rstrip()
    else:
        m = _XML_CLOSE.match(line)
        if m is None:
            return None
        kw = m.group("kw")
        right = m.group("indent") + ("endop" if kw in ("opcode", "endop") else "endin")
    start = len(m.group("indent"))
    written = line.strip()
    return TagProblem(
        "xml-block",
        i,
        start,
        len(line.rstrip()),
        f"{written} is not Csound syntax (blocks are not XML tags): write {right.strip()}",
        f"Replace with {right.strip()}",
        (Edit((i, 0), (i, len(line)), right),),
    )
