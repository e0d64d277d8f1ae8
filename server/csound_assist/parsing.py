"""Access to the tree-sitter Csound grammar (`grammar/`, package `tree_sitter_csound`).

`parse()` gives a `tree_sitter.Tree`; the helpers below read what the server needs from it
(problems, the node at a point, instruments, UDOs, opcode calls, variables, score statements).
Node types and field names are documented in `grammar/README.md`.

Points are tree-sitter points: (row, byte column), both 0-based, over the UTF-8 source.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from tree_sitter import Language, Node, Parser, Point, Tree

__all__ = [
    "CallContext",
    "Instrument",
    "OpcodeCall",
    "Problem",
    "ScoreStatement",
    "Udo",
    "Variable",
    "call_at",
    "descendants",
    "enclosing",
    "file_kind",
    "instruments",
    "language",
    "named_node_at",
    "node_at",
    "node_text",
    "opcode_calls",
    "parse",
    "parser",
    "problems",
    "score_statements",
    "sections",
    "udos",
    "variables",
]


@lru_cache(maxsize=1)
def language() -> Language:
    """The Csound `Language` (raises ImportError when the grammar package is not installed)."""
    import tree_sitter_csound

    return Language(tree_sitter_csound.language())


def parser() -> Parser:
    """A new parser for Csound. Parsers are not thread-safe: one per thread or document store."""
    return Parser(language())


_local = threading.local()


def _thread_parser() -> Parser:
    # One parser per thread: the server parses on the event loop and in worker threads.
    p = getattr(_local, "parser", None)
    if p is None:
        p = _local.parser = parser()
    return p


def parse(source: bytes | str, old_tree: Tree | None = None) -> Tree:
    """Parses CSD, orchestra or score text. Pass an edited `old_tree` to reparse incrementally."""
    data = source.encode("utf-8") if isinstance(source, str) else source
    p = _thread_parser()
    return p.parse(data, old_tree) if old_tree is not None else p.parse(data)


def node_text(node: Node | None) -> str:
    """The source text of a node ('' for None)."""
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


def descendants(node: Node) -> Iterator[Node]:
    """Every node below `node` (itself included), in document order."""
    cursor = node.walk()
    visited_children = False
    while True:
        if not visited_children:
            yield cursor.node  # type: ignore[misc]
            if cursor.goto_first_child():
                continue
        if cursor.goto_next_sibling():
            visited_children = False
        elif cursor.goto_parent() and cursor.node != node:
            visited_children = True
        else:
            return


# ---------------------------------------------------------------------------------- problems


@dataclass(frozen=True, slots=True)
class Problem:
    """A syntax error (`kind='error'`, unparsable text) or a token the parser had to invent."""

    kind: Literal["error", "missing"]
    start: Point
    end: Point
    start_byte: int
    end_byte: int
    message: str


def _orchestra_items(root: Node) -> Iterator[Node]:
    """Top-level orchestra items of a CSD, orchestra or score tree (cheap: no full walk)."""
    for child in root.named_children:
        if child.type == "csd":
            for element in child.named_children:
                if element.type == "instruments_element":
                    body = element.child_by_field_name("body")
                    if body is not None:
                        yield from body.named_children
        else:
            yield child


_BLOCK_OPENERS = {"if_statement": "endif", "loop_statement": "od", "for_statement": "od",
                  "switch_statement": "endsw"}


def _block_problems(root: Node) -> Iterator[Problem]:
    """Open if/while blocks and stray block keywords inside instruments, UDOs and the header."""
    stack = list(_orchestra_items(root))
    while stack:
        node = stack.pop()
        if node.type == "stray_keyword":
            word = node_text(node.child_by_field_name("keyword"))
            yield Problem("error", node.start_point, node.end_point, node.start_byte,
                          node.end_byte, f"'{word}' without an open block it could close")
        elif node.type in _BLOCK_OPENERS:
            last = node.child(node.child_count - 1)
            if last is not None and last.type == "missing_end":
                yield Problem("missing", last.start_point, last.end_point, last.start_byte,
                              last.end_byte, f"missing {_BLOCK_OPENERS[node.type]} for the block "
                              f"opened at line {node.start_point.row + 1}")
        if node.type in ("instrument_definition", "udo_definition", "block", "if_statement",
                         "loop_statement", "elseif_clause", "else_clause", "for_statement",
                         "switch_statement", "case_clause", "default_clause"):
            stack.extend(node.named_children)


def problems(tree: Tree) -> list[Problem]:
    """ERROR and MISSING nodes, outermost first, in document order (nested ERRORs are skipped).

    A block left open (`(missing_end)` where `endin`/`endop`/`endif`/`od` is due) counts as
    MISSING; a block keyword that closes nothing (`stray_keyword`) as an error.
    """
    found: list[Problem] = []
    root = tree.root_node
    for item in _orchestra_items(root):
        if item.type in ("instrument_definition", "udo_definition"):
            last = item.child(item.child_count - 1)
            if last is not None and last.type == "missing_end":
                keyword = "endin" if item.type == "instrument_definition" else "endop"
                head = item.start_point
                found.append(Problem(
                    "missing", last.start_point, last.end_point, last.start_byte, last.end_byte,
                    f"missing {keyword} for the block opened at line {head.row + 1}",
                ))
    found.extend(_block_problems(root))
    if not root.has_error:
        found.sort(key=lambda p: p.start_byte)
        return found
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_missing:
            found.append(
                Problem("missing", node.start_point, node.end_point, node.start_byte,
                        node.end_byte, f"missing {node.type}")
            )
            continue
        if node.is_error:
            text = node.text or b""
            # Report where the unparsable text starts, not at the line break before it.
            skipped = len(text) - len(text.lstrip())
            start, start_byte = node.start_point, node.start_byte + skipped
            if skipped:
                head = text[:skipped]
                newlines = head.count(b"\n")
                column = (skipped - head.rfind(b"\n") - 1) if newlines else start.column + skipped
                start = Point(start.row + newlines, column)
            first = text.strip().decode("utf-8", errors="replace").split("\n")[0][:40]
            found.append(
                Problem("error", start, node.end_point, start_byte, node.end_byte,
                        f"syntax error near {first!r}" if first else "syntax error")
            )
            continue
        stack.extend(reversed([c for c in node.children if c.has_error or c.is_missing]))
    found.sort(key=lambda p: p.start_byte)
    return found


# ---------------------------------------------------------------------------------- file kind

FileKind = Literal["csd", "orchestra", "score", "empty"]
_SCORE_ITEMS = {"score_statement", "score_loop"}


def file_kind(tree: Tree) -> FileKind:
    """What the grammar took the text for (a CSD, a standalone orchestra or score, or nothing)."""
    children = tree.root_node.named_children
    if any(c.type == "csd" for c in children):
        return "csd"
    if any(c.type in _SCORE_ITEMS for c in children):
        return "score"
    return "orchestra" if any(c.type != "comment" for c in children) else "empty"


def sections(tree: Tree) -> tuple[Node | None, Node | None]:
    """The node holding the orchestra items and the one holding the score statements.

    For a CSD: the `orchestra` and `score` nodes inside <CsInstruments>/<CsScore> (None where
    absent or empty); for a standalone orchestra or score: the root for its kind.
    """
    root = tree.root_node
    kind = file_kind(tree)
    if kind == "orchestra":
        return root, None
    if kind == "score":
        return None, root
    orchestra = score = None
    for csd in (c for c in root.named_children if c.type == "csd"):
        for element in csd.named_children:
            body = element.child_by_field_name("body")
            if element.type == "instruments_element" and body is not None:
                orchestra = body
            elif element.type == "score_element" and body is not None:
                score = body
    return orchestra, score


# ---------------------------------------------------------------------------------- positions


def node_at(tree: Tree, point: Point | tuple[int, int]) -> Node:
    """The smallest node (named or not) that spans `point` (row, byte column)."""
    p = Point(*point)
    return tree.root_node.descendant_for_point_range(p, p) or tree.root_node


def named_node_at(tree: Tree, point: Point | tuple[int, int]) -> Node:
    """The smallest named node that spans `point`."""
    p = Point(*point)
    return tree.root_node.named_descendant_for_point_range(p, p) or tree.root_node


def enclosing(node: Node, *types: str) -> Node | None:
    """The nearest ancestor (or the node itself) whose type is one of `types`."""
    current: Node | None = node
    while current is not None:
        if current.type in types:
            return current
        current = current.parent
    return None


# ---------------------------------------------------------------------------------- structure


@dataclass(frozen=True, slots=True)
class Instrument:
    names: list[str]      # "1", "Foo", "+Foo", "$MACRO"
    node: Node            # instrument_definition


@dataclass(frozen=True, slots=True)
class Udo:
    name: str
    outputs: str          # "a", "kk", "0"; new-style UDOs: "a" from `):a`, "" if none
    inputs: str           # "kk", "0"; new-style: types of the parameters joined
    node: Node            # udo_definition
    new_style: bool = False


@dataclass(frozen=True, slots=True)
class OpcodeCall:
    """An opcode used as a statement (`a1 oscili 0.5, 440`) or as a function (`oscili(…)`)."""

    name: str
    node: Node                              # opcode_statement or call_expression
    name_node: Node                         # opcode_name or the call's identifier
    outputs: list[Node] = field(default_factory=list)   # output nodes (statement form only)
    inputs: list[Node] = field(default_factory=list)    # argument expressions
    type_hint: str | None = None            # `oscili:a(...)` -> "a"
    is_function: bool = False


@dataclass(frozen=True, slots=True)
class Variable:
    """One occurrence of a variable name: written (an output) or read (in an expression)."""

    name: str
    node: Node
    written: bool


@dataclass(frozen=True, slots=True)
class ScoreStatement:
    letter: str
    pfields: list[Node]
    node: Node


def instruments(tree: Tree | Node) -> list[Instrument]:
    root = tree.root_node if isinstance(tree, Tree) else tree
    return [
        Instrument([node_text(n) for n in node.children_by_field_name("name")], node)
        for node in descendants(root)
        if node.type == "instrument_definition"
    ]


def udos(tree: Tree | Node) -> list[Udo]:
    root = tree.root_node if isinstance(tree, Tree) else tree
    found: list[Udo] = []
    for node in descendants(root):
        if node.type != "udo_definition":
            continue
        name = node_text(node.child_by_field_name("name"))
        params = node.child_by_field_name("parameters")
        if params is None and node.child_by_field_name("outputs") is not None:
            found.append(Udo(name, node_text(node.child_by_field_name("outputs")),
                             node_text(node.child_by_field_name("inputs")), node))
            continue
        in_types = ""
        if params is not None:
            in_types = "".join(
                _parameter_type(p) for p in params.named_children if p.type == "parameter"
            )
        # `:a` or `:(a, k)`; the field covers every token of the return list; `:void` is none.
        out_types = "".join(
            node_text(n) for n in node.children_by_field_name("returns")
            if n.type == "type" and node_text(n) != "void"
        )
        found.append(Udo(name, out_types, in_types, node, new_style=True))
    return found


def _parameter_type(param: Node) -> str:
    """`amp:k` → "k"; an untyped parameter takes its name's rate prefix (`kVals[]` → "k[]",
    as Csound does); "?" when the name implies none."""
    declared = param.child_by_field_name("type")
    if declared is not None:
        return node_text(declared)
    name = node_text(param.child_by_field_name("name"))
    base = name[1:] if name.startswith("g") and len(name) > 1 else name
    rate = base[:1] if base[:1] in ("a", "k", "i", "S", "f", "w") else "?"
    return rate + "[]" * node_text(param).count("[")


def _arguments(node: Node | None) -> list[Node]:
    return [] if node is None else node.children_by_field_name("argument")


def _udo_without_inputs(node: Node, name_node: Node, udo_names: set[str]) -> OpcodeCall | None:
    """`kval MyUdo` reads as opcode `kval` with input `MyUdo` to the grammar, which knows only
    built-in opcode names; when `MyUdo` is a UDO of this file, it is the opcode."""
    if node.child_by_field_name("outputs") is not None or node_text(name_node) in udo_names:
        return None
    args = _arguments(node.child_by_field_name("inputs"))
    if len(args) != 1 or args[0].type != "identifier" or node_text(args[0]) not in udo_names:
        return None
    return OpcodeCall(node_text(args[0]), node, args[0], outputs=[name_node])


def opcode_calls(tree: Tree | Node) -> list[OpcodeCall]:
    """Opcode statements and function calls in document order."""
    root = tree.root_node if isinstance(tree, Tree) else tree
    found: list[OpcodeCall] = []
    udo_names = {u.name for u in udos(root)}
    for node in descendants(root):
        if node.type == "opcode_statement":
            name_node = node.child_by_field_name("opcode")
            if name_node is None:
                continue
            if (reread := _udo_without_inputs(node, name_node, udo_names)) is not None:
                found.append(reread)
                continue
            outputs = node.child_by_field_name("outputs")
            found.append(OpcodeCall(
                node_text(name_node), node, name_node,
                outputs=[] if outputs is None else outputs.children_by_field_name("output"),
                inputs=_arguments(node.child_by_field_name("inputs")),
            ))
        elif node.type == "call_expression":
            name_node = node.child_by_field_name("function")
            if name_node is None:
                continue
            type_node = node.child_by_field_name("type")
            found.append(OpcodeCall(
                node_text(name_node), node, name_node,
                inputs=_arguments(node.child_by_field_name("arguments")),
                type_hint=node_text(type_node) if type_node is not None else None,
                is_function=True,
            ))
    return found


# Identifiers that are not variables where they stand.
_NOT_VARIABLE_PARENTS = {"call_expression", "goto_statement", "if_goto_statement",
                         "udo_definition", "instrument_definition", "plus_name", "parameter",
                         "type", "define_directive", "undef_directive", "conditional_directive",
                         "macro_parameters", "score_loop", "score_statement",
                         "struct_definition", "struct_member"}


def variables(tree: Tree | Node) -> list[Variable]:
    """Variable occurrences in the orchestra: outputs are written, identifiers in expressions read.

    Opcode names, labels (also as opcode arguments), instrument/UDO names, types and macro names
    are not variables.
    UDO parameters (new style) count as written.
    """
    root = tree.root_node if isinstance(tree, Tree) else tree
    found: list[Variable] = []
    labels_by_scope: dict[int, set[str]] = {}

    def is_label(node: Node) -> bool:
        # `reinit start`, `timout 0, 1, contin`: a label passed to an opcode is not a variable.
        scope = enclosing(node, "instrument_definition", "udo_definition") or root
        if scope.id not in labels_by_scope:
            labels_by_scope[scope.id] = {
                node_text(n).rstrip(":") for n in descendants(scope) if n.type == "label"
            }
        return node_text(node) in labels_by_scope[scope.id]

    udo_names = {u.name for u in udos(root)}
    for node in descendants(root):
        if node.type == "opcode_statement":
            name_node = node.child_by_field_name("opcode")
            if name_node is not None and _udo_without_inputs(node, name_node, udo_names):
                found.append(Variable(node_text(name_node), name_node, written=True))
        if node.type == "output":
            name = node.child_by_field_name("name")
            if name is not None and name.type == "identifier":
                found.append(Variable(node_text(name), name, written=True))
        elif node.type == "parameter":
            name = node.child_by_field_name("name")
            if name is not None:
                found.append(Variable(node_text(name), name, written=True))
        elif node.type == "identifier":
            parent = node.parent
            if parent is None or parent.type in _NOT_VARIABLE_PARENTS or parent.type == "output":
                continue
            if enclosing(node, "score", "score_element") or is_label(node):
                continue
            if node_text(node) in udo_names and parent.type == "argument_list":
                statement = parent.parent
                if statement is not None and statement.type == "opcode_statement":
                    continue  # `kval MyUdo`: the UDO is the opcode
            found.append(Variable(node_text(node), node, written=False))
    return found


@dataclass(frozen=True, slots=True)
class CallContext:
    """The opcode call around a point, and which of its inputs the point is in (0-based)."""

    call: OpcodeCall
    argument_index: int


def call_at(tree: Tree, point: Point | tuple[int, int]) -> CallContext | None:
    """The innermost function call whose parentheses hold `point`, else the opcode statement
    whose inputs the point is in (after the opcode name). For signature help."""
    p = Point(*point)
    node: Node | None = node_at(tree, p)
    while node is not None:
        if node.type == "call_expression":
            opening = next((c for c in node.children if c.type == "("), None)
            closing = node.children[-1] if node.children[-1].type == ")" else None
            inside = opening is not None and opening.end_point <= p and (
                closing is None or closing.is_missing or p <= closing.start_point)
            if inside:
                name = node.child_by_field_name("function")
                args = node.child_by_field_name("arguments")
                call = OpcodeCall(node_text(name), node, name, inputs=_arguments(args),  # type: ignore[arg-type]
                                  is_function=True)
                return CallContext(call, _commas_before(args or node, p))
        elif node.type == "opcode_statement":
            name = node.child_by_field_name("opcode")
            if name is None or p < name.end_point:
                return None
            args = node.child_by_field_name("inputs")
            outputs = node.child_by_field_name("outputs")
            call = OpcodeCall(node_text(name), node, name,
                              outputs=[] if outputs is None else outputs.children_by_field_name(
                                  "output"), inputs=_arguments(args))
            return CallContext(call, _commas_before(node, p))
        node = node.parent
    return None


_NESTED = {"call_expression", "parenthesized_expression", "subscript_expression", "subscript"}


def _commas_before(container: Node, point: Point) -> int:
    """Top-level commas of a call or statement before `point` (recovered ERROR text included:
    a trailing `outs a1,` still counts)."""
    count = 0
    stack = [c for c in container.children if c.type not in _NESTED and c.type != "output_list"]
    while stack:
        node = stack.pop()
        if node.start_point >= point:
            continue
        if node.type == "," and node.end_point <= point:
            count += 1
        elif node.child_count and node.type not in _NESTED:
            stack.extend(node.children)
    return count


def score_statements(tree: Tree | Node) -> list[ScoreStatement]:
    root = tree.root_node if isinstance(tree, Tree) else tree
    return [
        ScoreStatement(node_text(node.child_by_field_name("letter")),
                       node.children_by_field_name("pfield"), node)
        for node in descendants(root)
        if node.type == "score_statement"
    ]
