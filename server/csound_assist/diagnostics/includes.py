"""`#include` and `#includestr` directives: where they are, what they name, and which of them must
not be read.

Csound's preprocessor accepts `#include` anywhere outside a string, with any delimiter
(`#include |file|`), inside macro bodies too, and `#includestr "…"` expands macros in the name;
an included file's own includes are followed as well. The scan here is deliberately wider than
Csound's (comments and macro bodies are not skipped), so that no directive Csound would follow is
missed. Each target is looked up the way the checks resolve it and read through `files.read_text`:
a device, FIFO, socket or folder, a file over the size limit or a URL (a curl-enabled Csound would
fetch it) is a `Refused` include; the compiler check blanks those in its private copy, so Csound
never opens them either.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from csound_assist import files

_DIRECTIVE = re.compile(r"#include(str)?[ \t]*(\S)")
# `#define NAME #body#` without arguments and `--omacro:NAME=value` (kept from <CsOptions>):
# enough to expand the usual `#includestr "$DIR/x.udo"`.
_DEFINE = re.compile(r"#[ \t]*define[ \t]+(\w+)[ \t]*#([^#]*)#")
_FLAG_MACRO = re.compile(r"--?[os]macro:(\w+)=(\S*)")
_MACRO_USE = re.compile(r"\$(\w+)\.?")
MAX_DEPTH = 8
MAX_FILES = 64


@dataclass(frozen=True, slots=True)
class Include:
    """One directive: 0-based line, the columns of the whole directive, the name it gives."""

    line: int
    start: int
    end: int
    name: str
    expands: bool = False  # #includestr: Csound expands macros in the name


@dataclass(frozen=True, slots=True)
class Refused:
    include: Include  # the directive in the checked text that leads to the refused file
    message: str


@dataclass(slots=True)
class Resolved:
    texts: list[str] = field(default_factory=list)  # every included file read, once each
    refused: list[Refused] = field(default_factory=list)
    unresolved: bool = False  # some include was not found or could not be followed

    @property
    def complete(self) -> bool:
        return not self.unresolved and not self.refused


def _macros(text: str) -> dict[str, str]:
    found = {m.group(1): m.group(2) for m in _FLAG_MACRO.finditer(text)}
    found.update((m.group(1), m.group(2)) for m in _DEFINE.finditer(text))
    return found


def _expand(name: str, macros: dict[str, str]) -> str:
    for _ in range(8):  # macros naming macros
        if "$" not in name:
            break
        name = _MACRO_USE.sub(lambda u: macros.get(u.group(1), u.group(0)), name)
    return name


def find_includes(text: str) -> list[Include]:
    out: list[Include] = []
    macros: dict[str, str] = {}
    expanded = False
    for number, line in enumerate(text.split("\n")):
        if "#include" not in line:
            continue
        for m in _DIRECTIVE.finditer(line):
            is_str, delim = m.group(1) is not None, m.group(2)
            if is_str and delim != '"':
                continue
            close = line.find(delim, m.end())
            if close < 0:
                continue
            name = line[m.end() : close]
            if is_str and "$" in name:
                if not expanded:
                    macros.update(_macros(text))
                    expanded = True
                name = _expand(name, macros)
            out.append(Include(number, m.start(), close + 1, name, is_str))
    return out


def _env_folders() -> list[Path]:
    """Folders Csound also searches for an include: `INCDIR` in this process's environment, which
    the checks inherit (with INCDIR=/dev, `#include "zero"` made csound read /dev/zero)."""
    parts = re.split(r"[;:]", os.environ.get("INCDIR", ""))
    return [Path(os.path.expanduser(p.strip())) for p in parts if p.strip()]


def _candidates(name: str, folders: list[Path]) -> list[Path]:
    path = Path(os.path.expanduser(name))
    if path.is_absolute():
        return [path]
    return [f / path for f in dict.fromkeys(folders)]


def resolve(
    text: str, folder: Path | None, max_bytes: int = files.DEFAULT_MAX_BYTES
) -> Resolved:
    """Read what `text` includes, recursively (depth ≤ 8, ≤ 64 files, each file once).

    A relative name is looked up in the document's folder (Csound's INCDIR in the compiler check)
    and in the including file's folder; a refused file is reported on the directive of `text`
    that leads to it, naming the chain when it is nested.
    """
    out = Resolved()
    seen: set[Path] = set()
    env = _env_folders()

    def visit(src: str, here: Path | None, top: Include | None, parent: str, depth: int) -> None:
        for inc in find_includes(src):
            root = top or inc
            shown = f"{inc.name} (included by {parent})" if parent else inc.name
            if "://" in inc.name:
                out.refused.append(Refused(root, f"{shown} is a URL; includes are read from files"))
                continue
            if inc.expands and "$" in inc.name:  # a macro the check cannot see: not followed
                out.refused.append(Refused(root, f"{shown} uses a macro the check cannot resolve"))
                continue
            folders = [p for p in (folder, here) if p is not None] + env
            paths = _candidates(inc.name, folders)
            if not paths or depth >= MAX_DEPTH or len(seen) >= MAX_FILES:
                out.unresolved = True
                continue
            found = False
            for path in paths:
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                found = True
                reason = files.refusal(shown, st, max_bytes)
                if reason is not None:
                    out.refused.append(Refused(root, reason))
                    break
                key = path.resolve()
                if key in seen:
                    break
                seen.add(key)
                try:
                    inner = files.read_text(path, max_bytes)
                except files.UnreadableFile as exc:
                    out.refused.append(Refused(root, exc.reason))
                    break
                except OSError:
                    out.unresolved = True
                    break
                out.texts.append(inner)
                visit(inner, path.parent, root, inc.name, depth + 1)
                break
            if not found:
                out.unresolved = True  # Csound says "Cannot open #include'd file" itself

    visit(text, None, None, "", 0)
    return out


def blank(text: str, refused: list[Refused]) -> str:
    """`text` with the refused directives replaced by spaces (line and column numbers hold)."""
    if not refused:
        return text
    lines = text.split("\n")
    for r in {(r.include.line, r.include.start, r.include.end) for r in refused}:
        line, start, end = r
        lines[line] = lines[line][:start] + " " * (end - start) + lines[line][end:]
    return "\n".join(lines)
