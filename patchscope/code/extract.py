"""Definitions, references and assignments from one side of one file, piece by piece.

Each piece is parsed once, but not always as it stands: tree-sitter reads a
fragment as a whole file, and a hunk seldom starts at file scope.  The fallbacks,
chosen from the hand scan (scan.py) and the `@@ ... @@` hint:

- a piece starting inside a body (a '}' closes a block it never opened, or its
  first code line is indented, kernel style) is wrapped in a made-up function,
  as deep as its indentation says, and belongs to the function the hint names;
  inside a struct or an initializer (a hint ending in '{') the hint itself opens it;
- a piece starting inside a parameter list, after a bare return type (`static
  int` as the hint) or with the '{' of a body gets the hint line put back in front;
- a piece starting or ending inside a comment gets the comment opened or closed;
- #if/#else/#endif lines are blanked (their guards are tracked by hand) so the two
  branches of a conditional parse as plain code.

Line numbers stay those of the piece: the added lines map to no real line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from tree_sitter import Node

from patchscope.code import scan
from patchscope.code.cparse import (
    declared_name,
    find_function_declarator,
    fold,
    function_name,
    node_text,
    parse,
    storage_classes,
)
from patchscope.code.fragments import Fragment, Piece
from patchscope.code.model import (
    Assignment,
    Definition,
    EntityKind,
    Image,
    Reference,
    ReferenceKind,
)

WRAPPER = "__patchscope_fragment__"
# C keywords and type words: never a global, a callee or a function's name.
_C_WORDS = """
    if for while switch return sizeof do else case goto typeof __typeof__ defined __func__
    unsigned signed int long short char void const volatile struct union enum
    static inline extern break continue default __attribute__
"""
_KEYWORDS = frozenset(_C_WORDS.split())
_HINT_FUNCTION = re.compile(r"(?:[A-Za-z_]\w*[\s*]+)*([A-Za-z_]\w*)\s*\(")
_BARE_TYPE = re.compile(r"[A-Za-z_][\w\s*]*")
_CALL_START = re.compile(r"[A-Za-z_]\w*\s*\(")
_UNTYPED = "int "
_TOKEN = re.compile(r"(->|\.)?\s*\b([A-Za-z_]\w*)\b(\s*\()?")
# A kernel annotation right before a type keyword (`static __always_inline struct page *f`)
# or between a pointer's star and the function's name (`pte_t * __meminit f(`) sends
# tree-sitter astray; it is blanked for parsing only, signatures keep it.
_ANNOTATION = re.compile(
    r"\b__\w+(?=\s+(?:struct|union|enum|unsigned|signed|int|long|short|char|void|bool|const)\b)"
    r"|(?<=\*)\s*__\w+(?=\s+[A-Za-z_]\w*\s*\()"
)
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_ALL_CAPS = re.compile(r"[A-Z_][A-Z0-9_]*[A-Z][A-Z0-9_]*")


def is_all_caps(name: str) -> bool:
    return bool(_ALL_CAPS.fullmatch(name))


def extract(fragment: Fragment, old_headers: frozenset[str] = frozenset()) -> Image:
    """Facts of one side of one file.

    `old_headers` (for a post-image) are the functions whose headers the pre-image
    shows.  git takes a hunk's hint from the pre-image, so after a patch renames a
    function, a later hunk inside it still carries the old name; such a piece
    belongs to the function the previous piece left open instead.
    """
    images = []
    carried: _Carried = _Carried(None, frozenset(), old_headers)
    for piece in fragment.pieces:
        reader = _PieceReader(fragment.path, piece, carried)
        images.append(reader.read())
        carried = reader.carry()
    return Image(
        tuple(d for image in images for d in image.definitions),
        tuple(r for image in images for r in image.references),
        tuple(a for image in images for a in image.assignments),
    )


def hint_function(hint: str) -> str | None:
    """The function a `@@ ... @@` hint opens, when it reads like a definition's header."""
    hint = hint.strip()
    if not hint or hint.startswith(("#", "extern ")) or hint.endswith((";", "}")):
        return None
    match = _HINT_FUNCTION.match(hint)
    if match is None or match.group(1) in _KEYWORDS:
        return None
    return match.group(1)


