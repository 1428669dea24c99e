"""Every site of a touched function in the whole tree, as the series leaves it.

Sites are found by text (a whole-word grep: `git grep -w` on a git tree) and then
classified with tree-sitter on the file that holds them: the node under the name tells
a definition, a declaration, a call and any other reference apart, and its ancestors
name the enclosing function. Files the series touches are read as the last stage of
the placement left them, every other file as the tree has it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from tree_sitter import Node

from patchscope.code.cparse import (
    find_function_declarator,
    fold,
    node_text,
    parse,
    parse_alone,
)
from patchscope.code.fragments import is_c_file
from patchscope.code.model import SeriesFacts
from patchscope.code.tree import (
    GrepHit,
    matching_lines,
    split_lines,
    words_pattern,
)

if TYPE_CHECKING:
    from patchscope.code.place import Placement
    from patchscope.code.tree import Tree

SiteKind = Literal["definition", "declaration", "call", "reference"]
# Declarator wrappers between a function's name and the definition or declaration holding it.
_WRAPPERS = frozenset({"pointer_declarator", "parenthesized_declarator", "attributed_declarator"})
# A function header in column 0: "int foo(", "static struct page *bar(", "SYSCALL_DEFINE2(".
_HEADER = re.compile(r"^(?:[A-Za-z_][\w\s*]*?[\s*])?([A-Za-z_]\w*)\s*\([^;]*$")
_OPENS_CALL = re.compile(r"\s*\(")


@dataclass(frozen=True)
class Site:
    name: str
    kind: SiteKind
    file: str
    line: int
    function: str | None  # the enclosing function; None at file scope
    text: str  # the source line, stripped
    in_series: bool  # the file is one the series touches
    # has the series' new prototype; None: not a function whose prototype changes, a plain
    # reference, or a prototype that does not parse
    carries: bool | None


@dataclass(frozen=True)
class Shape:
    """What a prototype fixes: return type and parameter types, names left out."""

    returns: str
    params: tuple[str, ...]
    variadic: bool


def touched_functions(facts: SeriesFacts) -> tuple[str, ...]:
    """Functions the series defines, declares, changes or renames (old names too)."""
    names = {
        name
        for patch in facts.patches
        for change in patch.changes
        if change.kind in ("function", "prototype")
        for name in (change.name, change.old_name)
        if name
    }
    return tuple(sorted(names))


def new_prototypes(facts: SeriesFacts) -> dict[str, Shape | None]:
    """Each function whose prototype the series changes, with the last prototype it gives
    (None when that prototype does not parse)."""
    wanted: dict[str, Shape | None] = {}
    for patch in facts.patches:
        for change in patch.changes:
            if change.change == "prototype" and change.new_signature:
                wanted[change.name] = signature_shape(change.new_signature, change.name)
    return wanted


def sites(
    names: Iterable[str], tree: Tree, placement: Placement, shapes: dict[str, Shape | None]
) -> tuple[Site, ...]:
    """Every site of `names` (calls and references alike) in the tree after the series;
    a site of a name in `shapes` is marked with whether it carries that prototype."""
    return tuple(_sites(tuple(sorted(set(names) | set(shapes))), tree, placement, shapes))


def prototype_sites_among(
    found: Iterable[Site], shapes: dict[str, Shape | None]
) -> tuple[Site, ...]:
    return tuple(site for site in found if site.name in shapes and site.kind != "reference")


def _sites(
    names: tuple[str, ...], tree: Tree, placement: Placement, shapes: dict[str, Shape | None]
) -> Iterator[Site]:
    if not names:
        return
    touched = {f.path: f.text for f in placement.final.files}
    hits = [hit for hit in tree.grep(names) if hit.file not in touched]
    hits.extend(_grep_text(names, touched))
    pattern = words_pattern(names)
    for file in sorted({hit.file for hit in hits}):
        text = touched[file] if file in touched else tree.read(file)
        if text is None:
            continue
        source = _Source(text, file, file in touched)
        # the parsed text's own lines, not grep's: both then decode bytes the same way
        for number in sorted({hit.line for hit in hits if hit.file == file}):
            for match in pattern.finditer(source.lines[number - 1]):
                yield source.site(match, number, shapes)


def _grep_text(names: tuple[str, ...], texts: dict[str, str | None]) -> Iterator[GrepHit]:
    """The same search as Tree.grep, over the texts the series leaves."""
    pattern = words_pattern(names)
    for file, text in texts.items():
        if text is not None and is_c_file(file):
            yield from matching_lines(file, text, pattern)


class _Source:
    """One file, parsed a top-level stretch at a time, answering for every name found in it.

    A name's site depends on the definition or declaration around it, not on the rest of
    the file: tree-sitter parses only the stretch between the column-0 closing braces
    around it (most of a tree file's parse otherwise), and the whole file when that
    stretch does not parse cleanly."""

    def __init__(self, text: str, file: str, in_series: bool) -> None:
        self.text = text
        self.lines = split_lines(text)
        self.file = file
        self.in_series = in_series
        self.end = len(self.lines) - 1  # the last row
        self._stretches: dict[int, tuple[int, Node]] = {}  # by first row: (first row, root)

    def _node_at(self, row: int, column: int, width: int) -> Node | None:
        first, root = self._stretch(row)
        return root.descendant_for_point_range((row - first, column), (row - first, column + width))

    def _stretch(self, row: int) -> tuple[int, Node]:
        """The parsed stretch holding `row`: its first row and its tree's root."""
        first = self._start_from(row)
        if first not in self._stretches:
            self._stretches[first] = self._parse_from(first, row)
        return self._stretches[first]

    def _start_from(self, row: int) -> int:
        """The first row of the stretch holding `row`."""
        while row > 0 and not _closes_top_level(self.lines[row - 1]):
            row -= 1
        return row

    def _end_from(self, row: int) -> int:
        """The last row of the stretch holding `row`: a closing brace or the file's end."""
        while row < self.end and not _closes_top_level(self.lines[row]):
            row += 1
        return row

    def _parse_from(self, first: int, row: int) -> tuple[int, Node]:
        if self.in_series:  # the whole text is parsed for its spans anyway
            return 0, parse(self.text).root_node
        last = self._end_from(row)
        root = parse_alone("".join(f"{line}\n" for line in self.lines[first : last + 1]))
        if root.has_error:
            return 0, parse(self.text).root_node
        return first, root

    def site(self, match: re.Match[str], number: int, shapes: dict[str, Shape | None]) -> Site:
        name = match.group()
        row = number - 1
        line = self.lines[row]
        column = len(line[: match.start()].encode())
        node = self._node_at(row, column, len(name))
        kind, holder = _classify(node) if node is not None else ("reference", None)
        function = _enclosing(node) if node is not None else None
        if node is not None and _orphaned(node):
            # tree-sitter lost the structure here (macro-heavy code): fall back to text
            function = function or self._preceding_header(row)
            if kind == "reference" and _OPENS_CALL.match(line, match.end()):
                kind = "call"
        carries = None
        if name in shapes:
            carries = _carries(kind, node, holder, shapes[name])
        return Site(name, kind, self.file, number, function, line.strip(), self.in_series, carries)

    def _preceding_header(self, row: int) -> str | None:
        """The nearest line above that starts in column 0 and looks like a function header."""
        for line in reversed(self.lines[:row]):
            found = _HEADER.match(line)
            if found:
                return found.group(1)
        return None


def _closes_top_level(line: str) -> bool:
    """A definition's or a top-level initializer's closing brace, in column 0."""
    return line.rstrip() in ("}", "};")


def _classify(node: Node) -> tuple[SiteKind, Node | None]:
    """The site's kind, and for a definition or declaration the node that holds it."""
    parent = node.parent
    if parent is None:
        return "reference", None
    if parent.type == "call_expression" and parent.child_by_field_name("function") == node:
        return "call", parent
    if parent.type == "function_declarator" and parent.child_by_field_name("declarator") == node:
        holder = parent.parent
        while holder is not None and holder.type in _WRAPPERS:
            holder = holder.parent
        if holder is not None and holder.type == "function_definition":
            return "definition", holder
        if holder is not None and holder.type == "declaration":
            return "declaration", holder
    return "reference", None


def _enclosing(node: Node) -> str | None:
    up = node.parent
    while up is not None and up.type != "function_definition":
        up = up.parent
    if up is None:
        return None
    declarator = _function_declarator(up)
    name = declarator.child_by_field_name("declarator") if declarator else None
    return node_text(name) if name is not None else None


def _orphaned(node: Node) -> bool:
    """Inside an ERROR node, or inside a body that no function definition holds."""
    in_body = False
    up = node.parent
    while up is not None:
        if up.type == "ERROR":
            return True
        if up.type == "function_definition":
            return False
        in_body = in_body or up.type == "compound_statement"
        up = up.parent
    return in_body


def _function_declarator(holder: Node) -> Node | None:
    return find_function_declarator(holder.child_by_field_name("declarator"))


def _carries(
    kind: SiteKind, node: Node | None, holder: Node | None, want: Shape | None
) -> bool | None:
    if want is None or holder is None or node is None:
        return None
    if kind == "call":
        arguments = holder.child_by_field_name("arguments")
        if arguments is None or want.variadic:
            return None
        count = sum(1 for child in arguments.named_children if child.type != "comment")
        return count == len(want.params)
    shape = _shape(holder, node)
    return None if shape is None else shape == want


def signature_shape(signature: str, name: str) -> Shape | None:
    """Parse a prototype as the facts give it ("int f(int a, long b)") into its shape."""
    root = parse(f"{signature};").root_node
    for holder in root.named_children:
        declarator = _function_declarator(holder)
        named = declarator.child_by_field_name("declarator") if declarator else None
        if named is not None and node_text(named) == name:
            return _shape(holder, named)
    return None


def _shape(holder: Node, name: Node) -> Shape | None:
    declarator = name.parent
    if declarator is None or declarator.type != "function_declarator":
        return None
    kind = holder.child_by_field_name("type")
    stars = _pointer_depth(holder, declarator)
    returns = _fold((node_text(kind) if kind is not None else "") + "*" * stars)
    parameters = declarator.child_by_field_name("parameters")
    params: list[str] = []
    variadic = False
    for child in parameters.named_children if parameters is not None else ():
        if child.type == "variadic_parameter":
            variadic = True
        elif child.type != "comment":
            params.append(_param_type(child))
    if params == ["void"]:
        params = []
    return Shape(returns, tuple(params), variadic)


def _pointer_depth(holder: Node, declarator: Node) -> int:
    depth = 0
    up = declarator.parent
    while up is not None and up != holder:
        depth += up.type == "pointer_declarator"
        up = up.parent
    return depth


def _param_type(param: Node) -> str:
    """The parameter's text without its name: 'struct page *page' -> 'struct page*'."""
    text = node_text(param)
    inner = param.child_by_field_name("declarator")
    while inner is not None and inner.type != "identifier":
        inner = inner.child_by_field_name("declarator")
    if inner is not None:
        start = inner.start_byte - param.start_byte
        raw = param.text or b""
        text = (raw[:start] + raw[start + inner.end_byte - inner.start_byte :]).decode(
            "utf-8", errors="replace"
        )
    return _fold(text)


def _fold(text: str) -> str:
    """cparse's folding, and no blanks around '*': 'struct page *' and 'struct page*' agree."""
    return re.sub(r"\s*\*\s*", "*", fold(text))
