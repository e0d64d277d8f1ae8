"""HTML fragments of the (DocBook-generated, very regular) Csound manual → plain text or Markdown.

A single-regex tokenizer instead of `html.parser`: the whole manual is ~20 MB and the knowledge base
must build in seconds, and we only ever convert small, known fragments.
"""

from __future__ import annotations

import html
import re

_TAGS = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"[ \t\r\n\xa0]+")
_TOKEN = re.compile(r"<!--.*?-->|<(/?)([a-zA-Z][\w:-]*)([^>]*)>|([^<]+)", re.S)
_BLOCK = {"p", "div", "dd", "dt", "table", "tr", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5",
          "blockquote"}
_BLANKS = re.compile(r"\n{3,}")


def text(fragment: str) -> str:
    """Tags dropped, entities decoded, whitespace collapsed to single spaces."""
    return _SPACE.sub(" ", html.unescape(_TAGS.sub("", fragment))).strip()


def markdown(fragment: str) -> str:
    """Paragraphs, emphasis, code, lists and preformatted blocks as Markdown; the rest as text."""
    out: list[str] = []
    pre = 0
    for m in _TOKEN.finditer(fragment):
        closing, tag, _attrs, data = m.groups()
        if data is not None:
            data = html.unescape(data)
            out.append(data if pre else _SPACE.sub(" ", data))
            continue
        if tag is None:  # comment
            continue
        tag = tag.lower()
        if tag == "pre":
            if closing:
                pre = max(0, pre - 1)
                out.append("\n```\n\n")
            else:
                pre += 1
                out.append("\n\n```\n")
        elif pre:
            continue
        elif tag in _BLOCK:
            out.append("\n\n")
        elif tag == "br":
            out.append("\n")
        elif tag == "li":
            if not closing:
                out.append("\n- ")
        elif tag == "em":
            out.append("*")
        elif tag in {"strong", "b"}:
            out.append("**")
        elif tag in {"code", "tt"}:
            out.append("`")
        elif tag in {"td", "th"} and not closing:
            out.append(" | ")
    return _tidy("".join(out))


def _tidy(s: str) -> str:
    lines = []
    in_code = False
    for line in s.split("\n"):
        if line.startswith("```"):
            in_code = not in_code
            lines.append(line)
            continue
        lines.append(line if in_code else line.strip())
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()