def hint_parameters(hint: str) -> frozenset[str]:
    """Parameter names the hint shows, so they are not mistaken for globals."""
    _, _, params = hint.partition("(")
    names = (re.findall(r"[A-Za-z_]\w*", part) for part in params.split(","))
    return frozenset(found[-1] for found in names if len(found) > 1)


@dataclass(frozen=True)
class _Plan:
    """How a piece is wrapped for tree-sitter."""

    prefix: tuple[str, ...]
    suffix: tuple[str, ...]
    enclosing: str | None  # the function the piece starts in, from the hint
    # put before a hint that starts with the function's name (`static void __init *` on
    # the line above, unseen) so tree-sitter reads a definition; never part of a signature
    made_up_type: str = ""


def _plan(piece: Piece, lines: Sequence[str]) -> _Plan:
    hint = piece.section.strip()
    shape = scan.shape(lines)
    comment = ("/*",) if shape.starts_in_comment else ()

    def closed(depth: int = 0, end: str = "") -> tuple[str, ...]:
        """What closes the comment and the blocks left open at the end of the piece."""
        return ("*/",) * shape.ends_in_comment + ("}" * max(0, depth + shape.end_brace) + end,)

    untyped = bool(_CALL_START.match(hint))
    if _continues_header(hint, shape) or _follows_bare_type(hint, lines):
        made_up = _UNTYPED if untyped else ""
        return _Plan((made_up + hint, *comment), closed(), None, made_up)
    enclosing = hint_function(hint)
    if enclosing and next((line for line in lines if line.strip()), "") == "{":
        # The piece opens the body of the function the hint names: a one-line hint with
        # its return type is the whole header; else a made-up one stands in.
        whole = hint.count("(") == hint.count(")") and not untyped
        header = hint if whole else f"void {WRAPPER}(void)"
        return _Plan((header, *comment), closed(), enclosing)
    if shape.min_brace < 0 or shape.first_code_indent:
        depth = _depth(shape)
        if hint.endswith("{") and enclosing is None:  # inside a struct or an initializer
            return _Plan((hint + "{" * (depth - 1), *comment), closed(depth, ";"), None)
        # inner blocks open as `if` statements, so a `} else {` that ends one still parses
        opener = f"void {WRAPPER}(void) {{" + " if (1) {" * (depth - 1)
        return _Plan((opener, *comment), closed(depth), enclosing)
    return _Plan(comment, closed(), None)


def _depth(shape: scan.Shape) -> int:
    """How many blocks a mid-body piece starts in.

    The '}' in column 0 ends the function (kernel style), so it must close the
    wrapper; without one, the indentation of the first line is the kernel's own
    count of open blocks, and any surplus is closed after the piece.
    """
    if shape.outer_close_depth is not None and shape.outer_close_depth < 0:
        return -shape.outer_close_depth
    return max(1, -shape.min_brace, shape.first_code_indent)


def _continues_header(hint: str, shape: scan.Shape) -> bool:
    """The piece starts inside the parameter list the hint opens."""
    if hint.count("(") <= hint.count(")") or shape.min_brace < 0:
        return False
    if shape.closes_paren_before == "{":
        return True
    return shape.closes_paren_before == ";" and not shape.code_after_close_indented


def _follows_bare_type(hint: str, lines: Sequence[str]) -> bool:
    """`static int` as the hint, the function's name on the piece's first line."""
    return bool(
        _BARE_TYPE.fullmatch(hint)
        and hint.split()[-1] not in ("return", "else", "do")
        and lines
        and _CALL_START.match(lines[0])
    )


@dataclass(frozen=True)
class _Scope:
    """The function a body belongs to, and the names local to it."""

    function: str | None  # None in a body whose function the hint does not name
    locals: frozenset[str]


