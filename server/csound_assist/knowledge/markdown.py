"""Knowledge-base entries as Markdown, for the CLI (Rich) and anything else that shows docs."""

from __future__ import annotations

from csound_assist.knowledge.model import ManualEntry, Opcode


def _code(lines: list[str]) -> list[str]:
    return ["```csound", *lines, "```", ""]


def opcode_markdown(op: Opcode, *, description: bool = True) -> str:
    out = [f"# {op.name}", ""]
    if op.summary:
        out += [op.summary, ""]
    if op.deprecated:
        out += [f"**Deprecated:** {op.deprecated}", ""]
    if op.syntax:
        out += ["## Syntax", "", *_code(op.syntax)]
    if op.signatures:
        out += ["## Signatures (installed Csound)", "",
                *_code([s.render(op.name) for s in op.signatures])]
    if op.params:
        out += ["## Parameters", ""]
        out += [f"- **{name}** — {text}" for name, text in op.params.items()]
        out.append("")
    if description and op.description:
        out += ["## Description", "", op.description, ""]
    tail = []
    if op.example:
        tail.append(f"Example: `{op.example}`")
    if op.see_also:
        tail.append("See also: " + ", ".join(op.see_also))
    if op.manual_page:
        tail.append(f"Manual: `{op.manual_page}`")
    elif not op.summary:
        tail.append("No manual page for this opcode in the installed manual.")
    out += [line + "  " for line in tail]
    return "\n".join(out).strip() + "\n"


def entry_markdown(entry: ManualEntry, title: str | None = None) -> str:
    out = [f"# {title or entry.name}", ""]
    if entry.summary:
        out += [entry.summary, ""]
    if entry.syntax:
        out += ["## Syntax", "", *_code(entry.syntax)]
    if entry.params:
        out += ["## Parameters", "", *(f"- **{k}** — {v}" for k, v in entry.params.items()), ""]
    if entry.description:
        out += ["## Description", "", entry.description, ""]
    if entry.manual_page:
        out.append(f"Manual: `{entry.manual_page}`")
    return "\n".join(out).strip() + "\n"
