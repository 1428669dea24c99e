"""The one tree-sitter C parser and the small text helpers every extractor needs."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache

import tree_sitter_c
from tree_sitter import Language, Node, Parser, Tree

_SPACE = re.compile(r"\s+")
_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
_CONTINUATION = re.compile(r"\\\n")


@cache
def _parser() -> Parser:
    """Built once: loading the grammar costs more than parsing a whole patch."""
    return Parser(Language(tree_sitter_c.language()))


@lru_cache(maxsize=64)  # a touched file's last text is read for its spans and its callers
def parse(text: str) -> Tree:
    return _parser().parse(text.encode())


def parse_edited(tree: Tree, before: str, text: str) -> Tree:
    """`text` parsed reusing `tree`, the parse of `before`: tree-sitter parses again only
    what lies between their common start and common end (a patch's stretch of a file), and
    gives the tree a parse from scratch gives."""
    old, new = before.encode(), text.encode()
    shorter = min(len(old), len(new))
    start = _alike(shorter, lambda size: old[:size] == new[:size])
    end = _alike(shorter - start, lambda size: old[len(old) - size :] == new[len(new) - size :])
    edited = tree.copy()
    edited.edit(
        start_byte=start,
        old_end_byte=len(old) - end,
        new_end_byte=len(new) - end,
        start_point=_point(old, start),
        old_end_point=_point(old, len(old) - end),
        new_end_point=_point(new, len(new) - end),
    )
    return _parser().parse(new, edited)


def _alike(most: int, same: Callable[[int], bool]) -> int:
    """The largest size up to `most` for which `same` holds (it holds for every smaller
    one): halving the range, each comparison made in C."""
    low, high = 0, most
    while low < high:
        middle = (low + high + 1) // 2
        if same(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _point(data: bytes, offset: int) -> tuple[int, int]:
    """Row and byte column of `offset`."""
    return data.count(b"\n", 0, offset), offset - (data.rfind(b"\n", 0, offset) + 1)


def parse_alone(text: str) -> Node:
    """The root of a text parsed once and not kept (a stretch of a file, not worth caching)."""
    return _parser().parse(text.encode()).root_node


def node_text(node: Node) -> str:
    return (node.text or b"").decode(errors="replace")


def fold(text: str) -> str:
    """Comments dropped, line continuations joined, whitespace runs made one space."""
    text = _CONTINUATION.sub(" ", _COMMENT.sub(" ", text))
    return _SPACE.sub(" ", text).strip()


def declared_name(node: Node | None) -> str | None:
    """The identifier a (possibly pointer/array/function) declarator declares."""
    while node is not None:
        if node.is_missing:  # tree-sitter's stand-in for a name the text lacks
            return None
        if node.type in ("identifier", "field_identifier", "type_identifier"):
            return node_text(node)
        if node.type == "parenthesized_declarator":  # `(*fn)(...)`: no field names inside
            node = node.named_children[0] if node.named_children else None
        else:
            node = node.child_by_field_name("declarator")
    return None


def function_name(declarator: Node | None) -> str | None:
    """The name when the declarator declares a function (not a pointer to one)."""
    while declarator is not None and declarator.type in (
        "pointer_declarator",
        "attributed_declarator",
    ):
        declarator = declarator.child_by_field_name("declarator")
    if declarator is None or declarator.type != "function_declarator":
        return None
    inner = declarator.child_by_field_name("declarator")
    if inner is None or inner.type != "identifier":
        return None
    return node_text(inner)


def find_function_declarator(declarator: Node | None) -> Node | None:
    while declarator is not None and declarator.type != "function_declarator":
        declarator = declarator.child_by_field_name("declarator")
    return declarator


def storage_classes(node: Node) -> frozenset[str]:
    return frozenset(
        node_text(child) for child in node.children if child.type == "storage_class_specifier"
    )