@dataclass(frozen=True)
class _Carried:
    """What earlier pieces of the same file tell a piece."""

    open_function: str | None  # a function the previous piece ends inside
    headers: frozenset[str]  # functions whose headers earlier pieces showed
    old_headers: frozenset[str]

    def enclosing(self, hinted: str | None) -> str | None:
        stale = hinted in self.old_headers and hinted not in self.headers
        return self.open_function if stale and self.open_function else hinted


@dataclass
class _PieceReader:
    """One piece's definitions, references and assignments, from one parse."""

    path: str
    piece: Piece
    carried: _Carried
    open_function: str | None = None
    definitions: list[Definition] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)

    def read(self) -> Image:
        raw = self.piece.lines
        blank = scan.conditional_rows(raw)
        self.lines = tuple("" if row in blank else line for row, line in enumerate(raw))
        self.guards = scan.guards(raw)
        plan = _plan(self.piece, self.lines)
        self.offset = len(plan.prefix)
        self.made_up_type = plan.made_up_type
        self.enclosing = self.carried.enclosing(plan.enclosing)
        text = "\n".join((*plan.prefix, *self.lines, *plan.suffix))
        self.source = text.encode()
        tree = parse(_ANNOTATION.sub(lambda m: " " * len(m.group()), text))
        self._file_scope(tree.root_node)
        return Image(tuple(self.definitions), tuple(self.references), tuple(self.assignments))

    def carry(self) -> _Carried:
        headers = {d.name for d in self.definitions if d.kind == "function" and d.signature}
        return _Carried(
            self.open_function, self.carried.headers | headers, self.carried.old_headers
        )

    # -- positions ---------------------------------------------------------

    def _row(self, node: Node, end: bool = False) -> int:
        """The piece row of a node's start (or end), clamped into the piece."""
        point = node.end_point if end else node.start_point
        row = point.row - self.offset
        if end and point.column == 0 and point.row > node.start_point.row:
            row -= 1  # a node that ends with its newline ends on the line before
        return min(max(row, 0), len(self.lines) - 1)

    def _line(self, node: Node, end: bool = False) -> int:
        return self.piece.start + self._row(node, end)

    def _inside(self, node: Node) -> bool:
        first = node.start_point.row - self.offset
        return first >= 0 and node.end_point.row - self.offset < len(self.lines)

    def _text(self, node: Node) -> str:
        """The source as written (annotations included), not as parsed."""
        return self.source[node.start_byte : node.end_byte].decode(errors="replace")

    def _upto(self, node: Node, end: Node) -> str:
        """`node`'s source up to the end of `end` (a function's header without its body)."""
        return self.source[node.start_byte : end.end_byte].decode(errors="replace")

    def _head(self, node: Node) -> str:
        """The specifiers of a declaration: its source before the first declarator."""
        first = node.child_by_field_name("declarator")
        end = first.start_byte if first is not None else node.end_byte
        return self.source[node.start_byte : end].decode(errors="replace")

    def _guard(self, node: Node) -> tuple[str, ...]:
        return self.guards[self._row(node)]

    # -- file scope ----------------------------------------------------------

    def _file_scope(self, node: Node) -> None:
        if node.type == "ERROR" and self._broken_function(node):
            return
        for child in node.children:
            kind = child.type
            if kind == "function_definition":
                self._function(child)
            elif kind == "declaration":
                self._declaration(child)
            elif kind in ("preproc_def", "preproc_function_def"):
                self._macro(child)
            elif kind in ("struct_specifier", "union_specifier", "type_definition"):
                self._types(child)
            elif kind == "compound_statement":  # a body whose header did not parse: no globals
                self._body(child, _Scope(None, _local_names(child)))
            else:
                self._file_scope(child)

    def _define(self, node: Node, kind: EntityKind, name: str, signature: str, body: str) -> None:
        self.definitions.append(
            Definition(
                kind=kind,
                name=name,
                file=self.path,
                line=self._line(node),
                end_line=self._line(node, end=True),
                guard=self._guard(node),
                static="static" in storage_classes(node),
                signature=signature,
                body=body,
                complete=self._inside(node) and not _missing_end(node),
            )
        )

    def _function(self, node: Node) -> None:
        declarator = node.child_by_field_name("declarator")
        body = node.child_by_field_name("body")
        name = function_name(declarator)
        params = _parameter_names(declarator)
        if name == WRAPPER:
            name = self.enclosing
            params = hint_parameters(self.piece.section)
            if name is not None and body is not None:
                self._partial_function(name, body)
        elif name in _KEYWORDS:  # `} else if (c) {` tree-sitter could not place: more body
            name, params = self.enclosing, frozenset()
        elif name is not None and declarator is not None and body is not None:
            signature = fold(self._upto(node, declarator)).removeprefix(self.made_up_type)
            self._define(node, "function", name, signature, fold(self._text(body)))
        if body is not None:
            self._types(node.child_by_field_name("type"))
            scope = _Scope(name, params | _local_names(body))
            self._body(body, scope)
            closed = self._inside(body) and not _missing_end(body)
            self.open_function = None if closed else name

    def _broken_function(self, node: Node) -> bool:
        """A function's header and the statements tree-sitter gave up on after it (a piece
        ending inside `do {`): still that function's body, its declarations locals."""
        children = node.children
        at = next((i for i, c in enumerate(children) if c.type == "function_declarator"), None)
        if at is None:
            return False
        name = function_name(children[at])
        if name == WRAPPER:
            name = self.enclosing
            if name is not None:
                self._partial_function(name, node)
        scope = _Scope(name, _parameter_names(children[at]) | _local_names(node))
        for child in children[at + 1 :]:
            self._statement(child, scope)
        self.open_function = name
        return True

    def _partial_function(self, name: str, body: Node) -> None:
        """The function a mid-body piece belongs to: its header is not shown."""
        self.definitions.append(
            Definition(
                kind="function",
                name=name,
                file=self.path,
                line=self.piece.start,
                end_line=self._line(body, end=True),
                guard=self.guards[0],
                static=False,
                signature="",
                body=fold("\n".join(self.lines[: self._row(body, end=True) + 1])),
                complete=False,
            )
        )

    def _declaration(self, node: Node) -> None:
        self._types(node.child_by_field_name("type"))
        if node.child_by_field_name("type") is None:
            return
        storage = storage_classes(node)
        for declarator in node.children_by_field_name("declarator"):
            target, value = declarator, None
            if declarator.type == "init_declarator":
                target = declarator.child_by_field_name("declarator") or declarator
                value = declarator.child_by_field_name("value")
            signature = fold(f"{self._head(node)} {self._text(target)}")
            name = function_name(target)
            if name in _KEYWORDS:  # `} else if (c)` past an unseen block, read as a prototype
                continue
            if name is not None:
                self._define(node, "prototype", name, signature, "")
                continue
            name = declared_name(target) or _defined_by_macro(node.child_by_field_name("type"))
            if name is None or name in _KEYWORDS or name == WRAPPER:
                continue  # `static noinline void` of a split header, or the made-up wrapper
            kind: EntityKind = "extern" if "extern" in storage else "global"
            self._define(node, kind, name, signature, fold(self._text(value)) if value else "")
            for pair in _descendants(value, "initializer_pair") if value else ():
                self._pair_assignment(pair, _Scope(None, frozenset()))

    def _types(self, node: Node | None) -> None:
        """Struct and union definitions inside a type (or a typedef)."""
        if node is None:
            return
        if node.type == "type_definition":
            self._types(node.child_by_field_name("type"))
            return
        body = node.child_by_field_name("body")
        tag = node.child_by_field_name("name")
        if node.type not in ("struct_specifier", "union_specifier") or body is None:
            return
        if tag is not None:
            name = node_text(tag)
            keyword = node.type.split("_")[0]
            self._define(node, "struct", name, f"{keyword} {name}", fold(self._text(body)))
            self._fields(name, body)

    def _fields(self, tag: str, body: Node) -> None:
        for member in body.children:
            if member.type != "field_declaration":
                continue
            kind_node = member.child_by_field_name("type")
            declarators = member.children_by_field_name("declarator")
            if kind_node is not None and not declarators and kind_node.type.endswith("specifier"):
                inner = kind_node.child_by_field_name("body")
                if inner is not None and kind_node.child_by_field_name("name") is None:
                    self._fields(tag, inner)  # an anonymous struct/union's members are the tag's
                continue
            self._types(kind_node)
            for declarator in declarators:
                name = declared_name(declarator)
                if name is None:
                    continue
                signature = fold(f"{self._head(member)} {self._text(declarator)}")
                self._define(member, "field", f"{tag}.{name}", signature, "")

    def _macro(self, node: Node, function: str | None = None) -> None:
        name_node = node.child_by_field_name("name")
        if name_node is None:
            return
        name = node_text(name_node)
        params = node.child_by_field_name("parameters")
        value = node.child_by_field_name("value")
        head = name + (self._text(params) if params is not None else "")
        body = fold(self._text(value)) if value is not None else ""
        self._define(node, "macro", name, fold(f"#define {head} {body}"), body)
        if value is not None:
            self._macro_references(function, _macro_params(params), value)

    def _macro_references(self, function: str | None, params: frozenset[str], value: Node) -> None:
        """Macro bodies are not C until expanded, so names are read off the tokens.

        Their references belong to the function the #define stands in, if any (the
        evidence line names the macro).
        """
        row = self._row(value)
        for token in _TOKEN.finditer(fold(self._text(value))):
            member, name, call = token.group(1), token.group(2), token.group(3)
            if name in params or name in _KEYWORDS or name[0].isdigit():
                continue
            kind = _token_kind(member is not None, call is not None, name)
            via = name if kind == "pointer_call" else None
            self.references.append(
                Reference(
                    kind,
                    name,
                    via,
                    function,
                    self.path,
                    self.piece.start + row,
                    self.guards[row],
                    self.lines[row].strip(),
                )
            )

    # -- function bodies -------------------------------------------------------

    def _body(self, node: Node, scope: _Scope) -> None:
        for child in node.children:
            self._statement(child, scope)

    def _statement(self, node: Node, scope: _Scope) -> None:
        kind = node.type
        if kind == "function_definition":
            self._function(node)
        elif kind in ("preproc_def", "preproc_function_def"):
            self._macro(node, scope.function)
        elif kind == "declaration":
            self._types(node.child_by_field_name("type"))
            for declarator in node.children_by_field_name("declarator"):
                value = declarator.child_by_field_name("value")
                if declarator.type == "init_declarator" and value is not None:
                    self._statement(value, scope)
        elif kind == "call_expression":
            self._call(node, scope)
        elif kind == "assignment_expression":
            self._assignment(node, scope)
        elif kind == "update_expression":
            self._write(node.child_by_field_name("argument"), node, scope)
        elif kind == "field_expression":
            self._field_use(node, scope)
        elif kind == "identifier":
            self._use(node, scope)
        elif kind == "initializer_pair":
            self._pair_assignment(node, scope)
            value = node.child_by_field_name("value")
            if value is not None:
                self._statement(value, scope)
        else:
            self._body(node, scope)

    def _refer(
        self, kind: ReferenceKind, name: str, node: Node, scope: _Scope, via: str | None = None
    ) -> None:
        row = self._row(node)
        self.references.append(
            Reference(
                kind,
                name,
                via,
                scope.function,
                self.path,
                self.piece.start + row,
                self.guards[row],
                self.lines[row].strip(),
            )
        )

    def _call(self, node: Node, scope: _Scope) -> None:
        callee = node.child_by_field_name("function")
        if callee is not None and callee.type == "identifier":
            name = node_text(callee)
            self._refer("macro_call" if is_all_caps(name) else "call", name, callee, scope)
        elif callee is not None and callee.type == "field_expression":
            member = callee.child_by_field_name("field")
            if member is not None:
                self._refer("pointer_call", node_text(member), callee, scope, node_text(member))
            self._statement(callee.child_by_field_name("argument") or callee, scope)
        elif callee is not None:
            self._statement(callee, scope)
        arguments = node.child_by_field_name("arguments")
        if arguments is not None:
            self._body(arguments, scope)

    def _assignment(self, node: Node, scope: _Scope) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        self._write(left, node, scope)
        operator = node.child_by_field_name("operator")
        plain = operator is not None and operator.type == "="
        if plain and left is not None and right is not None and left.type == "field_expression":
            self._assign_function(left.child_by_field_name("field"), right, scope)
        if right is not None:
            self._statement(right, scope)

    def _write(self, target: Node | None, node: Node, scope: _Scope) -> None:
        if target is None:
            return
        if target.type == "identifier":
            if _is_free(node_text(target), scope):
                self._refer("write", node_text(target), target, scope)
        elif target.type == "field_expression":
            member = target.child_by_field_name("field")
            if member is not None:
                self._refer("write", node_text(member), target, scope)
            argument = target.child_by_field_name("argument")
            if argument is not None:
                self._statement(argument, scope)
        else:
            self._statement(target, scope)

    def _field_use(self, node: Node, scope: _Scope) -> None:
        member = node.child_by_field_name("field")
        if member is not None:
            self._refer("use", node_text(member), node, scope)
        argument = node.child_by_field_name("argument")
        if argument is not None:
            self._statement(argument, scope)

    def _use(self, node: Node, scope: _Scope) -> None:
        name = node_text(node)
        if _is_free(name, scope):
            self._refer("use", name, node, scope)

    def _pair_assignment(self, pair: Node, scope: _Scope) -> None:
        """`{ .field = fn }` stores a function in a field just as `x.field = fn` does."""
        designator = pair.child_by_field_name("designator")
        value = pair.child_by_field_name("value")
        if designator is None or value is None or designator.type != "field_designator":
            return
        member = next((c for c in designator.children if c.type == "field_identifier"), None)
        self._assign_function(member, value, scope)

    def _assign_function(self, member: Node | None, value: Node, scope: _Scope) -> None:
        if value.type == "pointer_expression":
            value = value.child_by_field_name("argument") or value
        if member is None or value.type != "identifier":
            return
        name = node_text(value)
        if _is_free(name, scope) and not is_all_caps(name):
            line = self._line(value)
            self.assignments.append(Assignment(node_text(member), name, self.path, line))


def _defined_by_macro(kind: Node | None) -> str | None:
    """The variable a definer macro names: `DEFINE_PER_CPU(struct pcp, boot_pageset)`.

    tree-sitter reads the macro as a type and finds no declarator; the kernel's definers
    (DEFINE_PER_CPU*, DECLARE_BITMAP, ...) name the variable in their last argument that
    is a plain identifier.
    """
    if kind is None or kind.type != "macro_type_specifier":
        return None
    _, _, arguments = node_text(kind).partition("(")
    words = [a.strip().rstrip(")").strip() for a in arguments.split(",")]
    return next((w for w in reversed(words) if _IDENTIFIER.fullmatch(w)), None)


def _token_kind(member: bool, call: bool, name: str) -> ReferenceKind:
    if member:
        return "pointer_call" if call else "use"
    if call:
        return "macro_call" if is_all_caps(name) else "call"
    return "use"


def _is_free(name: str, scope: _Scope) -> bool:
    return name not in scope.locals and name not in _KEYWORDS


def _missing_end(node: Node) -> bool:
    last = node
    while last.children:
        last = last.children[-1]
    return last.is_missing


def _parameter_names(declarator: Node | None) -> frozenset[str]:
    function = find_function_declarator(declarator)
    params = function.child_by_field_name("parameters") if function is not None else None
    if params is None:
        return frozenset()
    names = (declared_name(p.child_by_field_name("declarator")) for p in params.children)
    return frozenset(n for n in names if n)


def _local_names(body: Node) -> frozenset[str]:
    names = set()
    for declaration in _descendants(body, "declaration"):
        for declarator in declaration.children_by_field_name("declarator"):
            name = declared_name(declarator)
            if name:
                names.add(name)
    return frozenset(names)


def _macro_params(params: Node | None) -> frozenset[str]:
    if params is None:
        return frozenset()
    return frozenset(node_text(c) for c in params.children if c.type == "identifier")


def _descendants(node: Node, kind: str) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == kind:
            yield current
        stack.extend(current.children)
